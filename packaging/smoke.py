"""Smoke test of the .deb in a bare Debian 12: ``make package-smoke`` runs this, as root.

    python3 packaging/smoke.py [--deb dist/mvplan_VERSION_ARCH.deb] [--keep]

Run by the system's python3, outside the virtual environment (standard library only):

1. a Debian 12 root file system, ``debootstrap --variant=minbase``, cached as a tarball in
   ``$MVPLAN_SMOKE_CACHE`` (default ``~/.cache/mvplan-smoke``) with the .debs apt fetched;
2. unpacked afresh in ``build/smoke/root``; the .deb installed there with ``apt-get install
   --no-install-recommends``, which brings exactly the packages it declares in Depends (and
   theirs) from the Debian mirror: no Python, no development files;
3. in that chroot, with a clean environment and no display: ``mvplan --version``,
   ``measure``, ``plan``, ``simulate`` (with the leaflet closure), ``export`` (.glb and an
   off-screen .png), ``report`` (HTML; its sensitivity study runs in worker processes),
   ``sweep --jobs 2``, a coronary-sinus device's ``plan`` and ``simulate`` (the device catalogue
   and its schema are bundled) and ``gui --screenshot --exit``, each of which must exit 0 and write
   non-empty output of the expected kind (PNG signature, JSON with the expected keys).

Exit 0 when every check passes; the failures are listed otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITE = "bookworm"
MIRROR = os.environ.get("MVPLAN_DEBIAN_MIRROR", "http://deb.debian.org/debian")
CACHE = Path(os.environ.get("MVPLAN_SMOKE_CACHE", Path.home() / ".cache" / "mvplan-smoke"))
WORK = ROOT / "build" / "smoke"
CHROOT = WORK / "root"
INSIDE = "/smoke"  # the working folder inside the chroot
SAMPLES = ROOT / "assets" / "samples"

#: A clean environment: no DISPLAY (so mvplan renders off screen), nothing of the host's.
ENV = ["env", "-i", "PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/root", "LANG=C.UTF-8"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GLB_MAGIC = b"glTF"

#: Expected top-level keys of each JSON output.
JSON_KEYS = {
    "measure.json": {"perimeter_mm", "area_2d_mm2", "ap_diameter_mm", "annular_height_mm"},
    "simulate.json": {"annuloplasty", "closure"},
    "report.json": {"measurements", "closure", "sensitivity"},
    "sweep.json": {"rows", "recommended"},
    "device.json": {"annuloplasty"},
}


def commands(sample: str, tips: str) -> list[tuple[str, list[str], list[str]]]:
    """``(name, argv, outputs)`` of each check, in order (later ones use earlier outputs)."""
    return [
        ("version", ["mvplan", "--version"], []),
        ("measure", ["mvplan", "measure", sample, "--papillary", tips, "--json"], ["measure.json"]),
        (
            "plan",
            [
                *("mvplan", "plan", sample, "--papillary", tips),
                *("--ring", "classic-like", "--size", "32", "-o", "healthy.mvplan.json"),
            ],
            ["healthy.mvplan.json"],
        ),
        (
            "simulate",
            ["mvplan", "simulate", "healthy.mvplan.json", "--json", "-o", "sim.mvplan.json"],
            ["simulate.json", "sim.mvplan.json"],
        ),
        ("export-glb", ["mvplan", "export", "sim.mvplan.json", "-o", "scene.glb"], ["scene.glb"]),
        (
            "export-png",
            ["mvplan", "export", "sim.mvplan.json", "-o", "lateral.png", "--view", "lateral"],
            ["lateral.png"],
        ),
        (
            "report",
            ["mvplan", "report", "sim.mvplan.json", "-o", "report.html"],
            ["report.html", "report.csv", "report.json"],
        ),
        (
            "sweep",
            [
                *("mvplan", "sweep", sample, "--papillary", tips, "--rings", "classic-like"),
                *("--sizes", "30-32", "--jobs", "2", "--no-sensitivity", "--json"),
            ],
            ["sweep.json"],
        ),
        (
            "gui-screenshot",
            ["mvplan", "gui", "sim.mvplan.json", "--screenshot", "gui.png", "--exit"],
            ["gui.png"],
        ),
        (
            "device-plan",
            [
                *("mvplan", "plan", sample, "--ring", "carillon-like", "--size", "60"),
                *("--cinch", "10%", "-o", "device.mvplan.json"),
            ],
            ["device.mvplan.json"],
        ),
        (
            "device-simulate",
            ["mvplan", "simulate", "device.mvplan.json", "--no-closure", "--json"],
            ["device.json"],
        ),
        ("gui-launcher", ["mvplan-gui", "--help"], []),
    ]


#: Files the package installs besides the bundle (desktop integration and launchers).
INSTALLED = [
    "/usr/bin/mvplan",
    "/usr/bin/mvplan-gui",
    "/usr/lib/mvplan/mvplan",
    "/usr/lib/mvplan/_internal/rings/classic-like.toml",
    "/usr/lib/mvplan/_internal/rings/carillon-like.toml",
    "/usr/lib/mvplan/_internal/assets/samples/healthy_annulus.csv",
    "/usr/share/applications/mvplan.desktop",
    "/usr/share/mime/packages/mvplan.xml",
    "/usr/share/icons/hicolor/scalable/apps/mvplan.svg",
    "/usr/share/icons/hicolor/256x256/apps/mvplan.png",
]

#: Commands whose stdout is the named JSON file.
STDOUT_TO = {
    "measure": "measure.json",
    "simulate": "simulate.json",
    "sweep": "sweep.json",
    "device-simulate": "device.json",
}


def check_output(path: Path) -> str | None:
    """Why the output file at ``path`` is wrong, or None if it looks right."""
    if not path.is_file() or path.stat().st_size == 0:
        return f"{path.name}: missing or empty"
    data = path.read_bytes()
    if path.suffix == ".png" and not data.startswith(PNG_SIGNATURE):
        return f"{path.name}: not a PNG"
    if path.suffix == ".glb" and not data.startswith(GLB_MAGIC):
        return f"{path.name}: not a binary glTF"
    if path.suffix == ".html" and b"</html>" not in data.lower():
        return f"{path.name}: not a whole HTML page"
    if path.suffix == ".json":
        try:
            parsed = json.loads(data)
        except ValueError as exc:
            return f"{path.name}: not JSON ({exc})"
        absent = JSON_KEYS.get(path.name, set()) - set(parsed)
        if absent:
            return f"{path.name}: no {', '.join(sorted(absent))}"
    return None


def sh(argv: Sequence[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a host command, failing loudly."""
    return subprocess.run(list(argv), check=True, text=True, **kwargs)  # type: ignore[call-overload]


