"""The installers' pure-Python parts (packaging/): no bundle is built here.

``make package`` builds the bundle and ``make package-smoke`` runs it in a bare Debian 12;
these tests hold the text they generate, the bundle filter, the smoke test's commands and the
frozen layout's resource lookup to what those runs rely on.
"""

from __future__ import annotations

import importlib.util
import json
import multiprocessing
import shlex
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

import mvplan
from mvplan import cli
from mvplan.rings import catalogue

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str) -> ModuleType:
    """A packaging/ script as a module (packaging/ is no package: ``packaging`` is pip's)."""
    spec = importlib.util.spec_from_file_location(
        f"mvplan_packaging_{name}", ROOT / "packaging" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


debian = _load("debian")
bundle_filter = _load("bundle_filter")
smoke = _load("smoke")


def test_control_file_fields_and_sorted_unique_depends() -> None:
    text = debian.control("1.2.3", "amd64", ["libgl1", "libc6", "libgl1"], 4096)
    fields = dict(line.split(": ", 1) for line in text.splitlines() if not line.startswith(" "))
    assert fields["Package"] == "mvplan"
    assert fields["Version"] == "1.2.3"
    assert fields["Architecture"] == "amd64"
    assert fields["Installed-Size"] == "4096"
    assert fields["Depends"] == "libc6, libgl1"
    assert text.endswith("\n") and "\n\n" not in text
    # Description continuation lines start with a space; none is empty (dpkg rejects them).
    body = text.split("Description: ", 1)[1].splitlines()[1:]
    assert body and all(line.startswith(" ") and line.strip() for line in body)


def test_desktop_entry_opens_plan_files_with_the_gui() -> None:
    lines = debian.desktop_entry().splitlines()
    assert lines[0] == "[Desktop Entry]"
    entry = dict(line.split("=", 1) for line in lines[1:])
    assert entry["Exec"] == "mvplan-gui %f"
    assert entry["Icon"] == "mvplan"
    assert debian.PLAN_MIME in entry["MimeType"].split(";")


def test_mime_package_is_xml_with_the_plan_glob() -> None:
    root = ET.fromstring(debian.mime_package())
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    mime = root.find("m:mime-type", ns)
    assert mime is not None and mime.get("type") == debian.PLAN_MIME
    glob = mime.find("m:glob", ns)
    assert glob is not None and glob.get("pattern") == "*.mvplan.json"
    assert int(glob.get("weight", "50")) > 50  # beats plain *.json


@pytest.mark.parametrize(("command", "expected"), [("", "mvplan"), ("gui ", "mvplan gui")])
def test_launcher_runs_the_bundle_with_all_arguments(command: str, expected: str) -> None:
    script = debian.launcher(command)
    assert script.startswith("#!/bin/sh\n")
    assert f'exec {debian.INSTALL_DIR}/{expected} "$@"' in script


def test_parse_ldd_and_readelf() -> None:
    ldd = (
        "\tlinux-vdso.so.1 (0x00007ffc)\n"
        "\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f)\n"
        "\tlibQt6Core.so.6 => /opt/b/_internal/libQt6Core.so.6 (0x00007f)\n"
        "\tlibxcb-cursor.so.0 => not found\n"
        "\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n"
    )
    found, missing = debian.parse_ldd(ldd)
    assert found == {"/lib/x86_64-linux-gnu/libxcb.so.1", "/opt/b/_internal/libQt6Core.so.6"}
    assert missing == {"libxcb-cursor.so.0"}
    keyed, _ = debian.parse_ldd(ldd, keyed=True)
    assert keyed["libxcb.so.1"] == "/lib/x86_64-linux-gnu/libxcb.so.1"
    readelf = (
        " 0x0000000000000001 (NEEDED)             Shared library: [libQt6Gui.so.6]\n"
        " 0x0000000000000001 (NEEDED)             Shared library: [libc.so.6]\n"
        " 0x000000000000000e (SONAME)             Library soname: [libqxcb.so]\n"
    )
    assert debian.parse_needed(readelf) == ["libQt6Gui.so.6", "libc.so.6"]


def test_parse_dpkg_search_takes_the_package_name_only() -> None:
    text = (
        "libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6\n"
        "libgl1:amd64, libgl1:i386: /usr/lib/x86_64-linux-gnu/libGL.so.1\n"
        "diversion by foo from: /usr/bin/bar\n"
        "dpkg-query: no path found matching pattern /nowhere\n"
    )
    assert debian.parse_dpkg_search(text) == {
        "/lib/x86_64-linux-gnu/libc.so.6": "libc6",
        "/usr/lib/x86_64-linux-gnu/libGL.so.1": "libgl1",
    }


def test_usrmerge_spellings() -> None:
    assert (
        debian._unmerged("/usr/lib/x86_64-linux-gnu/libz.so.1") == "/lib/x86_64-linux-gnu/libz.so.1"
    )
    assert (
        debian._unmerged("/lib/x86_64-linux-gnu/libz.so.1") == "/usr/lib/x86_64-linux-gnu/libz.so.1"
    )
    assert debian._unmerged("/opt/x.so") == "/opt/x.so"


def test_depends_adds_the_libraries_loaded_at_run_time() -> None:
    owners = {"/lib/x/libxcb.so.1": "libxcb1", "/lib/x/libc.so.6": "libc6"}
    deps = debian.depends(owners, debian.DLOPENED)
    # Off-screen rendering (no display) needs OSMesa: without it VTK's window segfaults.
    assert {"libosmesa6", "libgl1", "libegl1", "libxcb1", "libc6"} <= set(deps)
    assert deps == sorted(set(deps))


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/translations/qt_de.qm",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/lib/libQt6Network.so.6",
        "PySide6/Qt/lib/libQt6Qml.so.6",
    ],
)
def test_bundle_drops_unused_qt_parts(dest: str) -> None:
    assert bundle_filter.dropped(dest)


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/xcbglintegrations/libqxcb-glx-integration.so",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/lib/libQt6XcbQpa.so.6",
        "PySide6/Qt/lib/libQt6OpenGLWidgets.so.6",
        "vtkmodules/libvtkRenderingOpenGL2.so",
    ],
)
def test_bundle_keeps_what_mvplan_draws_with(dest: str) -> None:
    assert not bundle_filter.dropped(dest)


