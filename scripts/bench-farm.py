#!/usr/bin/env python3
"""Phone-farm scale benchmark (issue 16): a release `deskphoned --farm N` with LINES lines per phone
(N x LINES lines in all: 1000 x 1 by default) registering at a loopback Kamailio with digest
authentication (Tests/Peers/kamailio.cfg), and baresip 1.0 with as many accounts in one process,
in the same run, against the same registrar. For each, over RUNS runs (fresh flash each time):
  - exec -> first REGISTER and exec -> every line registered (the last of the first 200 OKs, one
    per user), from a tcpdump capture on lo with nanosecond timestamps; "exec" is a marker datagram
    the child sends just before execve (as in bench-footprint.py);
  - the registration rate: lines / (last 200 OK - first REGISTER), and lines / (exec -> all);
  - CPU ticks (utime + stime of all threads) when all are registered and SETTLE s later;
  - VmRSS and RssAnon SETTLE s after (a REGISTER transaction stays for timer K, T4 = 5 s), and
    per extra line: against the same program with one phone's lines (deskphoned --farm 1) or one
    account (baresip), medians over the runs;
  - the farm's own report ("farm: all ... registered ... ms after the start (R registrations/s)").
Printed with the ratios deskphoned / baresip. Nice it: it keeps both cores busy for a while.
Usage: bench-farm.py BIN_DIR [PHONES] [--lines L] [--runs R] [--baresip-accounts A]"""
import argparse
import importlib.util
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

from benchlib import ROOT, cpu_ticks, load, proc_status, start_kamailio, stop


def script(name: str):
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), os.path.join(ROOT, "scripts", name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


footprint = script("bench-footprint")   # read_pcap, Capture
provision = script("make-farm-provision")

MARK_PORT = footprint.MARK_PORT
SETTLE = 6
FIRST_MAC = "00:11:AA:00:00:00"
TICK = os.sysconf("SC_CLK_TCK")
OK_REGISTER = re.compile(rb"\r\nCSeq\s*:\s*\d+\s+REGISTER", re.I)
TO_USER = re.compile(rb"\r\n(?:To|t)\s*:[^\r]*?sip:(\d+)@", re.I)


def free_ports(count: int) -> int:
    """The first of `count` consecutive ports free for UDP and TCP on 127.0.0.1 (below the
    ephemeral range, where no client socket takes one meanwhile)."""
    for base in range(20000, 32768 - count, 97):
        held, ok = [], True
        try:
            for port in range(base, base + count):
                for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    s = socket.socket(socket.AF_INET, kind)
                    held.append(s)
                    s.bind(("127.0.0.1", port))
        except OSError:
            ok = False
        finally:
            for s in held:
                s.close()
        if ok:
            return base
    raise SystemExit(f"no {count} consecutive free ports")


class Run:
    """One program (a farm or a baresip) started with its exec marker, logging to a file."""
    tag = 0

    def __init__(self, kind: str, argv: list, work: str, users: list):
        Run.tag += 1
        self.kind, self.users = kind, users
        self.log_path = f"{work}/{kind}-{Run.tag}.log"
        self.log = open(self.log_path, "w")
        self.mark = f"exec {os.getpid()} {Run.tag}".encode()
        mark = self.mark

        def marker() -> None:   # in the child, just before execve
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(mark, ("127.0.0.1", MARK_PORT))
            s.close()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=marker)
        self.seen, self.offset, self.text = set(), 0, ""

    def registered_by_log(self) -> bool:
        """The program's log says every line is registered (read on from where it was)."""
        with open(self.log_path, errors="replace") as f:
            f.seek(self.offset)
            chunk = f.read()
            self.offset = f.tell()
        self.text += chunk
        if self.kind == "deskphoned":
            return "farm: all " in self.text
        self.seen.update(re.findall(r"(\d+)@127\.0\.0\.1: \{[^}]*\} 200 OK", chunk))
        return len(self.seen) >= len(self.users)

    def wait_registered(self, timeout: float) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.kind} exited ({self.proc.returncode}); see {self.log_path}")
            if self.registered_by_log():
                return time.monotonic()
            time.sleep(0.02)
        stop(self.proc)
        raise SystemExit(f"{self.kind}: not every line registered in {timeout} s; see {self.log_path}")

    def times(self, packets: list, kport: int) -> tuple:
        """(exec, first REGISTER, last first-200-OK) in ns from the capture."""
        exec_ns = next((t for t, _, dport, p in packets if dport == MARK_PORT and p == self.mark), None)
        if exec_ns is None:
            raise SystemExit(f"no exec marker for {self.kind} in the capture")
        want, first, ok = set(self.users), None, {}
        for t, sport, dport, payload in packets:
            if t < exec_ns:
                continue
            if dport == kport and first is None and payload.startswith(b"REGISTER "):
                first = t
            elif sport == kport and payload.startswith(b"SIP/2.0 200") and OK_REGISTER.search(payload):
                m = TO_USER.search(payload)
                if m and m.group(1).decode() in want:
                    ok.setdefault(m.group(1).decode(), t)
        if len(ok) < len(want):
            raise SystemExit(f"{self.kind}: the capture has {len(ok)} of {len(want)} users' 200 OK")
        return exec_ns, first, max(ok.values())


