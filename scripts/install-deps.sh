#!/usr/bin/env bash
# Installs the Debian packages that building, running and testing Deskphone need.
# Idempotent: does nothing when every package is already installed.
# Usage: scripts/install-deps.sh [build|test]
set -euo pipefail

build_pkgs=(pkg-config libedit-dev libc-ares-dev)
# Peers and tools the tests start on loopback (see Tests/Peers/).
test_pkgs=(tftpd-hpa iproute2 telnet expect dnsmasq chrony)

want=("${build_pkgs[@]}")
if [ "${1:-build}" = test ]; then want+=("${test_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq

$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
