"""The Debian package around the bundle: its control file, desktop entry, MIME type, Depends.

Pure text builders (tested in tests/test_packaging.py), and :func:`linked_libraries` with
:func:`owning_packages`, which derive the packages the bundle needs from the libraries its
binaries link to (``ldd``) and the packages that own them (``dpkg -S``).
packaging/build.py calls them; this module imports nothing outside the standard library.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

#: Where the .deb puts the bundle; /usr/bin/mvplan and /usr/bin/mvplan-gui start it.
INSTALL_DIR = "/usr/lib/mvplan"

#: MIME type of plan files (a JSON subtype, so generic JSON tools still offer to open them).
PLAN_MIME = "application/x-mvplan+json"

#: Libraries the bundle loads with dlopen, which ldd cannot see, by the package that has them.
#: VTK's OpenGL loader opens libGL/libEGL at run time, and VTK's off-screen window
#: (vtkOSOpenGLRenderWindow, chosen by mvplan.headless when there is no display) opens
#: libOSMesa: without it that window segfaults (ENVIRONMENT.md).
DLOPENED = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libOSMesa.so.8": "libosmesa6",
}

_LDD_LINE = re.compile(r"^\s*(\S+)\s+=>\s+(not found|\S+)")


def control(
    version: str, architecture: str, depends: Iterable[str], installed_size_kib: int
) -> str:
    """The ``DEBIAN/control`` file of the mvplan package.

    Parameters
    ----------
    version : str
        mvplan's version (``mvplan.__version__``).
    architecture : str
        Debian architecture (``dpkg --print-architecture``: ``amd64``).
    depends : iterable of str
        Package names (sorted and deduplicated here).
    installed_size_kib : int
        Size of the installed files in KiB (dpkg's ``Installed-Size``).

    Returns
    -------
    str
        The control file, ending with a newline.
    """
    deps = ", ".join(sorted(set(depends)))
    return (
        "Package: mvplan\n"
        f"Version: {version}\n"
        f"Architecture: {architecture}\n"
        "Maintainer: mvplan developers <mvplan@localhost>\n"
        f"Installed-Size: {installed_size_kib}\n"
        f"Depends: {deps}\n"
        "Section: science\n"
        "Priority: optional\n"
        "Description: planning mitral valve annuloplasty (research use only)\n"
        " mvplan reads a patient's mitral annulus, measures it, places a ring from a\n"
        " library of parametric models and solves how the annulus reshapes and whether\n"
        " the leaflets close. A self-contained build (Python, Qt and VTK inside).\n"
        " Not for clinical decisions.\n"
    )


def desktop_entry() -> str:
    """The freedesktop ``.desktop`` file: the GUI in menus, and the opener of plan files."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=mvplan\n"
        "GenericName=Annuloplasty planning\n"
        "Comment=Plan mitral valve annuloplasty (research use only)\n"
        "Exec=mvplan-gui %f\n"
        "Icon=mvplan\n"
        "Terminal=false\n"
        "Categories=Science;MedicalSoftware;Education;\n"
        f"MimeType={PLAN_MIME};\n"
        "Keywords=mitral;valve;annuloplasty;annulus;ring;\n"
    )


def mime_package() -> str:
    """The shared-mime-info XML declaring ``*.mvplan.json`` as :data:`PLAN_MIME`.

    The glob is weighted above plain ``*.json`` so the longer suffix wins.
    """
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">\n'
        f'  <mime-type type="{PLAN_MIME}">\n'
        "    <comment>mvplan annuloplasty plan</comment>\n"
        '    <sub-class-of type="application/json"/>\n'
        '    <glob pattern="*.mvplan.json" weight="80"/>\n'
        '    <icon name="mvplan"/>\n'
        "  </mime-type>\n"
        "</mime-info>\n"
    )


def launcher(command: str) -> str:
    """A ``/usr/bin`` shell launcher running the bundle's executable with ``command`` first.

    A script rather than a symlink: the bundle finds its libraries next to the real
    executable, whatever the symlinks on the way.
    """
    return f'#!/bin/sh\nexec {INSTALL_DIR}/mvplan {command}"$@"\n'


