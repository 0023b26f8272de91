"""Build the Linux bundle, its tarball and its .deb: ``make package`` runs this.

    .venv/bin/python packaging/build.py [--skip-bundle]

1. PyInstaller (packaging/mvplan.spec) builds the one-folder bundle ``dist/mvplan/``;
2. VTK's libraries, shipped with their symbol tables, are stripped (-80 MB);
3. ``dist/mvplan-VERSION-linux-ARCH.tar.gz`` packs the folder (any Linux with glibc 2.36 or
   newer and the libraries listed in the .deb's Depends);
4. ``dist/mvplan_VERSION_ARCH.deb`` installs it in /usr/lib/mvplan with launchers in /usr/bin,
   a desktop entry, icons, the ``*.mvplan.json`` MIME type and the Depends derived from what
   the bundle's binaries link to (packaging/debian.py); ``dist/mvplan-depends.txt`` lists
   which library brought in which package.

Runs on Debian or Ubuntu (``dpkg``, ``ldd``, ``strip``); a library no package owns stops it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import debian  # noqa: E402

DIST = ROOT / "dist"
BUNDLE = DIST / "mvplan"
ICONS = HERE / "icons"


def version() -> str:
    """mvplan's version, read from the source (the bundle's own ``--version`` says the same)."""
    for line in (ROOT / "mvplan" / "__init__.py").read_text().splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise SystemExit("mvplan/__init__.py has no __version__")


def build_bundle() -> None:
    """PyInstaller, then strip VTK's libraries (never the manylinux ones: patchelf-edited
    libraries can break when stripped)."""
    pyinstaller = Path(sys.executable).with_name("pyinstaller")
    subprocess.run(
        [
            str(pyinstaller),
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(DIST),
            "--workpath",
            str(ROOT / "build" / "pyinstaller"),
            str(HERE / "mvplan.spec"),
        ],
        check=True,
        cwd=ROOT,
    )
    vtk = sorted((BUNDLE / "_internal" / "vtkmodules").glob("*.so"))
    subprocess.run(["strip", "--strip-unneeded", *map(str, vtk)], check=True)


def start_tarball(arch: str) -> tuple[Path, subprocess.Popen[bytes]]:
    """Start packing ``dist/mvplan-VERSION-linux-ARCH.tar.gz`` (folder ``mvplan/``) in the
    background: gzip takes about 20 s, the .deb meanwhile uses the other core."""
    out = DIST / f"mvplan-{version()}-linux-{arch}.tar.gz"
    command = ["tar", "--owner=0", "--group=0", "-czf", str(out), "-C", str(DIST), "mvplan"]
    return out, subprocess.Popen(command)


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def deb(arch: str, compression: str) -> Path:
    """Assemble the package tree under build/deb and run ``dpkg-deb --build``."""
    paths, missing = debian.linked_libraries(BUNDLE)
    if missing:
        raise SystemExit(
            "packaging: libraries the bundle links to are missing on this machine: "
            f"{' '.join(sorted(missing))} (make system-deps installs them)"
        )
    owners = debian.owning_packages(paths)
    unowned = sorted(paths - set(owners))
    if unowned:
        raise SystemExit(f"packaging: no Debian package owns {' '.join(unowned)}")
    dlopened = debian.DLOPENED
    depends = debian.depends(owners, dlopened)
    report = [f"{lib}\t{pkg}" for lib, pkg in sorted(owners.items())]
    report += [f"{lib}\t{pkg}\t(dlopen)" for lib, pkg in sorted(dlopened.items())]
    (DIST / "mvplan-depends.txt").write_text("\n".join(report) + "\n")

    tree = ROOT / "build" / "deb"
    shutil.rmtree(tree, ignore_errors=True)
    target = tree / debian.INSTALL_DIR.lstrip("/")
    shutil.copytree(BUNDLE, target, symlinks=True)
    _write(tree / "usr/bin/mvplan", debian.launcher(""), 0o755)
    _write(tree / "usr/bin/mvplan-gui", debian.launcher("gui "), 0o755)
    _write(tree / "usr/share/applications/mvplan.desktop", debian.desktop_entry())
    _write(tree / "usr/share/mime/packages/mvplan.xml", debian.mime_package())
    icons = tree / "usr/share/icons/hicolor"
    (icons / "scalable/apps").mkdir(parents=True)
    shutil.copy(ICONS / "mvplan.svg", icons / "scalable/apps/mvplan.svg")
    for size in (48, 256):
        (icons / f"{size}x{size}/apps").mkdir(parents=True)
        shutil.copy(ICONS / f"mvplan-{size}.png", icons / f"{size}x{size}/apps/mvplan.png")
    doc = tree / "usr/share/doc/mvplan"
    doc.mkdir(parents=True)
    shutil.copy(ROOT / "LICENSE", doc / "copyright")
    # No maintainer scripts: dpkg triggers of shared-mime-info, desktop-file-utils and the
    # icon theme refresh their caches when those are installed.
    size_kib = int(_mb(tree) * 1e6) // 1024
    _write(tree / "DEBIAN/control", debian.control(version(), arch, depends, size_kib))
    out = DIST / f"mvplan_{version()}_{arch}.deb"
    # zstd -9 (dpkg >= 1.21.18: Debian 12, Ubuntu 21.10): 7 s and 148 MB here, against gzip's
    # 22 s and 178 MB and xz's 3 minutes and 120 MB; --compression xz for a release.
    level = {"zstd": "9", "xz": "6", "gzip": "6"}[compression]
    command = ["dpkg-deb", "--root-owner-group", f"-Z{compression}", f"-z{level}", "--build"]
    subprocess.run(
        [*command, str(tree), str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out


def _mb(path: Path) -> float:
    if path.is_dir():
        files = (p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
        return sum(p.stat().st_size for p in files) / 1e6
    return path.stat().st_size / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--skip-bundle", action="store_true", help="reuse dist/mvplan (tarball and .deb only)"
    )
    parser.add_argument(
        "--compression", choices=["zstd", "xz", "gzip"], default="zstd", help="of the .deb"
    )
    args = parser.parse_args(argv)
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    start = time.perf_counter()
    if not args.skip_bundle:
        build_bundle()
    print(f"packaging: {BUNDLE.relative_to(ROOT)}/  {_mb(BUNDLE):.0f} MB")
    tar, packing = start_tarball(arch)
    package = deb(arch, args.compression)
    if packing.wait() != 0:
        raise SystemExit("packaging: tar failed")
    for out in (tar, package):
        print(f"packaging: {out.relative_to(ROOT)}  {_mb(out):.0f} MB")
    print(f"packaging: done in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
