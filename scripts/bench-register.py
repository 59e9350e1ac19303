#!/usr/bin/env python3
"""Registration benchmark (TARGETS.md "start of the daemon -> every configured line registered"):
a Kamailio registrar with digest authentication (Tests/Peers/kamailio.cfg) on loopback, and a
release deskphoned provisioned from a local folder with LINES lines; the time from exec to the
daemon's log saying every line is REGISTERED, over RUNS runs (each a fresh flash).
Usage: bench-register.py BIN_DIR [LINES] [RUNS]"""
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

MANY = 500   # accounts registered at once for the registrations-per-second figure
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_udp_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_kamailio(work: str, users: dict) -> tuple:
    port = free_udp_port()
    template = open(os.path.join(ROOT, "Tests/Peers/kamailio.cfg")).read()
    lines = "\n    ".join(f'$sht(users=>{u}) = "{p}";' for u, p in users.items())
    cfg = (template.replace("@LISTEN_ADDR@", "127.0.0.1").replace("@PORT@", str(port))
           .replace("@CTL_SOCKET@", work + "/ctl.sock").replace("@REALM@", "deskphone.test")
           .replace("@USERS@", lines))
    open(work + "/kamailio.cfg", "w").write(cfg)
    p = subprocess.Popen(["kamailio", "-DD", "-E", "-f", work + "/kamailio.cfg", "-Y", work, "-P", work + "/k.pid"],
                         stdout=subprocess.DEVNULL, stderr=open(work + "/kamailio.log", "w"))
    for _ in range(500):
        if os.path.exists(work + "/ctl.sock"):
            time.sleep(0.1)
            return p, port
        time.sleep(0.01)
    raise SystemExit("kamailio did not start")


def one_run(bindir: str, work: str, port: int, lines: int, run: int) -> float:
    prov = f"{work}/tftpboot{run}"
    os.makedirs(prov)
    sip_port = free_udp_port()
    open(prov + "/SIPDefault.cnf", "w").write(
        f"proxy1_address: 127.0.0.1\nproxy1_port: {port}\nproxy_register: 1\nvoip_control_port: {sip_port}\n")
    open(prov + "/SIP0011AABBCC42.cnf", "w").write(
        "".join(f"line{n}_name: {1000 + n}\nline{n}_password: pw{1000 + n}\n" for n in range(1, lines + 1)))
    log_path = f"{work}/d{run}.log"
    log = open(log_path, "w+")
    start = time.perf_counter()
    d = subprocess.Popen([bindir + "/deskphoned", "--provision", prov, "--flash", f"{work}/flash{run}",
                          "--mac", "00:11:AA:BB:CC:42", "--telnet", "127.0.0.1:0", "--console", "none",
                          "--sip-address", "127.0.0.1", "--config", "/nonexistent"],
                         stderr=log, stdout=subprocess.DEVNULL)
    elapsed = None
    while time.perf_counter() - start < 10:
        log.seek(0)
        done = set(re.findall(r"line (\d+): REGISTERED", log.read()))
        if len(done) == lines:
            elapsed = (time.perf_counter() - start) * 1000
            break
        time.sleep(0.0005)
    d.send_signal(signal.SIGTERM)
    d.wait(timeout=10)
    if elapsed is None:
        raise SystemExit(f"not every line registered; see {log_path}")
    return elapsed


def main() -> None:
    bindir = sys.argv[1]
    lines = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    work = tempfile.mkdtemp(prefix="bench-reg-")
    kam = None
    try:
        users = {str(1000 + n): f"pw{1000 + n}" for n in range(1, lines + 1)}
        users.update({str(2000 + i): f"pw{2000 + i}" for i in range(MANY)})
        kam, port = start_kamailio(work, users)
        times = sorted(one_run(bindir, work, port, lines, r) for r in range(runs))
        print(f"exec -> all {lines} lines registered at Kamailio (digest, {runs} runs): "
              f"min {times[0]:.1f} ms, p50 {statistics.median(times):.1f} ms, max {times[-1]:.1f} ms "
              f"(load {os.getloadavg()[0]:.2f})")
        # Throughput: MANY accounts registering at once through the phone's SIP stack.
        subprocess.run([bindir + "/register-bench", str(port), str(MANY)], check=True, stderr=subprocess.DEVNULL)
    finally:
        if kam:
            kam.send_signal(signal.SIGTERM)
            kam.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
