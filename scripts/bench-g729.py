#!/usr/bin/env python3
"""G.729 call benchmark (issue 13): CPU of one G.729a call on the phone against mediastreamer2,
linphone's media engine (Debian's `mediastream` from libmediastreamer-tools, whose G.729 is
bcg729 like the phone's; baresip has no G.729, and linphone-cli is not in Debian 12), in the
same run. The phone dials SIPp (Tests/Peers/sipp-call-media.xml as the far end's signalling,
its SDP offering only payload 18 at mediastream's port); once connected, mediastream streams a
1 kHz WAV as G.729 to the phone's RTP port and records what the phone sends. Both sides then
encode and decode 20 ms G.729 packets for SECONDS:
  - CPU: utime+stime (/proc/PID/stat) of the phone over the call minus the same-length idle
    window before it, and of mediastream over the same window (a process that does nothing
    but the stream), and the ratio phone / mediastream;
  - the phone's `show rtp` at the end (packets both ways) and what mediastream recorded.
Usage: bench-g729.py BIN_DIR [SECONDS]"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from benchlib import ROOT, cpu_ticks, free_udp_port, load, stop

TICK = os.sysconf("SC_CLK_TCK")
MEDIA = (31000, 31098)


def free_even_port() -> int:
    while True:
        p = free_udp_port() & ~1
        if p > 1024:
            return p


def wait_for(what: str, predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise RuntimeError(f"timed out waiting for {what}")


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    bindir = sys.argv[1]
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    work = tempfile.mkdtemp(prefix="bench-g729-")
    procs = []
    try:
        subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", work + "/tone.wav", "synth", str(seconds + 20),
                        "sine", "1000", "vol", "0.5"], check=True)
        ms_port = free_even_port()
        scenario = open(ROOT + "/Tests/Peers/sipp-call-media.xml").read()
        scenario = (scenario.replace("@MEDIAPORT@", str(ms_port)).replace("RTP/AVP 0", "RTP/AVP 18")
                    .replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:18 G729/8000\n      a=fmtp:18 annexb=no"))
        open(work + "/uas.xml", "w").write(scenario)
        sip_port = free_udp_port()
        sipp = subprocess.Popen(["sipp", "-sf", work + "/uas.xml", "-i", "127.0.0.1", "-p", str(sip_port), "-m", "1",
                                 "-mp", str(free_udp_port()), "-cp", str(free_udp_port()), "-nostdin",
                                 "-timeout", f"{seconds + 120}s"],
                                stdout=open(work + "/sipp.out", "w"), stderr=subprocess.STDOUT)
        procs.append(sipp)

        prov = work + "/tftpboot"
        os.makedirs(prov)
        open(prov + "/SIPDefault.cnf", "w").write(
            f"proxy1_address: 127.0.0.1\nproxy1_port: {sip_port}\nproxy_register: 0\npreferred_codec: g729a\n"
            f"voip_control_port: {free_udp_port()}\nstart_media_port: {MEDIA[0]}\nend_media_port: {MEDIA[1]}\n"
            "telnet_level: 2\nphone_password: bench\n")
        open(prov + "/SIP0011AABBCC43.cnf", "w").write("line1_name: 620\nline1_password: pw620\n")
        log_path = work + "/deskphoned.log"
        phone = subprocess.Popen(
            [bindir + "/deskphoned", "--provision", prov, "--flash", work + "/flash", "--mac", "00:11:AA:BB:CC:43",
             "--telnet", "127.0.0.1:0", "--console", "none", "--sip-address", "127.0.0.1", "--config", "/dev/null",
             "--audio", f"file:{work}/tone.wav,{work}/record.wav", "--log-level", "info"],
            stderr=open(log_path, "w"), stdout=subprocess.DEVNULL)
        procs.append(phone)
        log = lambda: open(log_path, errors="replace").read()
        wait_for("the phone's telnet", lambda: re.search(r"telnet listening on .*:(\d+)", log()), 15)
        telnet = int(re.search(r"telnet listening on .*:(\d+)", log()).group(1))
        env = dict(os.environ, DESKPHONE_PASSWORD="bench")

        def cli(*commands: str) -> str:
            args = [bindir + "/deskphone", "cli", f"127.0.0.1:{telnet}"]
            for c in commands:
                args += ["-c", c]
            return subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  timeout=30).stdout

        print(f"== G.729a call, {seconds} s: deskphoned -> SIPp (signalling) with mediastream (mediastreamer2) as the media peer")
        print(f"   load: {load()}")
        time.sleep(1)
        i0 = cpu_ticks(phone.pid)
        time.sleep(seconds)
        idle = cpu_ticks(phone.pid) - i0

        cli("test open", "test offhook", "test key 1000#")
        shown = ""

        def connected() -> bool:
            nonlocal shown
            shown = cli("show calls", "show rtp")
            return "CONNECTED" in shown and "G729" in shown

        wait_for("a connected G.729 call", connected, 15)
        m = re.search(r"from 127\.0\.0\.1:(\d+)", shown)
        if not m:
            raise RuntimeError(f"no RTP port in {shown}")
        ms = subprocess.Popen(["mediastream", "--local", str(ms_port), "--remote", f"127.0.0.1:{m.group(1)}", "--payload", "18",
                               "--infile", work + "/tone.wav", "--outfile", work + "/heard.wav"],
                              stdout=open(work + "/mediastream.out", "w"), stderr=subprocess.STDOUT)
        procs.append(ms)
        time.sleep(2)   # both streams running
        c0 = (cpu_ticks(phone.pid), cpu_ticks(ms.pid))
        time.sleep(seconds)
        c1 = (cpu_ticks(phone.pid), cpu_ticks(ms.pid))
        shown = cli("show rtp")
        cli("test open", "test onhook")
        ms.send_signal(signal.SIGINT)
        ms.wait(timeout=10)

        phone_call = (c1[0] - c0[0]) - idle
        ms_call = c1[1] - c0[1]
        pct = lambda t: 100.0 * t / TICK / seconds
        print(f"   CPU deskphoned : call {c1[0] - c0[0]} ticks, idle {idle} ticks -> the call's own {phone_call} ticks = "
              f"{pct(phone_call):.2f} % of one core ({TICK} ticks/s)")
        print(f"   CPU mediastream: {ms_call} ticks = {pct(ms_call):.2f} % of one core (the stream alone)")
        if ms_call > 0:
            print(f"   CPU ratio deskphoned / mediastream: {phone_call / ms_call:.2f}x")
        for line in shown.splitlines():
            if "RTP-TxStat" in line or "RTP-RxStat" in line or "G729" in line:
                print("   phone's show rtp: " + line.strip())
        heard = os.path.getsize(work + "/heard.wav") if os.path.exists(work + "/heard.wav") else 0
        print(f"   mediastream recorded {heard} bytes ({max(0, heard - 44) / 16000:.1f} s) of the phone's G.729")
        if heard < 16000 * seconds / 2:
            print("bench-g729: mediastream recorded less than half the call", file=sys.stderr)
            return 1
        return 0
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                stop(p)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
