#!/usr/bin/env python3
"""Calls benchmark (issue 12, TARGETS.md): one G.711 (PCMU) call of SECONDS between a release
deskphoned and baresip 1.0, both registered at one loopback Kamailio (Tests/Peers/kamailio.cfg,
digest), the phone dialling baresip's number (1002) with `test offhook` / `test key 1002#` over
telnet, baresip answering by itself (answermode=auto), the phone hanging up with `test onhook`.
The phone's microphone reads a 1 kHz WAV and its handset writes a WAV (`--audio file:`);
baresip's source is a 440 Hz WAV (aufile) and its player discards (aubridge), both 8 kHz mono.
Measured in the same run, for both sides:
  - CPU: utime+stime (/proc/PID/stat) over the call's SECONDS minus the same-length idle window
    just before the call (registered, no call), and the ratio phone / baresip; CPU % of one core;
  - RTP send gaps: tcpdump on lo over the media ports during the call, then per SSRC the gaps
    between consecutive packets' capture timestamps (p50, p99, min, max, and how many lie
    within 20 +- 0.5 ms);
  - memory per active call: VmRSS and RssAnon at the end of the call minus at the end of the
    idle window.
Then (extra, skipped with --no-busy-cli) the same call again while 7 telnet sessions run
`show network` back to back (deskphone cli --repeat; the phone's limit is 8 sessions and the
`test` commands need one), during the idle window too, so the difference is still the call's.
With --null-audio the phone runs `--audio null` instead of the WAV pair (its file device does two
pwrites per 20 ms frame for RECORD; baresip's aubridge player writes nothing).
Exits non-zero when the call did not connect or a side sent no RTP.
Usage: bench-call.py BIN_DIR [SECONDS] [--no-busy-cli] [--null-audio]"""
import json
import os
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import cpu_ticks, free_udp_port, load, proc_status, start_kamailio, stop

PHONE_MEDIA = (30000, 30098)     # start_media_port, end_media_port of the phone
BARESIP_MEDIA = (30100, 30198)   # baresip's rtp_ports
PHONE_USER, BARESIP_USER = "620", "1002"
CLI_SESSIONS = 7   # the phone takes 8 telnet sessions at most (TelnetServer); one is kept for `test`
TICK = os.sysconf("SC_CLK_TCK")


def wav(path: str, frequency: int, seconds: int) -> None:
    """`seconds` of a sine at `frequency`, 8 kHz 16-bit mono (sox)."""
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", path, "synth", str(seconds), "sine",
                    str(frequency), "vol", "0.5"], check=True)


