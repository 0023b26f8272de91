"""``mvplan rings ...`` through the handlers of mvplan.cli_rings on a parser built like cli.py's."""

from __future__ import annotations

import argparse
import json

import pytest
from shapes import SAMPLES

from mvplan.cli import _Parser
from mvplan.cli_rings import add_rings_commands
from mvplan.errors import MvplanError


@pytest.fixture(autouse=True)
def _no_user_rings(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("MVPLAN_USER_RINGS", str(tmp_path_factory.mktemp("no-user-rings")))


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mvplan")
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true")
    common.add_argument("--debug", action="store_true")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    add_rings_commands(sub, common)
    return parser


def run(argv: list[str], capsys) -> tuple[int, dict]:
    args = _parser().parse_args(argv)
    code = args.handler(args)
    out = capsys.readouterr().out
    return code, json.loads(out) if "--json" in argv else {"text": out}


def test_list_json_fields(capsys):
    code, out = run(["rings", "list", "--json"], capsys)
    assert code == 0 and out["count"] == len(out["families"]) >= 14
    physio = next(f for f in out["families"] if f["id"] == "physio-like")
    for key in (
        "id",
        "name",
        "closed",
        "shape",
        "symmetric",
        "stiffness",
        "adjustable",
        "sizes_mm",
        "size_measure",
        "resembles",
        "source",
    ):
        assert key in physio
    assert physio["sizes_mm"] == [24, 26, 28, 30, 32, 34, 36, 38, 40]
    assert physio["stiffness"] == "semi-rigid" and physio["segmental"] is True


def test_list_filter(capsys):
    _, out = run(["rings", "list", "--filter", "closed=false,shape=saddle", "--json"], capsys)
    assert [f["id"] for f in out["families"]] == ["generic-saddle-band"]
    _, out = run(["rings", "list", "--filter", "adjustable=true,size=26", "--json"], capsys)
    assert {f["id"] for f in out["families"]} == {"attune-like", "generic-adjustable-band"}
    _, out = run(["rings", "list", "--filter", "stiffness=rigid,closed=true", "--json"], capsys)
    assert all(f["stiffness"] == "rigid" and f["closed"] for f in out["families"])
    assert len(out["families"]) == 5
    code, out = run(["rings", "list"], capsys)
    assert code == 0 and "physio-like" in out["text"]


@pytest.mark.parametrize("bad", ["colour=red", "closed=maybe", "shape"])
def test_bad_filter_is_an_error(capsys, bad):
    with pytest.raises(MvplanError, match="--filter"):
        run(["rings", "list", "--filter", bad], capsys)


def test_show(capsys):
    code, out = run(["rings", "show", "rigid-saddle-like", "--size", "30", "--json"], capsys)
    assert code == 0
    assert out["size_mm"] == 30 and out["commissural_width_mm"] == pytest.approx(30, abs=0.01)
    for key in ("ap_diameter_mm", "intertrigonal_distance_mm", "saddle_height_mm", "arc_length_mm"):
        assert out[key] > 0
    assert out["saddle_height_mm"] == pytest.approx(0.15 * 30, rel=0.1)  # AHCWR 15 %
    assert out["cross_section_mm"] == {"width": 4.3, "height": 3.0}
    seg = out["stiffness"]["segments"][0]
    assert seg["class"] == "rigid" and seg["ei_in_plane_n_mm2"] == pytest.approx(13750.0)
    _, text = run(["rings", "show", "physio-like", "--size", "30"], capsys)
    assert "commissural width" in text["text"] and "30.00" in text["text"]


def test_show_bad_input(capsys):
    with pytest.raises(MvplanError, match="unknown ring family"):
        run(["rings", "show", "nope", "--size", "30"], capsys)
    with pytest.raises(MvplanError, match="not sold") as info:
        run(["rings", "show", "physio-like", "--size", "31"], capsys)
    assert info.value.exit_code == 2


def test_export(capsys, tmp_path):
    target = tmp_path / "r.glb"
    code, out = run(
        ["rings", "export", "geoform-like", "--size", "28", "-o", str(target), "--json"], capsys
    )
    assert code == 0 and target.exists() and out["watertight"] is True
    assert out["output"] == "r.glb"


def test_recommend(capsys):
    code, out = run(
        [
            "rings",
            "recommend",
            str(SAMPLES / "fmr_annulus.csv"),
            "--family",
            "physio-like",
            "--policy",
            "undersize:2",
            "--json",
        ],
        capsys,
    )
    assert code == 0
    assert out["size_mm"] == 30.0 and out["true_size_mm"] == 34.0
    assert out["measure"] == "intertrigonal"
    assert out["measured_mm"] == pytest.approx(28.0, abs=0.2)
    assert "undersize:2" in out["reason"]
    with pytest.raises(MvplanError, match="sizing policy"):
        run(
            [
                "rings",
                "recommend",
                str(SAMPLES / "fmr_annulus.csv"),
                "--family",
                "physio-like",
                "--policy",
                "shrink",
            ],
            capsys,
        )


def test_missing_action_exits_2():
    with pytest.raises(SystemExit) as info:
        _parser().parse_args(["rings"])
    assert info.value.code == 2


def test_rings_commands_through_the_mvplan_entry_point(capsys, tmp_path) -> None:
    import json as _json

    from mvplan.cli import main as mvplan_main

    assert mvplan_main(["rings", "list", "--filter", "closed=false", "--json"]) == 0
    families = _json.loads(capsys.readouterr().out)["families"]
    assert families and all(f["closed"] is False for f in families)
    assert mvplan_main(["rings", "show", "physio-like", "--size", "31"]) == 2
    assert "not sold" in capsys.readouterr().err
    out = tmp_path / "ring.glb"
    assert mvplan_main(["rings", "export", "geoform-like", "--size", "28", "-o", str(out)]) == 0
    assert out.stat().st_size > 1000
