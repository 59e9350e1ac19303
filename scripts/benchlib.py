"""Helpers shared by the benchmark scripts (scripts/bench-*.py): free loopback ports, the
Kamailio registrar of Tests/Peers/kamailio.cfg, /proc figures of a process, the load average."""
import os
import signal
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_udp_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_kamailio(work: str, users: dict) -> tuple:
    """Kamailio in the foreground (its pid is the real process) on a free loopback port with
    `users` (name -> password) in its htable; (Popen, port) once its ctl socket exists."""
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
    stop(p)
    raise SystemExit("kamailio did not start")


def stop(p: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Stops a child we started, by its pid: `sig`, then SIGKILL if it has not exited."""
    if p is None or p.poll() is not None:
        return
    try:
        p.send_signal(sig)
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=timeout)


def cpu_ticks(pid: int) -> int:
    """utime + stime of the whole process, in clock ticks (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])


def proc_status(pid: int) -> dict:
    """The kB figures of /proc/PID/status (VmRSS = RssAnon + RssFile + RssShmem, VmHWM) and Threads."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                out[key] = int(value.split()[0])
    return out


def load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())
