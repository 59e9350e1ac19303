#!/usr/bin/env python3
"""Registration benchmarks (TARGETS.md) against a Kamailio registrar with digest authentication
(Tests/Peers/kamailio.cfg) on loopback, with a release deskphoned provisioned from a local folder:
  - exec -> every one of LINES lines REGISTERED (the daemon's log), over RUNS runs, each a fresh flash;
  - idle memory of a phone with two lines registered: VmRSS and VmHWM once settled;
  - idle CPU of that phone over IDLE seconds: utime+stime ticks (/proc/PID/stat) and context
    switches of all its threads (/proc/PID/task/*/status);
  - memory per additional line: settled RssAnon and VmRSS with 1 and with 6 lines registered
    (the most deskphoned has), median of a few daemons each; and inside one process with many
    accounts (register-bench N M);
  - registrations per second with many accounts at once (register-bench N).
"Settled" is SETTLE seconds after the last line registered: a completed REGISTER transaction
stays for timer K (T4 = 5 s, RFC 3261 §17.1.2.2). timer_register_expires is 3600, so no
refresh falls in the idle window.
Usage: bench-register.py BIN_DIR [LINES] [RUNS] [IDLE]"""
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import cpu_ticks, free_udp_port, load, proc_status, start_kamailio

MANY = 500   # accounts registered at once for the registrations-per-second figure
MEMORY_ACCOUNTS = (100, 1000)   # register-bench's memory per account: RSS with 100, then 1000
MAX_LINES = 6   # the most lines deskphoned has (a 7960)
MEMORY_RUNS = 3   # daemons measured for each of 1 and MAX_LINES lines
SETTLE = 6   # seconds after the last REGISTERED: timer K (T4 = 5 s) has ended every transaction


class Daemon:
    """A deskphoned provisioned with `lines` lines registering at the registrar on `port`."""

    def __init__(self, bindir: str, work: str, port: int, lines: int, tag: str):
        prov = f"{work}/tftpboot-{tag}"
        os.makedirs(prov)
        sip_port = free_udp_port()
        open(prov + "/SIPDefault.cnf", "w").write(
            f"proxy1_address: 127.0.0.1\nproxy1_port: {port}\nproxy_register: 1\nvoip_control_port: {sip_port}\n"
            "timer_register_expires: 3600\n")
        open(prov + "/SIP0011AABBCC42.cnf", "w").write(
            "".join(f"line{n}_name: {1000 + n}\nline{n}_password: pw{1000 + n}\n" for n in range(1, lines + 1)))
        self.lines = lines
        self.log_path = f"{work}/d-{tag}.log"
        self.log = open(self.log_path, "w+")
        self.start = time.perf_counter()
        self.proc = subprocess.Popen(
            [bindir + "/deskphoned", "--provision", prov, "--flash", f"{work}/flash-{tag}",
             "--mac", "00:11:AA:BB:CC:42", "--telnet", "127.0.0.1:0", "--console", "none",
             "--sip-address", "127.0.0.1", "--config", "/dev/null"],
            stderr=self.log, stdout=subprocess.DEVNULL)

    def wait_registered(self) -> float:
        """Milliseconds from exec to the log showing every line REGISTERED."""
        while time.perf_counter() - self.start < 10:
            self.log.seek(0)
            if len(set(re.findall(r"line (\d+): REGISTERED", self.log.read()))) == self.lines:
                return (time.perf_counter() - self.start) * 1000
            time.sleep(0.0005)
        self.stop()
        raise SystemExit(f"not every line registered; see {self.log_path}")

    def status(self) -> dict:
        return proc_status(self.proc.pid)

    def cpu_ticks(self) -> int:
        return cpu_ticks(self.proc.pid)

    def context_switches(self) -> dict:
        """(voluntary, involuntary, name) context switches of each live thread, by thread id."""
        out = {}
        for tid in os.listdir(f"/proc/{self.proc.pid}/task"):
            try:
                with open(f"/proc/{self.proc.pid}/task/{tid}/status") as f:
                    fields = {k: v.strip() for k, _, v in (l.partition(":") for l in f)}
                out[tid] = (int(fields["voluntary_ctxt_switches"]), int(fields["nonvoluntary_ctxt_switches"]), fields["Name"])
            except FileNotFoundError:
                pass
        return out

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)


def registered_memory(bindir: str, work: str, port: int, lines: int, tag: str) -> tuple:
    """(VmRSS, RssAnon) in kB of a daemon with `lines` lines registered, once settled."""
    d = Daemon(bindir, work, port, lines, tag)
    try:
        d.wait_registered()
        time.sleep(SETTLE)
        st = d.status()
        return st["VmRSS"], st["RssAnon"]
    finally:
        d.stop()


