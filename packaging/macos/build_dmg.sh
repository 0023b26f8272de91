#!/usr/bin/env bash
# Build mvplan.app and a .dmg on macOS. NOT RUN in this project's CI (Linux only); see
# packaging/README.md, "macOS". Needs Python 3.11+ (python.org or Homebrew) and Xcode's
# command-line tools (hdiutil, iconutil, sips ship with macOS).
#
#   bash packaging/macos/build_dmg.sh
#
# Makes dist/mvplan.app (PyInstaller BUNDLE, packaging/mvplan.spec) and
# dist/mvplan-VERSION-macos-ARCH.dmg (the app and a link to /Applications, to drag it onto).
# The app is not signed or notarised: Gatekeeper then asks the user to open it from the
# context menu the first time (or sign it: codesign --deep -s "Developer ID ..." and notarise
# with xcrun notarytool before making the .dmg).
set -euo pipefail
cd "$(dirname "$0")/../.."

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[package]'

# The .icns from the committed PNGs.
iconset=build/mvplan.iconset
rm -rf "$iconset" && mkdir -p "$iconset"
for size in 16 32 128 256 512; do
  sips -z $size $size packaging/icons/mvplan-256.png --out "$iconset/icon_${size}x${size}.png" >/dev/null
done
iconutil -c icns "$iconset" -o packaging/icons/mvplan.icns

.venv/bin/pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller packaging/mvplan.spec
dist/mvplan.app/Contents/MacOS/mvplan --version   # the console executable, inside the app

version=$(.venv/bin/python -c 'import mvplan; print(mvplan.__version__)')
stage=build/dmg
rm -rf "$stage" && mkdir -p "$stage"
cp -R dist/mvplan.app "$stage/"
ln -s /Applications "$stage/Applications"
out="dist/mvplan-${version}-macos-$(uname -m).dmg"
rm -f "$out"
hdiutil create -volname "mvplan ${version}" -srcfolder "$stage" -ov -format UDZO "$out"
echo "built $out"
