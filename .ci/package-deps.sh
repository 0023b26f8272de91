#!/usr/bin/env bash
# Tools `make package` and `make package-smoke` need on Debian or Ubuntu: binutils (PyInstaller
# reads binaries with objdump; packaging/debian.py with readelf; VTK's libraries are stripped)
# and debootstrap (the smoke test's bare Debian 12). Only what is missing is installed, as in
# system-deps.sh; not root, or not Debian: print the command.
set -euo pipefail
packages=(binutils debootstrap)
command -v dpkg-query >/dev/null 2>&1 || exit 0
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "mvplan packaging: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "mvplan packaging: these tools are missing; install them with:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
