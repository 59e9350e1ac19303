#!/usr/bin/env python3
"""Footprint and start-up benchmark (issue 16, TARGETS.md): a release deskphoned and baresip 1.0
side by side, in the same run, with the same accounts (1001, 1002: digest, qop=auth) registering
at the same loopback Kamailio (Tests/Peers/kamailio.cfg). Printed for both, and as ratios
deskphoned / baresip:
  - exec -> first REGISTER sent, and exec -> every line registered (the last 200 OK to a
    REGISTER), over RUNS runs each, alternating (deskphoned, baresip, baresip, deskphoned, ...).
    Every time is a kernel capture timestamp on lo (tcpdump, nanosecond precision): the
    REGISTERs and 200 OKs, and "exec", a marker datagram the child sends (to MARK_PORT) just
    before it calls execve (Popen's preexec_fn), so the exec itself, the dynamic loader, the
    runtime's start and option parsing all count, and the parent's wake-up does not;
  - the CPU time of that start (utime + stime of all its threads from wait4's rusage, the
    program killed as soon as the capture shows it registered): the load does not stretch it;
  - idle memory with two lines registered, SETTLE seconds after the last 200 OK (a REGISTER
    transaction stays for timer K, T4 = 5 s): VmRSS, RssAnon, RssFile, threads, VmSize;
  - idle CPU over IDLE seconds (both processes idle in the same window): utime+stime ticks and
    voluntary context switches of all threads, with the busiest threads named;
  - RssAnon per extra line: 1 -> 6 lines (deskphoned) and 1 -> 6 accounts (baresip), median of
    MEMORY_RUNS processes each (started together, measured once settled).
Regression guard: the figures are compared with the last recorded ones (bench/footprint-last.json;
`--record` writes them) and a WARNING is printed for each that is more than 10 % worse. Times are
guarded as ratios to baresip's (the machine's load moves both); small counts need an absolute
step too (SLACK), so 0 -> 1 tick is not a 10 % regression.
With --compare OTHER_BIN_DIR, another deskphoned build (the one before a change) runs alongside as
"deskphoned-b" in every part, for before/after figures from one run (not guarded, not recorded).
Usage: bench-footprint.py BIN_DIR [--runs N] [--idle SECONDS] [--record] [--baseline FILE] [--compare DIR]
                          [--startup-only]"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import tempfile
import time

from benchlib import ROOT, free_udp_port, load, start_kamailio, stop

USERS = [str(1001 + i) for i in range(6)]   # the most lines deskphoned has (a 7960)
TWO = USERS[:2]
MARK_PORT = 9   # discard: where the exec markers go (nothing listens; the capture sees them)
SETTLE = 6   # seconds after the last 200 OK: timer K (T4 = 5 s) has ended every transaction
MEMORY_RUNS = 3
TICK = os.sysconf("SC_CLK_TCK")
BASELINE = os.path.join(ROOT, "bench/footprint-last.json")
# A figure is flagged when it is > 10 % worse and also at least this much worse (counts, noise).
SLACK = {"idle_ticks": 1, "idle_voluntary_switches": 3, "threads": 0, "rss_anon_per_line_kb": 2.0}


def read_pcap(path: str) -> list:
    """(time in ns, src port, dst port, UDP payload) of each IPv4/UDP packet of a pcap file (a
    packet still being written at the end is left out)."""
    try:
        data = open(path, "rb").read()
    except FileNotFoundError:
        return []
    if len(data) < 24:
        return []
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    link = {1: 14, 113: 16, 276: 20, 0: 4}[struct.unpack(endian + "I", data[20:24])[0]]
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        if off + 16 + caplen > len(data):
            break
        ip = data[off + 16 + link:off + 16 + caplen]
        off += 16 + caplen
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        udp = ip[(ip[0] & 15) * 4:]
        sport, dport = struct.unpack("!HH", udp[:4])
        out.append((sec * 1_000_000_000 + frac * (1 if nano else 1000), sport, dport, udp[8:]))
    return out


TO_USER = re.compile(rb"\r\n(?:To|t)\s*:[^\r]*?sip:(\d+)@", re.I)


def registration(packets: list, kport: int, port: int, since: int, users: list) -> tuple:
    """(first REGISTER, last of the first 200 OK for each user) in ns, from the capture, for the
    phone whose SIP port is `port`; None where not (yet) seen."""
    first, ok = None, {}
    for t, sport, dport, payload in packets:
        if t < since:
            continue
        if sport == port and dport == kport and payload.startswith(b"REGISTER ") and first is None:
            first = t
        elif sport == kport and dport == port and payload.startswith(b"SIP/2.0 200") and \
                re.search(rb"\r\nCSeq\s*:\s*\d+\s+REGISTER", payload, re.I):
            m = TO_USER.search(payload)
            if m and m.group(1).decode() in users:
                ok.setdefault(m.group(1).decode(), t)
    return first, (max(ok.values()) if len(ok) == len(users) else None)


class Program:
    """One process of either kind, registering `users` at the registrar on `kport`."""
    tag = 0

    def __init__(self, kind: str, bindir: str, work: str, kport: int, users: list):
        Program.tag += 1
        self.kind, self.users, self.port = kind, users, free_udp_port()
        if kind == "deskphoned-b":
            bindir = Program.compare
        d = f"{work}/{kind}-{Program.tag}"
        os.makedirs(d)
        if kind.startswith("deskphoned"):
            open(d + "/SIPDefault.cnf", "w").write(
                f"proxy1_address: 127.0.0.1\nproxy1_port: {kport}\nproxy_register: 1\n"
                f"voip_control_port: {self.port}\ntimer_register_expires: 3600\n")
            # A MAC of its own (Call-IDs and tags are made from it) when many run at once.
            mac = f"0011AABB{Program.tag >> 8 & 255:02X}{Program.tag & 255:02X}"
            open(d + f"/SIP{mac}.cnf", "w").write(
                "".join(f"line{n}_name: {u}\nline{n}_password: pw{u}\n" for n, u in enumerate(users, 1)))
            argv = [bindir + "/deskphoned", "--provision", d, "--flash", d + "/flash", "--mac", mac,
                    "--telnet", "127.0.0.1:0", "--console", "none", "--sip-address", "127.0.0.1", "--config", "/dev/null"]
        else:
            # A headless phone: G.711, no sound card (aubridge), the account module.
            open(d + "/config", "w").write(
                f"poll_method epoll\nnet_interface 127.0.0.1\nsip_listen 127.0.0.1:{self.port}\n"
                "audio_player aubridge,discard\naudio_source aubridge,discard\naudio_alert aubridge,discard\n"
                "module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aubridge.so\nmodule_app account.so\n")
            open(d + "/accounts", "w").write(
                "".join(f"<sip:{u}@127.0.0.1:{kport};transport=udp>;auth_pass=pw{u};regint=3600\n" for u in users))
            argv = ["baresip", "-f", d]
        self.log = open(f"{d}.log", "w")
        self.mark = f"exec {os.getpid()} {Program.tag}".encode()
        mark = self.mark

        def marker() -> None:   # in the child, just before execve
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(mark, ("127.0.0.1", MARK_PORT))
            s.close()
        self.spawned = time.time_ns()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=marker)
        self.exec = self.spawned   # until exec_time() finds the marker in the capture

    def exec_time(self, packets: list) -> int:
        """The capture's timestamp of this program's exec marker (ns)."""
        for t, _, dport, payload in packets:
            if dport == MARK_PORT and payload == self.mark:
                self.exec = t
                return t
        raise SystemExit(f"no exec marker for {self.kind} in the capture")

    def registered_by_log(self) -> bool:
        """Every user registered, as the program's own log says (deskphoned: `line N:
        REGISTERED`, baresip: `USER@...: {...} 200 OK`)."""
        self.log.flush()
        text = open(self.log.name, errors="replace").read()
        if self.kind.startswith("deskphoned"):
            return len(set(re.findall(r"line (\d+): REGISTERED", text))) == len(self.users)
        return set(re.findall(r"(\d+)@127\.0\.0\.1: \{[^}]*\} 200 OK", text)) == set(self.users)

    def pid(self) -> int:
        return self.proc.pid

    def status(self) -> dict:
        out = {}
        with open(f"/proc/{self.pid()}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile", "VmSize", "Threads"):
                    out[key] = int(value.split()[0])
        return out

    def ticks(self) -> int:
        with open(f"/proc/{self.pid()}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return int(fields[11]) + int(fields[12])

    def switches(self) -> dict:
        """tid -> (voluntary, involuntary, name) of each live thread."""
        out = {}
        for tid in os.listdir(f"/proc/{self.pid()}/task"):
            try:
                with open(f"/proc/{self.pid()}/task/{tid}/status") as f:
                    fields = {k: v.strip() for k, _, v in (l.partition(":") for l in f)}
                out[tid] = (int(fields["voluntary_ctxt_switches"]), int(fields["nonvoluntary_ctxt_switches"]), fields["Name"])
            except FileNotFoundError:
                pass
        return out

    def stop(self) -> None:
        stop(self.proc)


class Capture:
    """tcpdump on lo for the registrar's port, one packet written at a time (-U)."""

    def __init__(self, work: str, kport: int):
        self.path = work + "/sip.pcap"
        err = open(work + "/tcpdump.log", "w+")
        self.proc = subprocess.Popen(["tcpdump", "-i", "lo", "-n", "-U", "-s", "2000", "-Z", "root",
                                      "--time-stamp-precision=nano", "-w", self.path, "udp", "port", str(kport), "or", "udp", "port", str(MARK_PORT)],
                                     stdout=subprocess.DEVNULL, stderr=err)
        for _ in range(500):
            err.seek(0)
            if "listening on" in err.read():
                return
            time.sleep(0.01)
        raise SystemExit("tcpdump did not start")

    def stop(self) -> None:
        stop(self.proc)


def wait_registered(cap: Capture, kport: int, programs: list, timeout: float = 15, by_log: bool = False) -> None:
    """Until the capture shows every user of every program registered (polled every 5 ms: the
    times come from the capture, the poll only decides when to go on); with `by_log`, until
    the programs' logs say so (many at once: no timing taken)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if by_log:
            if all(p.registered_by_log() for p in programs):
                return
            time.sleep(0.1)
            continue
        packets = read_pcap(cap.path)
        if all(registration(packets, kport, p.port, p.exec, p.users)[1] for p in programs):
            return
        time.sleep(0.005)
    for p in programs:
        p.stop()
    raise SystemExit("not every line registered; logs in the work folder: " + ", ".join(p.log.name for p in programs))


def ms(ns: float) -> float:
    return ns / 1e6


def summary(values: list) -> str:
    v = sorted(values)
    return f"min {v[0]:.1f}, p50 {statistics.median(v):.1f}, max {v[-1]:.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bindir")
    ap.add_argument("--runs", type=int, default=20, help="start-up runs of each program (default 20)")
    ap.add_argument("--idle", type=float, default=60, help="idle window in seconds (default 60)")
    ap.add_argument("--record", action="store_true", help="write the figures as the new baseline")
    ap.add_argument("--baseline", default=BASELINE)
    ap.add_argument("--compare", metavar="DIR", help="another deskphoned build, run alongside as deskphoned-b")
    ap.add_argument("--startup-only", action="store_true", help="the start-up figures only (no guard, no record)")
    args = ap.parse_args()
    Program.compare = args.compare
    work = tempfile.mkdtemp(prefix="bench-fp-")
    kam = cap = None
    finished = False
    live = []
    try:
        kam, kport = start_kamailio(work, {u: f"pw{u}" for u in USERS})
        cap = Capture(work, kport)
        kinds = ("deskphoned", "baresip") + (("deskphoned-b",) if args.compare else ())
        starts = {k: [] for k in kinds}
        firsts = {k: [] for k in kinds}
        exchanges = {k: [] for k in kinds}
        cpus = {k: [] for k in kinds}
        for r in range(args.runs):
            for kind in (kinds if r % 2 == 0 else kinds[::-1]):
                p = Program(kind, args.bindir, work, kport, TWO)
                live.append(p)
                wait_registered(cap, kport, [p])
                # Killed at once: its rusage is the CPU time from exec to registered (plus the
                # few ms of polling, idle), which the machine's load does not stretch.
                p.proc.send_signal(signal.SIGKILL)
                _, _, usage = os.wait4(p.proc.pid, 0)
                p.proc.returncode = -signal.SIGKILL
                live.remove(p)
                cpus[kind].append((usage.ru_utime + usage.ru_stime) * 1000)
                packets = read_pcap(cap.path)
                p.exec_time(packets)
                first, done = registration(packets, kport, p.port, p.exec, p.users)
                starts[kind].append(ms(done - p.exec))
                firsts[kind].append(ms(first - p.exec))
                exchanges[kind].append(ms(done - first))
                time.sleep(0.05)
        fig = {k: {} for k in kinds}
        print(f"start-up, 2 lines, {args.runs} runs each, alternating ({load()}):")
        for k in kinds:
            fig[k]["start_registered_ms"] = statistics.median(starts[k])
            fig[k]["start_first_register_ms"] = statistics.median(firsts[k])
            fig[k]["start_cpu_ms"] = statistics.median(cpus[k])
            print(f"  {k:10}  exec -> all registered {summary(starts[k])};  exec -> first REGISTER "
                  f"{summary(firsts[k])};  first REGISTER -> last 200 OK p50 {statistics.median(exchanges[k]):.2f} ms;  "
                  f"CPU exec -> registered (rusage) {summary(cpus[k])}")
        for k in kinds[::2]:
            for key in ("start_registered_ms", "start_first_register_ms", "start_cpu_ms"):
                fig[k][key.replace("_ms", "_ratio")] = fig[k][key] / fig["baresip"][key]
            print(f"  ratio {k[10:] or '  ':2}    all registered {fig[k]['start_registered_ratio']:.2f}x, "
                  f"first REGISTER {fig[k]['start_first_register_ratio']:.2f}x, CPU {fig[k]['start_cpu_ratio']:.2f}x "
                  f"(p50 / p50)", flush=True)

        if args.startup_only:
            finished = True
            return
        # Idle: one of each, two lines, settled, then the same idle window for both. An idle
        # deskphoned hears every other one's SNTP broadcasts (anycast, the default sntp_mode), so
        # a --compare build has a window of its own.
        for window in ([k for k in kinds if k != "deskphoned-b"], ["deskphoned-b"] if args.compare else []):
            if window:
                idle_window(window, fig, args, work, kport, cap, live)
        for k in kinds[::2]:
            d, b = fig[k], fig["baresip"]
            print(f"  ratio {k[10:] or '  ':2}    " + ", ".join(f"{n} {d[key] / b[key]:.2f}x" for n, key in
                                               (("VmRSS", "vm_rss_kb"), ("RssAnon", "rss_anon_kb"), ("RssFile", "rss_file_kb"),
                                                ("threads", "threads"), ("VmSize", "vm_size_kb"))), flush=True)

        # RssAnon per extra line: 1 and 6 lines, MEMORY_RUNS processes each, all at once.
        group = [Program(k, args.bindir, work, kport, USERS[:n]) for k in kinds for n in (1, 6) for _ in range(MEMORY_RUNS)]
        live += group
        wait_registered(cap, kport, group, timeout=60, by_log=True)
        time.sleep(SETTLE)
        print(f"RssAnon per extra line, 1 -> 6 lines, median of {MEMORY_RUNS} processes each ({load()}):")
        for k in kinds:
            one = [p.status()["RssAnon"] for p in group if p.kind == k and len(p.users) == 1]
            six = [p.status()["RssAnon"] for p in group if p.kind == k and len(p.users) == 6]
            per = (statistics.median(six) - statistics.median(one)) / 5
            fig[k]["rss_anon_per_line_kb"] = per
            print(f"  {k:10}  {per:.1f} kB/line (RssAnon kB {one} -> {six})")
        for k in kinds[::2]:
            print(f"  ratio {k[10:] or '  ':2}    {fig[k]['rss_anon_per_line_kb'] / fig['baresip']['rss_anon_per_line_kb']:.2f}x"
                  if fig["baresip"]["rss_anon_per_line_kb"] > 0 else "  ratio       n/a", flush=True)
        for p in group:
            p.stop()
        live.clear()

        fig.pop("deskphoned-b", None)
        guard(fig, args)
        finished = True
    finally:
        for p in live:
            p.stop()
        if cap:
            cap.stop()
        if kam:
            kam.send_signal(signal.SIGTERM)
            kam.wait(timeout=10)
        if finished:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work folder kept: {work}")


def idle_window(window: list, fig: dict, args, work: str, kport: int, cap, live: list) -> None:
    """One process of each kind in `window`, two lines, settled: memory, then CPU and context
    switches over the same idle window."""
    idle = [Program(k, args.bindir, work, kport, TWO) for k in window]
    live += idle
    wait_registered(cap, kport, idle)
    time.sleep(SETTLE)
    print(f"idle, 2 lines registered, {SETTLE} s after ({load()}):")
    for p in idle:
        st = p.status()
        fig[p.kind].update(vm_rss_kb=st["VmRSS"], rss_anon_kb=st["RssAnon"], rss_file_kb=st["RssFile"],
                           threads=st["Threads"], vm_size_kb=st["VmSize"])
        print(f"  {p.kind:10}  VmRSS {st['VmRSS']} kB (RssAnon {st['RssAnon']}, RssFile {st['RssFile']}), "
              f"{st['Threads']} threads, VmSize {st['VmSize']} kB")
    before = [(p.ticks(), p.switches()) for p in idle]
    time.sleep(args.idle)
    print(f"idle CPU over {args.idle:g} s, in the same window ({load()}):")
    for p, (t0, s0) in zip(idle, before):
        t1, s1 = p.ticks(), p.switches()
        delta = {t: (v - s0.get(t, (0, 0, ""))[0], i - s0.get(t, (0, 0, ""))[1], n) for t, (v, i, n) in s1.items()}
        vol, inv = sum(x[0] for x in delta.values()), sum(x[1] for x in delta.values())
        busy = ", ".join(f"{n}[{t}] {v}" for t, (v, i, n) in sorted(delta.items(), key=lambda e: -e[1][0]) if v)
        fig[p.kind].update(idle_ticks=t1 - t0, idle_voluntary_switches=vol, idle_window_s=args.idle)
        print(f"  {p.kind:10}  {t1 - t0} ticks ({TICK}/s), {vol} voluntary + {inv} involuntary context switches "
              f"(by thread: {busy or 'none'})", flush=True)
    for p in idle:
        p.stop()
        live.remove(p)


def guard(fig: dict, args) -> None:
    """Warns about each deskphoned figure > 10 % worse than the recorded one (all: lower is
    better); --record stores this run's figures."""
    guarded = ("start_registered_ratio", "start_first_register_ratio", "start_cpu_ratio", "vm_rss_kb", "rss_anon_kb", "rss_file_kb",
               "threads", "vm_size_kb", "idle_ticks", "idle_voluntary_switches", "rss_anon_per_line_kb")
    try:
        old = json.load(open(args.baseline))
    except (FileNotFoundError, ValueError):
        old = None
    if old:
        scale = args.idle / old["deskphoned"].get("idle_window_s", args.idle)
        warned = 0
        for key in guarded:
            was, now = old["deskphoned"].get(key), fig["deskphoned"][key]
            if was is None:
                continue
            if key.startswith("idle_") and key != "idle_window_s":
                was *= scale   # counts over a window of another length
            if now > was * 1.10 and now - was > SLACK.get(key, 0):
                warned += 1
                print(f"WARNING: footprint regression: {key} {now:.2f} against {was:.2f} recorded "
                      f"({os.path.relpath(args.baseline, ROOT)}, {old.get('recorded', '?')})")
        if not warned:
            print(f"footprint guard: no figure more than 10 % worse than {os.path.relpath(args.baseline, ROOT)} "
                  f"({old.get('recorded', '?')})")
    if args.record:
        fig["recorded"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()) + f", {load()}, runs {args.runs}"
        os.makedirs(os.path.dirname(args.baseline), exist_ok=True)
        with open(args.baseline, "w") as f:
            json.dump(fig, f, indent=2, sort_keys=True)
            f.write("\n")
        print(f"recorded: {os.path.relpath(args.baseline, ROOT)}")


if __name__ == "__main__":
    main()