def wait_for(what: str, predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise RuntimeError(f"timed out waiting for {what}")


class Baresip:
    """baresip 1.0 with account 1002 at the registrar, auto-answer, ctrl_tcp for its events."""

    def __init__(self, work: str, registrar: int, source: str):
        self.dir = work + "/baresip"
        os.makedirs(self.dir)
        ctrl = free_udp_port()
        with open(self.dir + "/config", "w") as f:
            f.write(f"poll_method epoll\nnet_interface 127.0.0.1\nsip_listen 127.0.0.1:{free_udp_port()}\n"
                    f"audio_source aufile,{source}\naudio_player aubridge,discard\naudio_alert aubridge,discard\n"
                    "ausrc_srate 8000\nausrc_channels 1\nauplay_srate 8000\nauplay_channels 1\n"
                    f"rtp_ports {BARESIP_MEDIA[0]}-{BARESIP_MEDIA[1]}\nrtp_stats yes\n"
                    "module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aufile.so\nmodule aubridge.so\n"
                    f"module_app account.so\nmodule_app ctrl_tcp.so\nctrl_tcp_listen 127.0.0.1:{ctrl}\n")
        with open(self.dir + "/accounts", "w") as f:
            f.write(f"<sip:{BARESIP_USER}@127.0.0.1:{registrar};transport=udp>;auth_pass=pw{BARESIP_USER};"
                    "answermode=auto;ptime=20;audio_codecs=PCMU/8000/1\n")
        self.log_path = work + "/baresip.log"
        self.proc = subprocess.Popen(["baresip", "-f", self.dir], stdin=subprocess.DEVNULL,
                                     stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        self.events = []
        wait_for("baresip's registration", lambda: "200 OK" in self.log(), 5)
        self.ctrl = socket.create_connection(("127.0.0.1", ctrl), timeout=5)
        self.ctrl.settimeout(None)
        threading.Thread(target=self._read_events, daemon=True).start()

    def log(self) -> str:
        return open(self.log_path, errors="replace").read()

    def _read_events(self) -> None:
        """Netstring-framed JSON (`LEN:{...},`) from ctrl_tcp."""
        buf = b""
        while True:
            try:
                data = self.ctrl.recv(4096)
            except OSError:
                return
            if not data:
                return
            buf += data
            while b":" in buf:
                head, _, rest = buf.partition(b":")
                if not head.isdigit() or len(rest) < int(head) + 1:
                    break
                n = int(head)
                try:
                    self.events.append(json.loads(rest[:n]))
                except ValueError:
                    pass
                buf = rest[n + 1:]

    def saw(self, kind: str) -> int:
        return sum(1 for e in self.events if e.get("type") == kind)

    def stop(self) -> None:
        try:
            self.ctrl.close()
        except OSError:
            pass
        stop(self.proc)


class Phone:
    """A release deskphoned with line 1 (620) registering at the registrar, file audio, telnet on."""

    def __init__(self, bindir: str, work: str, registrar: int, audio: str, log_level: str = "info"):
        self.bindir = bindir
        prov = work + "/tftpboot"
        os.makedirs(prov)
        with open(prov + "/SIPDefault.cnf", "w") as f:
            f.write(f"proxy1_address: 127.0.0.1\nproxy1_port: {registrar}\nproxy_register: 1\n"
                    f"voip_control_port: {free_udp_port()}\ntimer_register_expires: 3600\n"
                    f"start_media_port: {PHONE_MEDIA[0]}\nend_media_port: {PHONE_MEDIA[1]}\n"
                    "telnet_level: 2\nphone_password: bench\n")
        with open(prov + "/SIP0011AABBCC42.cnf", "w") as f:
            f.write(f"line1_name: {PHONE_USER}\nline1_password: pw{PHONE_USER}\n")
        self.log_path = work + "/deskphoned.log"
        # BENCH_WRAP: a profiler to run the phone under (e.g. "perf record -g -o /tmp/p.data --");
        # its figures are then the profiler's, not the phone's.
        wrap = os.environ.get("BENCH_WRAP", "").split()
        self.proc = subprocess.Popen(
            wrap + [bindir + "/deskphoned", "--provision", prov, "--flash", work + "/flash", "--mac", "00:11:AA:BB:CC:42",
             "--telnet", "127.0.0.1:0", "--console", "none", "--sip-address", "127.0.0.1", "--config", "/dev/null",
             "--audio", audio, "--log-level", log_level],
            stderr=open(self.log_path, "w"), stdout=subprocess.DEVNULL)
        wait_for("the phone's registration", lambda: "line 1: REGISTERED" in self.log(), 10)
        self.telnet = int(re.search(r"telnet listening on .*:(\d+)", self.log()).group(1))
        self.env = dict(os.environ, DESKPHONE_PASSWORD="bench")

    def log(self) -> str:
        return open(self.log_path, errors="replace").read()

    def cli(self, *commands: str) -> str:
        args = [self.bindir + "/deskphone", "cli", f"127.0.0.1:{self.telnet}"]
        for c in commands:
            args += ["-c", c]
        r = subprocess.run(args, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"deskphone cli {commands} exited {r.returncode}: {r.stdout}")
        return r.stdout

    def busy_clients(self, work: str) -> list:
        """CLI_SESSIONS telnet sessions running `show network` back to back until stopped."""
        return [subprocess.Popen([self.bindir + "/deskphone", "cli", f"127.0.0.1:{self.telnet}", "-c", "show network",
                                  "--repeat", "100000000", "--quiet"], env=self.env,
                                 stdout=subprocess.DEVNULL, stderr=open(f"{work}/cli-{i}.log", "w"))
                for i in range(CLI_SESSIONS)]

    def stop(self) -> None:
        stop(self.proc)


# MARK: the capture

def read_pcap(path: str) -> list:
    """(time in s, src port, dst port, UDP payload) of each IPv4/UDP packet of a pcap file."""
    data = open(path, "rb").read()
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise RuntimeError(f"{path}: not a pcap file")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    link_header = {1: 14, 113: 16, 276: 20, 0: 4, 101: 0, 228: 0}.get(linktype)
    if link_header is None:
        raise RuntimeError(f"{path}: link type {linktype} not handled")
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        ip = pkt[link_header:]
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        udp = ip[(ip[0] & 15) * 4:]
        sport, dport = struct.unpack("!HH", udp[:4])
        out.append((sec + frac / (1e9 if nano else 1e6), sport, dport, udp[8:]))
    return out


def rtp_streams(packets: list) -> dict:
    """Capture times of each RTP stream (version 2, not RTCP), by (SSRC, src port, dst port)."""
    streams = {}
    for t, sport, dport, payload in packets:
        if len(payload) < 12 or payload[0] >> 6 != 2 or 72 <= (payload[1] & 0x7F) <= 76:
            continue
        ssrc = struct.unpack("!I", payload[8:12])[0]
        streams.setdefault((ssrc, sport, dport), []).append(t)
    return streams


def gap_figures(times: list) -> dict:
    gaps = sorted((b - a) * 1000 for a, b in zip(times, times[1:]))
    if not gaps:
        return {"packets": len(times)}
    return {"packets": len(times), "p50": statistics.median(gaps), "p99": gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))],
            "min": gaps[0], "max": gaps[-1], "within": sum(1 for g in gaps if 19.5 <= g <= 20.5) / len(gaps) * 100}


