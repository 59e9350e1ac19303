#!/usr/bin/env bash
# Install test of the .deb in a clean Debian 12 (bookworm) root:
#   debootstrap --variant=minbase into .build-debroot/ (kept and reused between runs),
#   apt-get install the package (policy-rc.d forbids starting services), start deskphoned as
#   the unit would (user deskphone, the unit's two capabilities, no_new_privs) on a test
#   provisioning folder with telnet_level 2 and a high telnet port on 127.0.0.1, run
#   `deskphone cli` (show version, show config, ping), stop it with SIGTERM, purge the
#   package and check that nothing of it is left. Then systemd-analyze verify on the unit.
# Usage: Packaging/install-test.sh [dist/deskphone_*.deb]      (make deb-test; needs root)
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
deb=${1:-$(ls dist/deskphone_*.deb 2>/dev/null | tail -1)}
[ -f "$deb" ] || { echo "install-test: no .deb in dist/ (run make deb first)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "install-test: needs root (debootstrap, chroot)" >&2; exit 1; }
MIRROR=${MIRROR:-http://deb.debian.org/debian}
cache=.build-debroot
root=$cache/bookworm
port=${PORT:-42323}

step() { printf '\n== [%3ds] %s\n' $(( $(date +%s) - t0 )) "$*"; }
fail() { echo "install-test: FAIL: $*" >&2; exit 1; }
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
apt() {
  local rc=0
  in_root apt-get -o Dpkg::Use-Pty=0 -q "$@" > "$cache/apt.log" 2>&1 || rc=$?
  grep -v '^\(Reading\|Building\|debconf: delaying\)' "$cache/apt.log" || true
  return "$rc"
}

if [ ! -f "$root/.deskphone-ready" ]; then
  step "debootstrap --variant=minbase bookworm (first run; kept in $root)"
  rm -rf "$root"
  mkdir -p "$cache"
  debootstrap --variant=minbase bookworm "$root" "$MIRROR" > "$cache/debootstrap.log" 2>&1 ||
    { tail -20 "$cache/debootstrap.log"; fail "debootstrap"; }
fi
if [ ! -f "$root/.deskphone-ready" ]; then
  echo "deb $MIRROR bookworm main" > "$root/etc/apt/sources.list"
  touch "$root/.deskphone-ready"
fi

daemon=""
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null || true
  rm -f "$root/usr/sbin/policy-rc.d"
  umount "$root/dev/pts" 2>/dev/null || true
  umount "$root/proc" 2>/dev/null || true
}
trap cleanup EXIT

step "prepare the root: /proc, /dev/pts, resolv.conf, policy-rc.d (exit 101: no service starts)"
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
mountpoint -q "$root/dev/pts" || mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
cp /etc/resolv.conf "$root/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
# A package left over from an interrupted run.
if in_root dpkg -s deskphone >/dev/null 2>&1; then apt purge -y deskphone >/dev/null; fi
in_root apt-get update -q >/dev/null

step "apt-get install ./$(basename "$deb")"
cp "$deb" "$root/tmp/"
apt install -y --no-install-recommends "/tmp/$(basename "$deb")" || fail "apt-get install"

step "installed files, user, state folder"
in_root dpkg -L deskphone | grep -E 'bin/|\.service|\.conf|man' 
in_root getent passwd deskphone || fail "no user deskphone"
owner=$(in_root stat -c '%U:%G %a' /var/lib/deskphone)
echo "/var/lib/deskphone: $owner"
[ "$owner" = "deskphone:deskphone 750" ] || fail "/var/lib/deskphone is $owner"
in_root dpkg-query -W -f='${Conffiles}\n' deskphone | grep -q /etc/deskphone/deskphoned.conf || fail "conffile"
in_root dpkg-query -W -f='${Conffiles}\n' deskphone | grep -q /etc/deskphone/image-keys/deskphone-release.pub || fail "image key conffile"
in_root deskphone --version
[ -x "$root/usr/sbin/deskphone-ssh" ] || fail "no /usr/sbin/deskphone-ssh (deskphoned --ssh starts it)"
for m in man8/deskphoned.8.gz man1/deskphone.1.gz man5/deskphone.cnf.5.gz; do
  [ -s "$root/usr/share/man/$m" ] || fail "no /usr/share/man/$m"
done

step "start deskphoned as user deskphone (the unit's capabilities), telnet 127.0.0.1:$port"
test_dir=/tmp/deskphone-install-test
rm -rf "$root$test_dir"
mkdir -p "$root$test_dir"
cp -r examples/tftpboot "$root$test_dir/tftpboot"
grep -q '^telnet_level: 2' "$root$test_dir/tftpboot/SIPDefault.cnf" || echo 'telnet_level: 2' >> "$root$test_dir/tftpboot/SIPDefault.cnf"
chmod -R a+rX "$root$test_dir"
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin LANG=C.UTF-8 \
  setpriv --reuid=deskphone --regid=deskphone --init-groups --no-new-privs \
    --inh-caps=-all,+net_bind_service,+net_raw --ambient-caps=-all,+net_bind_service,+net_raw \
    --bounding-set=-all,+net_bind_service,+net_raw \
  /usr/sbin/deskphoned --config /etc/deskphone/deskphoned.conf \
    --provision "$test_dir/tftpboot" --mac 00:0D:BC:50:FC:D4 --telnet "127.0.0.1:$port" \
  > "$root$test_dir/daemon.log" 2>&1 &
daemon=$!
up=""
for _ in $(seq 1 100); do
  kill -0 "$daemon" 2>/dev/null || { cat "$root$test_dir/daemon.log"; fail "deskphoned exited"; }
  if in_root deskphone cli "127.0.0.1:$port" --timeout 5 -c "show version" > "$root$test_dir/version.txt" 2>&1; then up=1; break; fi
  sleep 0.2
done
[ -n "$up" ] || { cat "$root$test_dir/daemon.log" "$root$test_dir/version.txt"; fail "no telnet CLI on 127.0.0.1:$port"; }
grep -E '^(Uid|CapEff|CapAmb|NoNewPrivs)' /proc/$daemon/status

step "deskphone cli 127.0.0.1:$port -c 'show version' -c 'show config' -c 'ping 127.0.0.1 count 1'"
in_root deskphone cli "127.0.0.1:$port" -c "show version" -c "show config" -c "ping 127.0.0.1 count 1" \
  > "$root$test_dir/cli.txt" 2>&1 || { cat "$root$test_dir/cli.txt"; fail "deskphone cli"; }
version=$(in_root deskphone --version)
grep "Deskphone $version" "$root$test_dir/cli.txt" || fail "show version lacks Deskphone $version"
grep -E '^MAC address: +00:0D:BC:50:FC:D4' "$root$test_dir/cli.txt" || fail "show version: MAC"
grep -E '^telnet_level +: 2 ' "$root$test_dir/cli.txt" || fail "show config: telnet_level 2"
grep -E '^proxy1_address +: 127\.0\.0\.1 ' "$root$test_dir/cli.txt" || fail "show config: proxy1_address"
grep -E '^phone_password +: \*+ ' "$root$test_dir/cli.txt" || fail "show config: the password is not hidden"
grep -iE '1 (packets )?received|bytes from 127\.0\.0\.1' "$root$test_dir/cli.txt" || { cat "$root$test_dir/cli.txt"; fail "ping (CAP_NET_RAW)"; }
echo "($(wc -l < "$root$test_dir/cli.txt") lines of CLI output)"
in_root ls -l /var/lib/deskphone

step "stop deskphoned (SIGTERM)"
kill -TERM "$daemon"
status=0; wait "$daemon" || status=$?
daemon=""
[ "$status" -eq 0 ] || { tail "$root$test_dir/daemon.log"; fail "deskphoned exited $status after SIGTERM"; }
echo "exit status 0"
rm -rf "$root$test_dir" "$root/tmp/$(basename "$deb")"

step "apt-get purge -y deskphone"
apt purge -y deskphone || fail "apt-get purge"
# Its dependencies too, so that every run installs them again from the package's Depends.
apt autoremove --purge -y >/dev/null || fail "apt-get autoremove"
left=""
in_root dpkg -L deskphone >/dev/null 2>&1 && left="$left dpkg-L"
in_root dpkg -s deskphone >/dev/null 2>&1 && left="$left dpkg-status"
for p in /etc/deskphone /var/lib/deskphone /usr/sbin/deskphoned /usr/sbin/deskphone-ssh /usr/bin/deskphone /usr/lib/systemd/system/deskphoned.service \
         /usr/share/doc/deskphone /usr/share/man/man8/deskphoned.8.gz /etc/systemd/system/multi-user.target.wants/deskphoned.service; do
  [ -e "$root$p" ] || [ -L "$root$p" ] && left="$left $p"
done
in_root getent passwd deskphone >/dev/null && left="$left user"
in_root getent group deskphone >/dev/null && left="$left group"
[ -z "$left" ] || fail "left after purge:$left"
echo "nothing left: no package, files, user or group"

if command -v systemd-analyze >/dev/null; then
  step "systemd-analyze verify deskphoned.service (unpacked package)"
  # The unit as packaged, with ExecStart pointing into the unpacked package (verify checks that
  # the program exists) and MANPATH at its man pages (verify runs man for Documentation=).
  unpacked=$(mktemp -d)
  dpkg-deb -x "$deb" "$unpacked"
  sed "s|=/usr/sbin/deskphoned|=$unpacked/usr/sbin/deskphoned|" "$unpacked/usr/lib/systemd/system/deskphoned.service" \
    > "$unpacked/deskphoned.service"
  if out=$(MANPATH="$unpacked/usr/share/man" systemd-analyze verify "$unpacked/deskphoned.service" 2>&1); then
    echo "${out:-clean}"
  else
    echo "$out"; rm -rf "$unpacked"; fail "systemd-analyze verify"
  fi
  rm -rf "$unpacked"
fi

step "PASS ($(( $(date +%s) - t0 )) s)"