def test_system_libraries_stay_out_of_the_bundle_on_linux_only() -> None:
    system = "/usr/lib/x86_64-linux-gnu/libxcb.so.1"
    assert bundle_filter.system_library(system, "BINARY", "linux")
    assert not bundle_filter.system_library(system, "BINARY", "win32")
    assert not bundle_filter.system_library(system, "DATA", "linux")
    assert not bundle_filter.system_library("/usr/lib/libpython3.11.so.1.0", "BINARY", "linux")
    wheel = "/venv/lib/python3.11/site-packages/numpy.libs/libscipy_openblas.so"
    assert not bundle_filter.system_library(wheel, "BINARY", "linux")
    toc = [("libxcb.so.1", system, "BINARY"), ("numpy.libs/x.so", wheel, "BINARY")]
    if not bundle_filter.FULL:
        assert bundle_filter.keep(toc) == [toc[1]]


def test_rendering_modules_are_hidden_imports() -> None:
    # Imported for their side effect (registering the OpenGL back end): nothing renders
    # without them, and PyInstaller keeps only what it sees imported.
    for module in ("vtkRenderingOpenGL2", "vtkInteractionStyle", "vtkRenderingFreeType"):
        assert f"vtkmodules.{module}" in bundle_filter.HIDDEN_IMPORTS
    used = {
        "PySide6.QtCore",
        "PySide6.QtGui",
        "PySide6.QtWidgets",
        "PySide6.QtOpenGL",
        "PySide6.QtOpenGLWidgets",
        "PySide6.QtSvg",
        *bundle_filter.HIDDEN_IMPORTS,
    }
    assert not used & set(bundle_filter._EXCLUDED)


def test_smoke_commands_parse_with_the_real_command_line() -> None:
    parser = cli.build_parser()
    names = []
    for name, argv, _outputs in smoke.commands("a.csv", "tips.csv"):
        names.append(name)
        if argv[0] == "mvplan" and argv[1:] != ["--version"]:
            parser.parse_args(argv[1:])  # exits (SystemExit 2) on an unknown option
    for needed in ("version", "measure", "plan", "simulate", "report", "gui-screenshot"):
        assert needed in names
    assert any(name.startswith("export") for name in names)
    assert all(
        shlex.split(" ".join(map(smoke._quote, argv))) == argv
        for _n, argv, _o in smoke.commands("a b.csv", "it's.csv")
    )


def test_smoke_output_checks(tmp_path: Path) -> None:
    png = tmp_path / "a.png"
    png.write_bytes(smoke.PNG_SIGNATURE + b"rest")
    assert smoke.check_output(png) is None
    png.write_bytes(b"GIF89a")
    assert "not a PNG" in str(smoke.check_output(png))
    assert "missing" in str(smoke.check_output(tmp_path / "none.glb"))
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"measurements": {}, "closure": {}}))
    assert "sensitivity" in str(smoke.check_output(report))
    report.write_text(json.dumps({"measurements": {}, "closure": {}, "sensitivity": []}))
    assert smoke.check_output(report) is None


def test_rings_found_in_the_frozen_layout(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # PyInstaller puts modules at _internal/mvplan/... and the spec puts the catalogue at
    # _internal/rings: the lookup a checkout uses (next to the package) finds it there too.
    internal = tmp_path / "_internal"
    (internal / "rings").mkdir(parents=True)
    monkeypatch.setattr(mvplan, "__file__", str(internal / "mvplan" / "__init__.pyc"))
    monkeypatch.setattr(catalogue, "__file__", str(internal / "mvplan" / "rings" / "catalogue.pyc"))
    assert catalogue.builtin_rings_dir() == (internal / "rings").resolve()


def test_spec_bundles_the_catalogue_and_samples() -> None:
    spec = (ROOT / "packaging" / "mvplan.spec").read_text()
    assert '"rings"' in spec and '"samples"' in spec
    assert 'collect_data_files("mvplan"' in spec  # plan and markups schemas


def test_entry_points_call_freeze_support(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(multiprocessing, "freeze_support", lambda: calls.append(1))
    assert cli.main(["rings", "list"]) == 0
    assert calls