def in_chroot(argv: Sequence[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` inside the chroot, in :data:`INSIDE`, with the clean environment."""
    inner = " ".join(_quote(a) for a in argv)
    return subprocess.run(  # type: ignore[call-overload]
        ["chroot", str(CHROOT), *ENV, "sh", "-c", f"cd {INSIDE} && {inner}"],
        text=True,
        **kwargs,
    )


def _quote(arg: str) -> str:
    safe = all(c.isalnum() or c in "-_./=:,+" for c in arg)
    return arg if safe and arg else "'" + arg.replace("'", "'\\''") + "'"


def rootfs_tarball() -> Path:
    """The cached minbase root file system, made with debootstrap the first time."""
    arch = sh(["dpkg", "--print-architecture"], capture_output=True).stdout.strip()
    tarball = CACHE / f"debian-{SUITE}-minbase-{arch}.tar"
    if tarball.exists():
        return tarball
    if shutil.which("debootstrap") is None:
        raise SystemExit("smoke: debootstrap is missing (.ci/package-deps.sh installs it)")
    fresh = WORK / "debootstrap"
    _remove(fresh)
    print(f"smoke: debootstrap --variant=minbase {SUITE} (once; cached in {CACHE})")
    sh(["debootstrap", "--variant=minbase", SUITE, str(fresh), MIRROR], stdout=subprocess.DEVNULL)
    # The base system's own .debs: installed already, only weight in the tarball.
    for leftover in (fresh / "var" / "cache" / "apt" / "archives").glob("*.deb"):
        leftover.unlink()
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = tarball.with_suffix(".partial")
    sh(["tar", "--one-file-system", "-C", str(fresh), "-cf", str(partial), "."])
    partial.rename(tarball)
    _remove(fresh)
    return tarball


def _mounts() -> list[Path]:
    return [CHROOT / "dev" / "shm", CHROOT / "proc"]


def _unmount() -> None:
    for mount in _mounts():
        if os.path.ismount(mount):
            subprocess.run(["umount", "-l", str(mount)], check=False)


def _remove(path: Path) -> None:
    """Delete a root file system tree, never crossing into a mount (proc, tmpfs)."""
    _unmount()
    if path.exists():
        sh(["rm", "-rf", "--one-file-system", str(path)])


def prepare(deb: Path) -> None:
    """A fresh chroot from the cached tarball, with the .deb installed by apt."""
    tarball = rootfs_tarball()
    _remove(CHROOT)
    CHROOT.mkdir(parents=True)
    sh(["tar", "-C", str(CHROOT), "-xf", str(tarball)])
    shutil.copy("/etc/resolv.conf", CHROOT / "etc" / "resolv.conf")
    # Python's multiprocessing needs /dev/shm for its semaphores; Qt and apt read /proc.
    (CHROOT / "dev" / "shm").mkdir(parents=True, exist_ok=True)
    sh(["mount", "-t", "proc", "proc", str(CHROOT / "proc")])
    sh(["mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", str(CHROOT / "dev" / "shm")])
    work = CHROOT / INSIDE.lstrip("/")
    work.mkdir()
    shutil.copy(deb, work / deb.name)
    for name in ("healthy_annulus.csv", "healthy_papillary_tips.csv"):
        shutil.copy(SAMPLES / name, work / name)
    # The packages apt fetched last time, so a warm run downloads nothing.
    archives = CHROOT / "var" / "cache" / "apt" / "archives"
    debs = CACHE / "debs"
    for cached in debs.glob("*.deb") if debs.is_dir() else []:
        shutil.copy(cached, archives / cached.name)
    apt = ["DEBIAN_FRONTEND=noninteractive", "apt-get", "-qq", "-o", "Dpkg::Use-Pty=0"]
    for step in (["update"], ["install", "-y", "--no-install-recommends", f"./{deb.name}"]):
        done = in_chroot([*apt, *step], capture_output=True)
        if done.returncode != 0:
            raise SystemExit(f"smoke: apt-get {step[0]} failed:\n{done.stdout}{done.stderr}")
    debs.mkdir(parents=True, exist_ok=True)
    for fetched in archives.glob("*.deb"):
        shutil.copy(fetched, debs / fetched.name)


def run_checks() -> list[str]:
    """Run every command in the chroot; the list of failures (empty: all passed)."""
    failures: list[str] = []
    work = CHROOT / INSIDE.lstrip("/")
    if (CHROOT / "usr" / "bin" / "python3").exists():
        failures.append("the chroot has a python3: the test would not prove the bundle's own")
    for installed in INSTALLED:
        if not (CHROOT / installed.lstrip("/")).is_file():
            failures.append(f"the package did not install {installed}")
    for name, argv, outputs in commands("healthy_annulus.csv", "healthy_papillary_tips.csv"):
        start = time.perf_counter()
        done = in_chroot(argv, capture_output=True)
        seconds = time.perf_counter() - start
        if name in STDOUT_TO:
            (work / STDOUT_TO[name]).write_text(done.stdout)
        problems = [p for p in (check_output(work / o) for o in outputs) if p]
        if done.returncode != 0:
            problems.insert(0, f"exit {done.returncode}: {done.stderr.strip()[-2000:]}")
        if name == "version" and not done.stdout.startswith("mvplan "):
            problems.append(f"printed {done.stdout!r}")
        status = "ok" if not problems else "FAILED"
        print(f"smoke: {name:15s} {status:6s} {seconds:6.1f} s  {' '.join(argv)}")
        failures += [f"{name}: {p}" for p in problems]
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deb", type=Path, help="the package (default: the one in dist/)")
    parser.add_argument("--keep", action="store_true", help="leave build/smoke/root behind")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("smoke: needs root (debootstrap, chroot, mount)", file=sys.stderr)
        return 1
    debs = [args.deb] if args.deb else sorted((ROOT / "dist").glob("mvplan_*.deb"))
    if len(debs) != 1 or not debs[0].is_file():
        print(f"smoke: expected one dist/mvplan_*.deb (make package), found {debs}")
        return 1
    start = time.perf_counter()
    try:
        prepare(debs[0].resolve())
        print(
            f"smoke: {debs[0].name} installed in a bare {SUITE} chroot "
            f"({time.perf_counter() - start:.0f} s)"
        )
        failures = run_checks()
    finally:
        _unmount()
        if not args.keep:
            _remove(CHROOT)
    print(f"smoke: {time.perf_counter() - start:.0f} s in all")
    if failures:
        print("smoke: FAILED\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print("smoke: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
