#!/usr/bin/env bash
# Install the system libraries that Qt, VTK (and WeasyPrint, for PDF reports) need on a bare Debian or Ubuntu machine
# (../shared/ENVIRONMENT.md measured the list). Only what is missing is installed, so a
# machine that has them all spends no time here. Not root, or not Debian: print the command.
set -euo pipefail
packages=(python3-venv libgl1 libegl1 libosmesa6 libx11-6 libx11-xcb1 libxcursor1 libdbus-1-3
  libfontconfig1 libfreetype6 libglib2.0-0 libxkbcommon0 libxkbcommon-x11-0
  libxcb1 libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0
  libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1 xvfb xauth
  libpango-1.0-0 libpangoft2-1.0-0)
command -v dpkg-query >/dev/null 2>&1 || exit 0   # not Debian-like: nothing we can check
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3-venv is only needed when the interpreter in use has no venv module.
if python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing=("${missing[@]/python3-venv}")
fi
missing=($(printf '%s\n' "${missing[@]}" | sed '/^$/d'))
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "mvplan setup: installing system libraries: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "mvplan setup: these system libraries are missing; install them with:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
fi