def farm(bindir: str, work: str, kport: int, phones: int, lines: int, first_user: int) -> Run:
    d = tempfile.mkdtemp(prefix="farm-", dir=work)
    users = provision.write(d + "/tftpboot", phones, f"127.0.0.1:{kport}", lines, FIRST_MAC, first_user)
    port = free_ports(phones)
    return Run("deskphoned", [bindir + "/deskphoned", "--farm", str(phones), "--farm-sip-port", str(port),
                              "--mac", FIRST_MAC, "--provision", d + "/tftpboot", "--flash", d + "/flash",
                              "--telnet", "127.0.0.1:0", "--console", "none", "--sip-address", "127.0.0.1",
                              "--config", "/dev/null"], work, users)


def baresip(work: str, kport: int, accounts: int, first_user: int) -> Run:
    d = tempfile.mkdtemp(prefix="baresip-", dir=work)
    users = [str(first_user + i) for i in range(accounts)]
    port = footprint.free_udp_port()
    # The headless phone of bench-footprint.py: G.711, no sound card (aubridge), the account module.
    open(d + "/config", "w").write(
        f"poll_method epoll\nnet_interface 127.0.0.1\nsip_listen 127.0.0.1:{port}\n"
        "audio_player aubridge,discard\naudio_source aubridge,discard\naudio_alert aubridge,discard\n"
        "module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aubridge.so\nmodule_app account.so\n")
    open(d + "/accounts", "w").write(
        "".join(f"<sip:{u}@127.0.0.1:{kport};transport=udp>;auth_pass=pw{u};regint=3600\n" for u in users))
    return Run("baresip", ["baresip", "-f", d], work, users)


def measure(run: Run, cap, kport: int, timeout: float) -> dict:
    run.wait_registered(timeout)
    ticks_registered = cpu_ticks(run.proc.pid)
    time.sleep(SETTLE)
    st = proc_status(run.proc.pid)
    ticks_settled = cpu_ticks(run.proc.pid)
    exec_ns, first, last = run.times(footprint.read_pcap(cap.path), kport)
    n = len(run.users)
    own = re.search(r"farm: all .*", run.text)
    stop(run.proc, timeout=30)
    return {"lines": n, "exec_first_ms": (first - exec_ns) / 1e6, "exec_all_ms": (last - exec_ns) / 1e6,
            "rate_burst": n / max((last - first) / 1e9, 1e-9), "rate_exec": n / max((last - exec_ns) / 1e9, 1e-9),
            "ticks": ticks_registered, "ticks_settled": ticks_settled, "rss": st["VmRSS"], "anon": st["RssAnon"],
            "threads": st["Threads"], "own": own.group(0) if own else ""}