def parse_ldd(text: str, keyed: bool = False) -> tuple[Any, set[str]]:
    """Resolved libraries and sonames not found, from ``ldd`` output.

    Returns the resolved paths as a set, or with ``keyed`` a ``{soname: path}`` dict.
    """
    found: dict[str, str] = {}
    missing: set[str] = set()
    for line in text.splitlines():
        match = _LDD_LINE.match(line)
        if match is None:
            continue
        soname, where = match.groups()
        if where == "not found":
            missing.add(soname)
        else:
            found[soname] = where
    return (found if keyed else set(found.values())), missing


def parse_dpkg_search(text: str) -> dict[str, str]:
    """``{path: package}`` from ``dpkg -S`` output (``pkg[:arch][, pkg2]: /path``)."""
    owners: dict[str, str] = {}
    for line in text.splitlines():
        if ": " not in line or line.startswith("dpkg-query:") or line.startswith("diversion"):
            continue
        pkgs, path = line.split(": ", 1)
        owners[path.strip()] = pkgs.split(",")[0].strip().split(":")[0]
    return owners


def elf_files(root: Path) -> list[Path]:
    """Shared libraries and executables in the bundle (by their ELF magic)."""
    out = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            with p.open("rb") as f:
                if f.read(4) == b"\x7fELF":
                    out.append(p)
    return out


def parse_needed(text: str) -> list[str]:
    """Sonames an ELF file links to directly, from ``readelf -d`` output."""
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", text)


def linked_libraries(root: Path) -> tuple[set[str], set[str]]:
    """The system libraries the bundle at ``root`` links to directly, and those found nowhere.

    For every ELF file of the bundle: its direct dependencies (``readelf -d``; what those
    need in turn their own packages declare), resolved by ``ldd`` with the bundle's folders
    first on the library path, as the bootloader arranges at run time. A soname that a
    file of the bundle carries is the bundle's own.

    Returns
    -------
    paths : set of str
        System library paths, as ldd resolved them.
    missing : set of str
        Sonames found neither in the bundle nor on the system (install them, or the bundle
        carries a plugin nothing on this system can load).
    """
    elves = elf_files(root)
    own = {p.name for p in root.rglob("*")}
    env = {**os.environ, "LD_LIBRARY_PATH": ":".join(sorted({str(p.parent) for p in elves}))}
    paths: set[str] = set()
    missing: set[str] = set()
    for elf in elves:
        direct = [s for s in parse_needed(_run(["readelf", "-d", str(elf)])) if s not in own]
        if not direct:
            continue
        found, absent = parse_ldd(_run(["ldd", str(elf)], env), keyed=True)
        for soname in direct:
            if soname in found:
                paths.add(found[soname])
            elif not soname.startswith("ld-linux"):  # the loader itself: always there
                missing.add(soname)
        missing |= absent & set(direct)
    return paths, missing


def _run(command: list[str], env: Mapping[str, str] | None = None) -> str:
    return subprocess.run(command, capture_output=True, text=True, env=env).stdout


def owning_packages(paths: Iterable[str]) -> dict[str, str]:
    """``{path: package}`` for system library paths, through ``dpkg -S``.

    Debian 12 merges /lib into /usr/lib but dpkg records each file under the path its
    package shipped, so both spellings are asked.
    """
    wanted = {}
    for p in paths:
        real = os.path.realpath(p)
        for candidate in {p, real}:
            for spelling in (candidate, _unmerged(candidate)):
                wanted.setdefault(spelling, p)
    out = subprocess.run(["dpkg", "-S", *sorted(wanted)], capture_output=True, text=True)
    owners: dict[str, str] = {}
    for path, package in parse_dpkg_search(out.stdout).items():
        owners.setdefault(wanted.get(path, path), package)
    return owners


def _unmerged(path: str) -> str:
    """``/usr/lib/x`` <-> ``/lib/x``: the other spelling of a path under usrmerge."""
    if path.startswith("/usr/lib/"):
        return path.removeprefix("/usr")
    if path.startswith("/lib/"):
        return "/usr" + path
    return path


def depends(owners: Mapping[str, str], dlopened: Mapping[str, str]) -> list[str]:
    """The Depends list: packages owning linked libraries plus those loaded with dlopen."""
    return sorted(set(owners.values()) | set(dlopened.values()))
