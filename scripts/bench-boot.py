#!/usr/bin/env python3
"""Start-up benchmark: time from exec of deskphoned to its 'boot complete' log line, booting
on a provisioning folder (no network), repeated N times with a fresh flash each time; also the
daemon's RSS once booted. Usage: bench-boot.py DESKPHONED PROVISION_DIR [N]"""
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time


def one_run(binary: str, provision: str) -> tuple[float, int]:
    flash = tempfile.mkdtemp(prefix="bench-flash-")
    try:
        start = time.perf_counter()
        p = subprocess.Popen(
            [binary, "--provision", provision, "--flash", flash, "--mac", "00:0D:BC:50:FC:D4",
             "--config", "/dev/null"],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        assert p.stderr is not None
        for line in p.stderr:
            if "boot complete" in line:
                elapsed = (time.perf_counter() - start) * 1000
                break
        else:
            raise SystemExit("deskphoned exited before booting")
        with open(f"/proc/{p.pid}/status") as f:
            rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
        return elapsed, rss
    finally:
        shutil.rmtree(flash, ignore_errors=True)


def main() -> None:
    binary, provision = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    runs = [one_run(binary, provision) for _ in range(n)]
    times = sorted(t for t, _ in runs)
    rss = statistics.median(r for _, r in runs)
    print(f"boot (exec -> configuration applied, {n} runs): "
          f"min {times[0]:.1f} ms, p50 {statistics.median(times):.1f} ms, max {times[-1]:.1f} ms; "
          f"RSS after boot {rss / 1024:.1f} MB; load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