def main() -> None:
    bindir = sys.argv[1]
    lines = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    idle = int(sys.argv[4]) if len(sys.argv) > 4 else 60
    work = tempfile.mkdtemp(prefix="bench-reg-")
    kam = None
    try:
        users = {str(1000 + n): f"pw{1000 + n}" for n in range(1, max(lines, MAX_LINES) + 1)}
        users.update({str(2000 + i): f"pw{2000 + i}" for i in range(max(MANY, MEMORY_ACCOUNTS[1]))})
        kam, port = start_kamailio(work, users)

        times = []
        for r in range(runs):
            d = Daemon(bindir, work, port, lines, f"run{r}")
            try:
                times.append(d.wait_registered())
            finally:
                d.stop()
        times.sort()
        print(f"exec -> all {lines} lines registered at Kamailio (digest, {runs} runs): "
              f"min {times[0]:.1f} ms, p50 {statistics.median(times):.1f} ms, max {times[-1]:.1f} ms "
              f"({load()})", flush=True)

        # Idle memory and idle CPU: one phone, two lines registered, settled, then left alone.
        d = Daemon(bindir, work, port, 2, "idle")
        try:
            d.wait_registered()
            time.sleep(SETTLE)
            st = d.status()
            print(f"idle memory, 2 lines registered, {SETTLE} s after: VmRSS {st['VmRSS']} kB "
                  f"({st['VmRSS'] / 1024:.1f} MB: RssAnon {st['RssAnon']} kB, RssFile {st['RssFile']} kB), "
                  f"VmHWM {st['VmHWM']} kB ({st['VmHWM'] / 1024:.1f} MB), {st['Threads']} threads ({load()})", flush=True)
            ticks0, switches0 = d.cpu_ticks(), d.context_switches()
            time.sleep(idle)
            ticks1, switches1 = d.cpu_ticks(), d.context_switches()
            threads = f"{len(switches0)} threads" if switches0.keys() == switches1.keys() else \
                f"threads {len(switches0)} -> {len(switches1)}, {len(switches0.keys() - switches1.keys())} ended"
            delta = {t: (v - switches0.get(t, (0, 0))[0], i - switches0.get(t, (0, 0))[1], name)
                     for t, (v, i, name) in switches1.items()}
            vol, invol = sum(d[0] for d in delta.values()), sum(d[1] for d in delta.values())
            busy = ", ".join(f"{name} {v + i}" for v, i, name in sorted(delta.values(), reverse=True) if v + i)
            print(f"idle CPU, 2 lines registered, over {idle} s: {ticks1 - ticks0} ticks utime+stime "
                  f"({os.sysconf('SC_CLK_TCK')} ticks/s), {vol} voluntary + {invol} involuntary context "
                  f"switches ({threads}; by thread: {busy or 'none'}) ({load()})", flush=True)
        finally:
            d.stop()

        # Memory per additional line: the daemon with 1 line and with MAX_LINES lines.
        # VmRSS varies by a few hundred kB from daemon to daemon (which code pages are mapped in);
        # RssAnon, the heap and stacks, varies by a few kB, so it is the one that shows a line.
        one = [registered_memory(bindir, work, port, 1, f"one{i}") for i in range(MEMORY_RUNS)]
        full = [registered_memory(bindir, work, port, MAX_LINES, f"full{i}") for i in range(MEMORY_RUNS)]
        per = []
        for k, name in ((1, "RssAnon"), (0, "VmRSS")):
            a, b = statistics.median(r[k] for r in one), statistics.median(r[k] for r in full)
            per.append(f"{name} {a:.0f} -> {b:.0f} kB = {(b - a) / (MAX_LINES - 1):.1f} kB/line "
                       f"(runs {[r[k] for r in one]} -> {[r[k] for r in full]})")
        print(f"memory per additional line (deskphoned, 1 -> {MAX_LINES} lines registered, {SETTLE} s after, "
              f"median of {MEMORY_RUNS} daemons each): {'; '.join(per)} ({load()})", flush=True)

        # Many accounts in one process: memory per account, then registrations per second.
        n, m = MEMORY_ACCOUNTS
        for args in ([str(n), str(m)], [str(MANY)]):
            r = subprocess.run([bindir + "/register-bench", str(port)] + args,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            if r.returncode != 0:
                raise SystemExit(f"register-bench {' '.join(args)} failed: {r.stdout.strip()}")
            print(f"{r.stdout.strip()} ({load()})", flush=True)
    finally:
        if kam:
            kam.send_signal(signal.SIGTERM)
            kam.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