def med(runs: list, key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bindir")
    ap.add_argument("phones", type=int, nargs="?", default=1000)
    ap.add_argument("--lines", type=int, default=1, help="lines per phone (default 1)")
    ap.add_argument("--runs", type=int, default=2, help="runs of each program (default 2)")
    ap.add_argument("--baresip-accounts", type=int, default=0,
                    help="accounts of the big baresip (default: as many as the farm's lines)")
    a = ap.parse_args()
    lines = a.phones * a.lines
    accounts = a.baresip_accounts or lines
    work = tempfile.mkdtemp(prefix="bench-farm-")
    kam = cap = None
    try:
        users = {str(10001 + i): f"pw{10001 + i}" for i in range(lines)}
        users.update({str(60001 + i): f"pw{60001 + i}" for i in range(accounts)})
        kam, kport = start_kamailio(work, users)
        cap = footprint.Capture(work, kport)
        fig = {"deskphoned": {"one": [], "many": []}, "baresip": {"one": [], "many": []}}
        timeout = 60 + lines / 20
        for r in range(a.runs):
            fig["deskphoned"]["one"].append(measure(farm(a.bindir, work, kport, 1, a.lines, 10001), cap, kport, 30))
            fig["deskphoned"]["many"].append(measure(farm(a.bindir, work, kport, a.phones, a.lines, 10001), cap, kport, timeout))
            fig["baresip"]["one"].append(measure(baresip(work, kport, 1, 60001), cap, kport, 30))
            fig["baresip"]["many"].append(measure(baresip(work, kport, accounts, 60001), cap, kport, timeout))
            print(f"run {r + 1}: deskphoned {fig['deskphoned']['many'][-1]['exec_all_ms']:.0f} ms, "
                  f"baresip {fig['baresip']['many'][-1]['exec_all_ms']:.0f} ms ({load()})", flush=True)

        print(f"\nphone farm: deskphoned --farm {a.phones}, {a.lines} line(s) each = {lines} lines; baresip: one process "
              f"with {accounts} accounts; digest (qop=auth) at one Kamailio on lo; median of {a.runs} runs ({load()})")
        out = {}
        for k in ("deskphoned", "baresip"):
            one, many = fig[k]["one"], fig[k]["many"]
            n1, n = one[0]["lines"], many[0]["lines"]
            o = out[k] = {
                "exec_first_ms": med(many, "exec_first_ms"), "exec_all_ms": med(many, "exec_all_ms"),
                "rate_burst": med(many, "rate_burst"), "rate_exec": med(many, "rate_exec"),
                "ticks": med(many, "ticks"), "ticks_settled": med(many, "ticks_settled"),
                "rss": med(many, "rss"), "anon": med(many, "anon"), "rss1": med(one, "rss"), "anon1": med(one, "anon"),
                "threads": med(many, "threads"), "lines": n}
            o["anon_per_line"] = (o["anon"] - o["anon1"]) / (n - n1)
            o["rss_per_line"] = (o["rss"] - o["rss1"]) / (n - n1)
            print(f"{k:10} {n} lines: exec -> first REGISTER {o['exec_first_ms']:.1f} ms, exec -> all registered "
                  f"{o['exec_all_ms']:.1f} ms; {o['rate_burst']:.0f} registrations/s (first REGISTER -> last 200), "
                  f"{o['rate_exec']:.0f}/s from exec; CPU {o['ticks']:.0f} ticks at all registered, "
                  f"{o['ticks_settled']:.0f} {SETTLE} s later ({TICK}/s); {o['threads']:.0f} threads")
            print(f"{'':10} RssAnon {o['anon1']:.0f} kB ({n1} line) -> {o['anon']:.0f} kB = {o['anon_per_line']:.2f} kB "
                  f"per extra line; VmRSS {o['rss1']:.0f} -> {o['rss']:.0f} kB = {o['rss_per_line']:.2f} kB per extra line "
                  f"(runs: RssAnon {[r['anon'] for r in many]}, VmRSS {[r['rss'] for r in many]})")
        for r in fig["deskphoned"]["many"]:
            print(f"deskphoned's own report: {r['own']}")
        d, b = out["deskphoned"], out["baresip"]
        print(f"ratios deskphoned / baresip: exec -> all registered {d['exec_all_ms'] / b['exec_all_ms']:.2f}x, "
              f"rate {d['rate_burst'] / b['rate_burst']:.2f}x, CPU ticks {d['ticks'] / max(b['ticks'], 1):.2f}x, "
              f"RssAnon per extra line {d['anon_per_line'] / b['anon_per_line']:.2f}x, "
              f"VmRSS per extra line {d['rss_per_line'] / b['rss_per_line']:.2f}x", flush=True)
    finally:
        stop(cap.proc if cap else None)
        stop(kam)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
