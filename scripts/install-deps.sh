#!/usr/bin/env bash
# Install what building and testing subproc needs, from Debian's packages, when missing.
# Usage: scripts/install-deps.sh [EXTRA-PACKAGE]...   (as root, or with sudo available)
set -euo pipefail

packages=(gcc meson ninja-build pkg-config libcmocka-dev scdoc python3 "$@")
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
