#!/usr/bin/env python3
"""Writes the provisioning folder of a phone farm (`deskphoned --farm N`): one SIPDefault.cnf for
every phone (the registrar, proxy_register: 1) and one SIP<MAC>.cnf per phone, phone n (1..N)
having the MAC FIRST_MAC + n - 1 as the farm gives it, with LINES lines each, line l of phone n
registering user FIRST_USER + (n - 1) * LINES + l - 1 with password "pw<user>" (the users a
test registrar is loaded with).
Usage: make-farm-provision.py DIR N --registrar HOST:PORT [--lines L] [--first-mac MAC]
                              [--first-user U] [--expires S]"""
import argparse
import os

DEFAULT_MAC = "00:11:AA:00:00:00"


def mac_at(first: str, n: int) -> str:
    """Phone n's MAC (1-based) in the file-name form: 0011AA000000 + n - 1."""
    value = int(first.replace(":", "").replace("-", ""), 16) + n - 1
    return f"{value:012X}"


def users(phones: int, lines: int, first_user: int) -> list:
    return [str(first_user + i) for i in range(phones * lines)]


def write(folder: str, phones: int, registrar: str, lines: int = 1, first_mac: str = DEFAULT_MAC,
          first_user: int = 10001, expires: int = 3600, extra: str = "") -> list:
    """Writes the folder; returns the users, in phone and line order."""
    host, _, port = registrar.rpartition(":")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "SIPDefault.cnf"), "w") as f:
        f.write(f"proxy1_address: {host}\nproxy1_port: {port}\nproxy_register: 1\n"
                f"timer_register_expires: {expires}\n{extra}")
    names = users(phones, lines, first_user)
    for n in range(1, phones + 1):
        mine = names[(n - 1) * lines:n * lines]
        with open(os.path.join(folder, f"SIP{mac_at(first_mac, n)}.cnf"), "w") as f:
            f.write("".join(f"line{l}_name: {u}\nline{l}_password: pw{u}\n" for l, u in enumerate(mine, 1)))
    return names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("phones", type=int)
    ap.add_argument("--registrar", required=True, help="HOST:PORT of the registrar")
    ap.add_argument("--lines", type=int, default=1, help="lines per phone (1 to 6)")
    ap.add_argument("--first-mac", default=DEFAULT_MAC, help="the farm's --mac")
    ap.add_argument("--first-user", type=int, default=10001)
    ap.add_argument("--expires", type=int, default=3600, help="timer_register_expires")
    a = ap.parse_args()
    names = write(a.dir, a.phones, a.registrar, a.lines, a.first_mac, a.first_user, a.expires)
    print(f"{a.dir}: SIPDefault.cnf and {a.phones} SIP<MAC>.cnf files, users {names[0]}..{names[-1]}")


if __name__ == "__main__":
    main()
