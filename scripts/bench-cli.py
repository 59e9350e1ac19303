#!/usr/bin/env python3
"""CLI benchmark (TARGETS.md): round trip of `show network` over telnet with N concurrent
sessions against a release deskphoned booted on a provisioning folder. Each session is a
`deskphone cli --repeat M --quiet --timings FILE` process (a compiled client, so the figures
are the phone's and not a slow client's); the round trips of all sessions give p50 and p99.
Usage: bench-cli.py BIN_DIR [SESSIONS] [ROUNDS]"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def main() -> None:
    bindir = sys.argv[1]
    sessions = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    work = tempfile.mkdtemp(prefix="bench-cli-")
    try:
        os.makedirs(work + "/tftpboot")
        with open(work + "/tftpboot/SIPDefault.cnf", "w") as f:
            f.write("telnet_level: 2\nphone_password: bench\n")
        log = open(work + "/log", "w+")
        daemon = subprocess.Popen(
            [bindir + "/deskphoned", "--provision", work + "/tftpboot", "--flash", work + "/flash",
             "--mac", "00:11:AA:BB:CC:42", "--telnet", "127.0.0.1:0", "--console", "none",
             "--config", "/dev/null"], stderr=log, stdout=subprocess.DEVNULL)
        port = None
        for _ in range(500):
            time.sleep(0.01)
            log.seek(0)
            m = re.search(r"telnet listening on .*:(\d+)", log.read())
            if m:
                port = int(m.group(1))
                break
        if port is None:
            raise SystemExit("deskphoned did not open telnet")
        env = dict(os.environ, DESKPHONE_PASSWORD="bench")
        t0 = time.perf_counter()
        clients = [subprocess.Popen(
            [bindir + "/deskphone", "cli", f"127.0.0.1:{port}", "-c", "show network", "--repeat", str(rounds),
             "--quiet", "--timings", f"{work}/t{i}"], env=env) for i in range(sessions)]
        codes = [c.wait() for c in clients]
        wall = time.perf_counter() - t0
        if any(codes):
            raise SystemExit(f"a client failed: {codes}")
        times = sorted(float(x) for i in range(sessions) for x in open(f"{work}/t{i}").read().split())
        p50 = times[len(times) // 2]
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(f"CLI round trip, show network, {sessions} concurrent sessions x {rounds}: "
              f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {times[-1]:.2f} ms "
              f"({len(times) / wall:.0f} commands/s; load {os.getloadavg()[0]:.2f})")
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=10)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
