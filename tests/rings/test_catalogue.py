"""The catalogue: coverage of the design matrix, schema errors, the user folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mvplan.errors import InputError
from mvplan.rings import catalogue as catalogue_module
from mvplan.rings.catalogue import builtin_rings_dir, load_catalogue, user_rings_dir
from mvplan.rings.schema import load_family_file

PHYSIO = builtin_rings_dir() / "physio-like.toml"


def test_coverage_matrix(catalogue):
    fams = catalogue.families
    assert len(fams) >= 14
    assert {f.closed for f in fams} == {True, False}
    assert {f.shape for f in fams} == {"planar", "saddle", "3d"}
    assert {f.symmetric for f in fams} == {True, False}
    assert {f.stiffness.stiffness_class for f in fams} == {"rigid", "semi-rigid", "flexible"}
    assert any(f.stiffness.segments for f in fams)
    segment_classes = {s.stiffness_class for f in fams for s in f.stiffness.segments}
    assert "flexible" in segment_classes  # flexible posteriorly
    assert {f.adjustable for f in fams} == {True, False}
    assert {f.size_measure for f in fams} == {
        "intertrigonal",
        "commissural_width",
        "trigone_arc_length",
    }
    # Every cell that makes sense for both rings and bands exists for both.
    for closed in (True, False):
        subset = [f for f in fams if f.closed is closed]
        assert {f.stiffness.stiffness_class for f in subset} == {
            "rigid",
            "semi-rigid",
            "flexible",
        }
        assert {f.shape for f in subset} == {"planar", "saddle", "3d"}
        assert {f.symmetric for f in subset} == {True, False}
        assert any(f.adjustable for f in subset)


def test_ids_are_file_names(catalogue):
    for fam in catalogue.families:
        assert fam.origin == f"{fam.id}.toml"


def _broken(tmp_path: Path, old: str, new: str, name: str = "broken.toml") -> Path:
    text = PHYSIO.read_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('shape = "planar"', 'shape = "round"', "field 'shape'"),
        ("sizes_mm = [24,", 'sizes_mm = ["24",', "field 'sizes_mm.0'"),
        ("anterior_share = 0.36\n", "", "field 'geometry.anterior_share' is required"),
        ("width_mm = 3.0\n", "width_mm = -3.0\n", "field 'cross_section.width_mm'"),
        ('class = "semi-rigid"\n', 'class = "stiff"\n', "field 'stiffness.class'"),
        ('from = "ALC"', 'from = "X"', "field 'stiffness.segments.0.from'"),
        ("sizes_mm = [24, 26,", "sizes_mm = [26, 24,", "field 'sizes_mm'"),
        ("symmetric = true", "symmetric = false", "field 'symmetric'"),
        (
            'size_measure = "commissural_width"',
            'colour = 1\nsize_measure = "commissural_width"',
            "colour",
        ),
        (
            "intertrigonal_ratio = 0.8",
            "intertrigonal_ratio = 1.2",
            "field 'geometry.intertrigonal_ratio'",
        ),
    ],
)
def test_schema_errors_name_the_file_and_the_field(tmp_path, old, new, field):
    path = _broken(tmp_path, old, new)
    with pytest.raises(InputError) as info:
        load_family_file(path)
    message = str(info.value)
    assert message.startswith("broken.toml: ")
    assert field in message
    assert "\n" not in message


def test_band_rules(tmp_path):
    text = (builtin_rings_dir() / "future-band-like.toml").read_text()
    path = tmp_path / "band.toml"
    path.write_text(
        text.replace('size_measure = "intertrigonal"', 'size_measure = "trigone_arc_length"')
    )
    with pytest.raises(InputError, match=r"band\.toml: field 'size_measure': a band has no"):
        load_family_file(path)


def test_invalid_toml_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("id = \n")
    with pytest.raises(InputError, match=r"^bad\.toml: not valid TOML"):
        load_family_file(path)


def test_user_ring_joins_the_catalogue(tmp_path, monkeypatch):
    monkeypatch.setenv("MVPLAN_USER_RINGS", str(tmp_path))
    _broken(tmp_path, 'id = "physio-like"', 'id = "my-ring"', name="my-ring.toml")
    cat = load_catalogue()
    assert "my-ring" in cat
    assert cat["my-ring"].user and not cat["physio-like"].user
    assert len(cat) == len(load_catalogue(include_user=False)) + 1


def test_broken_user_file_is_skipped_with_a_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MVPLAN_USER_RINGS", str(tmp_path))
    _broken(tmp_path, 'shape = "planar"', 'shape = "round"', name="mine.toml")
    (tmp_path / "garbage.toml").write_text("[[[")
    shutil.copy(PHYSIO, tmp_path / "copy.toml")  # duplicate id
    cat = load_catalogue()
    err = capsys.readouterr().err
    assert "mine.toml: field 'shape'" in err
    assert "garbage.toml: not valid TOML" in err
    assert "copy.toml: ring id 'physio-like' is already in the catalogue" in err
    assert err.count("skipped") == 3
    assert len(cat.skipped) == 3
    assert len(cat) == len(load_catalogue(include_user=False, warn=lambda m: None))


def test_user_folder_defaults_to_platform_config(monkeypatch, tmp_path):
    monkeypatch.delenv("MVPLAN_USER_RINGS", raising=False)
    monkeypatch.setattr(
        catalogue_module.platformdirs, "user_config_dir", lambda app: str(tmp_path / app)
    )
    assert user_rings_dir() == tmp_path / "mvplan" / "rings"
    monkeypatch.setenv("MVPLAN_USER_RINGS", str(tmp_path / "elsewhere"))
    assert user_rings_dir() == tmp_path / "elsewhere"


def test_missing_user_folder_is_empty(monkeypatch, tmp_path):
    monkeypatch.setenv("MVPLAN_USER_RINGS", str(tmp_path / "does-not-exist"))
    assert len(load_catalogue()) == len(load_catalogue(include_user=False))


def test_broken_builtin_file_is_an_error(tmp_path):
    _broken(tmp_path, 'shape = "planar"', 'shape = "round"')
    with pytest.raises(InputError, match=r"broken\.toml: field 'shape'"):
        load_catalogue(builtin_dir=tmp_path, include_user=False)


def test_unknown_family_lists_the_known(catalogue):
    with pytest.raises(InputError, match=r"unknown ring family 'nope'.*physio-like"):
        catalogue.family("nope")


def test_rings_layer_imports_no_vtk_or_qt():
    import subprocess
    import sys

    code = (
        "import sys, mvplan.rings, mvplan.cli_rings; "
        "bad = [m for m in sys.modules if m.startswith(('vtk', 'PySide6'))]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
