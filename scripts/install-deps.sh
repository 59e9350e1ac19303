#!/usr/bin/env bash
# Installs the Debian packages that building, running and testing Deskphone need.
# Idempotent: does nothing when every package is already installed.
# Usage: scripts/install-deps.sh [build|test|deb]
set -euo pipefail

build_pkgs=(pkg-config libedit-dev libc-ares-dev libasound2-dev libspeexdsp-dev libbcg729-dev)
# Peers and tools the tests start on loopback (see Tests/Peers/); sox checks G.711 and the
# WAV files (Tests/MediaTests), tshark's dissectors the RTP/RTCP/RFC 4733 packets (Tests/RTPTests); baresip is the far-end phone and tcpdump
# captures RTP timing (calls); mediastream (libmediastreamer-tools) is the far G.729 endpoint,
# its own RTP and packetization around bcg729 too (Tests/MediaTests/G729InteropTests.swift);
# openssh-client (ssh, ssh-keygen, ssh-keyscan) logs in to the SSH CLI (Tests/CLIAcceptanceTests/SSHAcceptanceTests.swift).
test_pkgs=(tftpd-hpa iproute2 telnet expect openssh-client dnsmasq chrony man-db kamailio sip-tester sox tshark baresip-core tcpdump libmediastreamer-tools)
# Building the .deb (make deb) and its install test in a Debian 12 root (make deb-test):
# dpkg-deb, lintian, objdump/strip, man (renders the generated pages), debootstrap, and
# systemd-analyze for checking the unit file.
deb_pkgs=(dpkg-dev lintian binutils man-db debootstrap systemd util-linux passwd xz-utils)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  deb) want+=("${deb_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|deb]" >&2; exit 2 ;;
esac

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
