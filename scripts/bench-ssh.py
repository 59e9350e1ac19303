#!/usr/bin/env python3
"""What the SSH CLI (--ssh, issue 17) costs a deskphoned: start-up time and idle memory with SSH
off and on, and optionally for another build without the SSH code (--compare, the build before
the change), from one run, alternating the variants.
  - start: exec -> the listener's log line ("telnet listening on", or with SSH on "ssh listening
    on", which comes after the telnet one), polled every 0.5 ms; the median of RUNS starts;
  - idle: VmRSS, RssAnon and RssFile SETTLE seconds after that line (the start-up code is
    unmapped a second after the boot, ColdCode), the median of the runs; with SSH on, the
    daemon's children's VmRSS too (deskphone-ssh, the SSH server process since issue 16).
Each start gets a new flash folder, so an SSH start includes making and writing its host key
(the first start's cost); --keep-flash reuses one folder (later starts: the key is read).
Usage: bench-ssh.py BIN [--compare OTHER_BIN] [--runs N] [--settle S] [--keep-flash]"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

FILES = {
    "SIPDefault.cnf": "proxy1_address: 127.0.0.1\ntelnet_level: 2\n",
    "SIP0011AABBCC42.cnf": "line1_name: 620\nphone_password: s3cret\n",
}


def status_kb(pid: int) -> dict:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0])
    return out


def children_rss_kb(pid: int) -> int:
    """The VmRSS of the direct children of `pid` (all its threads' children)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            children = open(f"/proc/{pid}/task/{task}/children").read().split()
        except OSError:
            continue
        for child in children:
            try:
                total += status_kb(int(child)).get("VmRSS", 0)
            except OSError:
                pass
    return total


def one(binary: str, ssh: bool, work: str, flash: str, settle: float) -> tuple[float, dict]:
    log = os.path.join(work, "log")
    args = [binary, "--provision", os.path.join(work, "tftpboot"), "--flash", flash, "--mac", "00:11:AA:BB:CC:42",
            "--telnet", "127.0.0.1:0", "--config", "/dev/null", "--console", "none", "--sip-address", "127.0.0.1"]
    if ssh:
        args += ["--ssh", "127.0.0.1:0"]
    marker = "ssh listening on" if ssh else "telnet listening on"
    with open(log, "w") as err:
        start = time.monotonic()
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
        try:
            while True:
                with open(log) as f:
                    if marker in f.read():
                        break
                if p.poll() is not None or time.monotonic() - start > 30:
                    raise SystemExit(f"{binary} did not log '{marker}':\n" + open(log).read())
                time.sleep(0.0005)
            elapsed = (time.monotonic() - start) * 1000
            time.sleep(settle)
            memory = status_kb(p.pid)
            memory["children"] = children_rss_kb(p.pid)
        finally:
            p.terminate()
            p.wait(10)
    return elapsed, memory


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("--compare")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--settle", type=float, default=3.0)
    ap.add_argument("--keep-flash", action="store_true")
    a = ap.parse_args()
    variants = [("ssh off", a.bin, False), ("ssh on", a.bin, True)]
    if a.compare:
        variants.insert(0, ("without SSH code", a.compare, False))
    results = {name: ([], []) for name, _, _ in variants}
    with tempfile.TemporaryDirectory(prefix="bench-ssh-") as work:
        os.makedirs(os.path.join(work, "tftpboot"))
        for name, text in FILES.items():
            with open(os.path.join(work, "tftpboot", name), "w") as f:
                f.write(text)
        for i in range(a.runs):
            order = variants if i % 2 == 0 else list(reversed(variants))
            for name, binary, ssh in order:
                flash = os.path.join(work, "flash" if a.keep_flash else f"flash-{i}-{name.replace(' ', '-')}")
                elapsed, memory = one(binary, ssh, work, flash, a.settle)
                results[name][0].append(elapsed)
                results[name][1].append(memory)
    print(f"{'variant':18} {'start ms':>9} {'VmRSS kB':>9} {'RssAnon kB':>11} {'RssFile kB':>11} {'children kB':>12}   ({a.runs} runs, medians)")
    for name, _, _ in variants:
        times, memories = results[name]
        med = lambda k: statistics.median(m[k] for m in memories)
        print(f"{name:18} {statistics.median(times):9.1f} {med('VmRSS'):9.0f} {med('RssAnon'):11.0f} {med('RssFile'):11.0f} {med('children'):12.0f}")


if __name__ == "__main__":
    main()