def describe_gaps(g: dict) -> str:
    if "p50" not in g:
        return f"{g['packets']} packets"
    return (f"{g['packets']} packets, gaps p50 {g['p50']:.2f} ms, p99 {g['p99']:.2f} ms, min {g['min']:.2f} ms, "
            f"max {g['max']:.2f} ms, {g['within']:.1f} % within 20 +- 0.5 ms")


# MARK: one measured call

def measured_call(phone: Phone, baresip: Baresip, work: str, seconds: int, label: str, busy: bool) -> bool:
    """Idle window, then the call, both `seconds` long; prints the figures; True when the call
    connected and both sides sent RTP."""
    clients, dump = [], None
    slug = "busy" if busy else "call"
    pcap = f"{work}/{slug}.pcap"
    try:
        if busy:
            clients = phone.busy_clients(work)
            time.sleep(1)
            if any(c.poll() is not None for c in clients):
                raise RuntimeError("a busy CLI session ended early")
        established, closed = baresip.saw("CALL_ESTABLISHED"), baresip.saw("CALL_CLOSED")
        # Idle window: registered, no call (and the CLI sessions running when `busy`).
        idle_load = load()
        i0 = (cpu_ticks(phone.proc.pid), cpu_ticks(baresip.proc.pid))
        time.sleep(seconds)
        i1 = (cpu_ticks(phone.proc.pid), cpu_ticks(baresip.proc.pid))
        mem0 = (proc_status(phone.proc.pid), proc_status(baresip.proc.pid))

        dump_err = open(f"{work}/{slug}-tcpdump.log", "w+")
        dump = subprocess.Popen(["tcpdump", "-i", "lo", "-n", "-s", "96", "-Z", "root", "-w", pcap, "udp", "portrange",
                                 f"{PHONE_MEDIA[0]}-{BARESIP_MEDIA[1] + 1}"],
                                stdout=subprocess.DEVNULL, stderr=dump_err)
        wait_for("tcpdump", lambda: (dump_err.seek(0), "listening on" in dump_err.read())[1], 5)

        phone.cli("test open", "test offhook", f"test key {BARESIP_USER}#")
        wait_for("baresip's CALL_ESTABLISHED", lambda: baresip.saw("CALL_ESTABLISHED") > established, 10)
        call_load0 = load()
        c0 = (cpu_ticks(phone.proc.pid), cpu_ticks(baresip.proc.pid))
        time.sleep(seconds)
        c1 = (cpu_ticks(phone.proc.pid), cpu_ticks(baresip.proc.pid))
        mem1 = (proc_status(phone.proc.pid), proc_status(baresip.proc.pid))
        call_load = load()
        shown = phone.cli("show calls")
        phone.cli("test open", "test onhook")
        wait_for("baresip's CALL_CLOSED", lambda: baresip.saw("CALL_CLOSED") > closed, 10)
        time.sleep(0.2)
        stop(dump, signal.SIGINT)
    finally:
        for c in clients:
            stop(c)
        if dump is not None:
            stop(dump, signal.SIGINT)

    cli_note = f", with {CLI_SESSIONS} telnet sessions running `show network` back to back" if busy else ""
    print(f"\n== {label}: {seconds} s PCMU call, deskphoned ({PHONE_USER}) -> baresip 1.0 ({BARESIP_USER}) through "
          f"Kamailio (both registered; RTP direct){cli_note}", flush=True)
    print(f"   load: idle window started {idle_load}; call started {call_load0}; call ended {call_load}")
    connected = "CONNECTED" in shown
    line = next((l.strip() for l in shown.splitlines() if "CONNECTED" in l or "sent" in l), shown.strip()[:200])
    print(f"   phone's show calls at the end: {line}")

    names = ("deskphoned", "baresip")
    net = []
    for k, name in enumerate(names):
        idle, call = i1[k] - i0[k], c1[k] - c0[k]
        net.append(call - idle)
        print(f"   CPU {name:10}: call {call} ticks, idle {idle} ticks -> the call's own {call - idle} ticks "
              f"= {(call - idle) / TICK:.2f} s = {(call - idle) / TICK / seconds * 100:.2f} % of one core "
              f"(whole process during the call {call / TICK / seconds * 100:.2f} %; {TICK} ticks/s)")
    if busy:
        # The sessions run flat out: the phone spends what the CPU gives it on them in both
        # windows, so call - idle is not the call's cost (it can come out negative).
        print("   CPU ratio: not given with the CLI busy (the CLI takes whatever CPU is left in both windows, "
              "so call - idle does not isolate the call)")
    else:
        ratio = f"{net[0] / net[1]:.2f}x" if net[1] > 0 else "n/a (baresip's delta is 0)"
        print(f"   CPU ratio deskphoned / baresip: {ratio} (target <= 0.5x)")
    for k, name in enumerate(names):
        a, b = mem0[k], mem1[k]
        print(f"   memory {name:10}: VmRSS {a['VmRSS']} -> {b['VmRSS']} kB ({b['VmRSS'] - a['VmRSS']:+d} kB), "
              f"RssAnon {a['RssAnon']} -> {b['RssAnon']} kB ({b['RssAnon'] - a['RssAnon']:+d} kB) per active call; "
              f"threads {a['Threads']} -> {b['Threads']}")
    print(f"   (baresip's aufile loads its whole source WAV, {(seconds + 20) * 16} kB, at the start of each call)")

    streams = rtp_streams(read_pcap(pcap))
    phone_streams = {k: v for k, v in streams.items() if PHONE_MEDIA[0] <= k[1] <= PHONE_MEDIA[1]}
    baresip_streams = {k: v for k, v in streams.items() if BARESIP_MEDIA[0] <= k[1] <= BARESIP_MEDIA[1]}
    for name, group in (("deskphoned", phone_streams), ("baresip", baresip_streams)):
        if not group:
            print(f"   RTP {name:10}: no packets captured")
        for (ssrc, sport, dport), times in sorted(group.items(), key=lambda kv: -len(kv[1])):
            print(f"   RTP {name:10}: SSRC {ssrc:08x} {sport}->{dport}: {describe_gaps(gap_figures(times))}")
    others = len(streams) - len(phone_streams) - len(baresip_streams)
    if others:
        print(f"   ({others} other RTP-looking streams in the capture ignored)")
    ok = connected and bool(phone_streams) and bool(baresip_streams)
    if not ok:
        print(f"   FAILED: connected {connected}, phone's streams {len(phone_streams)}, baresip's {len(baresip_streams)}")
    return ok


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    busy = "--no-busy-cli" not in sys.argv
    null_audio = "--null-audio" in sys.argv
    bindir = args[0]
    seconds = int(args[1]) if len(args) > 1 else 60
    work = tempfile.mkdtemp(prefix="bench-call-")
    os.chmod(work, 0o755)
    kam = baresip = phone = None
    ok = False
    try:
        wav(work + "/play.wav", 1000, 10)
        wav(work + "/baresip.wav", 440, seconds + 20)   # aufile stops at the end; each call starts it again
        kam, registrar = start_kamailio(work, {PHONE_USER: f"pw{PHONE_USER}", BARESIP_USER: f"pw{BARESIP_USER}"})
        baresip = Baresip(work, registrar, work + "/baresip.wav")
        audio = "null" if null_audio else f"file:{work}/play.wav,{work}/record.wav"
        print(f"phone's audio: --audio {audio}; baresip's: aufile (440 Hz WAV) -> aubridge (discards)", flush=True)
        phone = Phone(bindir, work, registrar, audio)
        time.sleep(6)   # timer K of the REGISTER transactions (T4 = 5 s) is over
        ok = measured_call(phone, baresip, work, seconds, "call", busy=False)
        if ok and busy:
            ok = measured_call(phone, baresip, work, seconds, "extra: call while the CLI is busy", busy=True)
        return 0 if ok else 1
    except RuntimeError as e:
        print(f"bench-call: {e}", file=sys.stderr)
        return 1
    finally:
        for p in (phone, baresip):
            if p is not None:
                p.stop()
        stop(kam)
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"bench-call: logs kept in {work}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
