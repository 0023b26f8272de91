"""The plan report: its tables hold the simulation's numbers, its charts and pictures are
there and well formed, CSV and JSON say what the page says, and the same plan gives the
same report.

The page is read back with :mod:`html.parser` (tables by id, rows by ``data-key``, cells by
``data-col``) and its charts with :mod:`xml.etree`, so the checks are about what a reader
sees, not about how the HTML happens to be spelled.
"""

from __future__ import annotations

import base64
import csv
import html
import json
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zlib
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from shapes import SAMPLES

from mvplan.headless import configure_headless

configure_headless(force=True)  # before anything loads VTK (ENVIRONMENT.md)

from mvplan.errors import InputError  # noqa: E402
from mvplan.export import charts  # noqa: E402
from mvplan.export.closure import closure_or_failure  # noqa: E402
from mvplan.export.report import (  # noqa: E402
    DISCLAIMER,
    VIEW_TITLES,
    ClosureFailure,
    png_bytes,
    report_data,
    report_html,
    write_report,
)
from mvplan.geometry.annulus import Annulus, build_annulus  # noqa: E402
from mvplan.geometry.measurements import MEASUREMENT_KEYS  # noqa: E402
from mvplan.io.load import load_annulus, load_papillary  # noqa: E402
from mvplan.plan import Plan  # noqa: E402
from mvplan.planning.annuloplasty import AnnuloplastyResult  # noqa: E402
from mvplan.workflow import (  # noqa: E402
    ClosureCase,
    ClosureOutcome,
    MadePlan,
    make_plan,
    simulate_plan,
)

SAMPLE = SAMPLES / "healthy_annulus.csv"
IMAGE_SIZE = (320, 200)
SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)
NS = "{http://www.w3.org/2000/svg}"


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def healthy() -> Annulus:
    return load_annulus(SAMPLE)


@pytest.fixture(scope="module")
def planned(healthy: Annulus) -> MadePlan:
    """The healthy sample with a Physio-like ring sized by the true-size policy."""
    return make_plan(healthy, "physio-like", policy="true-size", name="healthy sample")


@pytest.fixture(scope="module")
def simulated(planned: MadePlan) -> AnnuloplastyResult:
    return simulate_plan(planned.plan, spec=planned.spec)


@pytest.fixture(scope="module")
def written(
    planned: MadePlan, simulated: AnnuloplastyResult, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """The full report with its 3D views, rendered once for the module."""
    folder = tmp_path_factory.mktemp("report")
    paths = write_report(
        planned.plan,
        simulated,
        planned.spec,
        folder / "report.html",
        recommendation=planned.recommendation,
        size=IMAGE_SIZE,
        plan_file="/somewhere/private/healthy.mvplan.json",
        generated=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    )
    return {p.suffix: p for p in paths}


class Page(HTMLParser):
    """Tables of a report page: ``tables[id][row key][column] -> text``, plus section ids.

    Key-value tables give their label as column ``th`` and their value as ``value``.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, dict[str, str]]] = {}
        self.sections: list[str] = []
        self._table: dict[str, dict[str, str]] | None = None
        self._row: dict[str, str] | None = None
        self._col: str | None = None
        self._text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.sections.append(str(a.get("id")))
        elif tag == "table":
            self._table = self.tables.setdefault(str(a.get("id")), {})
        elif tag == "tr" and self._table is not None and a.get("data-key"):
            self._row = self._table.setdefault(str(a["data-key"]), {})
        elif tag in ("td", "th") and self._row is not None:
            self._col = a.get("data-col") or ("th" if tag == "th" else "value")
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._col is not None:
            self._row[self._col] = "".join(self._text).strip()
            self._col = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._col is not None:
            self._text.append(data)


def read_csv(path: Path) -> dict[tuple[str, str, str], tuple[str, str]]:
    with open(path, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    return {(r["section"], r["item"], r["quantity"]): (r["value"], r["unit"]) for r in rows}


def shown(value: float | None, digits: int, signed: bool = False) -> str:
    return "n/a" if value is None else f"{value:{'+' if signed else ''}.{digits}f}"


def png_pixels(data: bytes) -> np.ndarray:
    """Decode a PNG of :func:`png_bytes` (8-bit RGB, one IDAT, Sub filter) to (h, w, 3)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        tag, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(tag + body) & 0xFFFFFFFF
        chunks[tag] = body
        at += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 2)
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8)
    rows = raw.reshape(height, 1 + 3 * width)
    assert np.all(rows[:, 0] == 1)  # the Sub filter on every row
    pixels = np.cumsum(rows[:, 1:].reshape(height, width, 3).astype(np.int64), axis=1) % 256
    return pixels.astype(np.uint8)


# -- the page ------------------------------------------------------------------------------------


def test_the_tables_hold_the_simulations_numbers(
    written: dict[str, Path], simulated: AnnuloplastyResult
) -> None:
    text = written[".html"].read_text(encoding="utf-8")
    page = Page(text)
    figures = simulated.to_dict()
    table = page.tables["measurements-table"]
    assert list(table) == list(MEASUREMENT_KEYS)
    for key in MEASUREMENT_KEYS:
        digits = 3 if key == "sphericity_index" else 1
        row = table[key]
        assert row["before"] == shown(figures["pre"][key], digits), key
        assert row["after"] == shown(figures["post"][key], digits), key
        assert row["change"] == shown(figures["change"][key], digits, signed=True), key
    ap = figures["change"]["ap_diameter_mm"] / figures["pre"]["ap_diameter_mm"]
    assert table["ap_diameter_mm"]["change_percent"] == shown(100 * ap, 1, signed=True)
    assert table["ap_diameter_mm"]["unit"] == "mm" and table["area_3d_mm2"]["unit"] == "mm2"

    sutures = page.tables["sutures-table"]
    assert list(sutures) == [str(s["index"]) for s in figures["sutures"]]
    for s in figures["sutures"]:
        row = sutures[str(s["index"])]
        assert row["force_n"] == f"{s['force_n']:.2f}"
        assert row["region"] == s["region"]
        assert row["near_pullout"] == ("near pull-out" if s["near_pullout"] else "")
        level = figures["warn_fraction"] * s["pullout_strength_n"]
        assert row["warn_level_n"] == f"{level:.2f}"

    solver = page.tables["solver-table"]
    assert solver["converged"]["value"] == "yes"
    assert solver["iterations"]["value"] == str(figures["solver"]["iterations"])
    assert solver["relative_residual"]["value"] == f"{figures['solver']['residual']:.2e}"
    assert solver["annulus_nodes"]["value"] == str(figures["solver"]["annulus_nodes"])
    assert solver["time_ms"]["value"].endswith(" ms")
    strain = page.tables["mechanics-table"]
    assert strain["max_percent"]["value"] == f"{100 * figures['tissue_strain']['max']:+.1f} %"
    assert strain["max_mm"]["value"] == f"{figures['ring']['deformation_max_mm']:.2f} mm"

    ring = page.tables["ring-table"]
    assert "physio-like" in ring["family"]["value"]
    assert ring["size_mm"]["value"].startswith("32 mm (commissural width")
    assert "semi-rigid" in ring["stiffness_class"]["value"]
    assert "complete ring" in ring["kind"]["value"]
    assert "true-size policy" in text and "intertrigonal distance 26.1 mm" in text
    inputs = page.tables["input-table"]
    assert inputs["source"]["value"] == "healthy_annulus.csv"
    assert inputs["input_points"]["value"] == "74"
    assert "ALT (given)" in inputs["landmarks"]["value"]

    # The disclaimer at the top and in the footer, the version and the injected date.
    assert text.count(DISCLAIMER) == 2
    assert text.index(DISCLAIMER) < text.index('id="input"')
    assert "mvplan 0.1.0, generated 2024-05-06T07:08:09+00:00" in text
    assert "healthy.mvplan.json" in text and "/somewhere/private" not in text
    for section in ("input", "ring", "measurements", "profile", "sutures", "mechanics", "views"):
        assert section in page.sections


def test_the_charts_are_well_formed_svg(
    written: dict[str, Path], simulated: AnnuloplastyResult
) -> None:
    text = written[".html"].read_text(encoding="utf-8")
    svgs = [ET.fromstring(s) for s in SVG.findall(text)]
    assert len(svgs) == 2
    by_label = {svg.get("aria-label", ""): svg for svg in svgs}
    forces = next(svg for label, svg in by_label.items() if label.startswith("Suture forces"))
    bars = [r for r in forces.iter(f"{NS}rect") if r.get("class") == "bar"]
    assert [float(b.get("data-force-n", "nan")) for b in bars] == pytest.approx(
        simulated.suture_forces_n, abs=1e-4
    )
    assert [b.get("data-region") for b in bars] == list(simulated.suture_regions)
    heights = np.array([float(b.get("height", "nan")) for b in bars])
    ratio = heights / simulated.suture_forces_n
    assert ratio == pytest.approx(ratio[0], rel=1e-3)  # bars drawn to scale
    levels = {w.get("data-region"): float(w.get("data-level-n", "nan")) for w in forces.iter()}
    levels.pop(None, None)
    assert levels == pytest.approx({"anterior": 3.2, "posterior": 1.95}, abs=1e-4)
    labels = " ".join(t.text or "" for t in forces.iter(f"{NS}text"))
    assert "force (N)" in labels and "suture (ring order)" in labels

    profile = next(svg for label, svg in by_label.items() if label.startswith("Saddle profile"))
    curves = {p.get("data-curve"): p for p in profile.iter(f"{NS}polyline")}
    assert set(curves) == {"native", "with ring"}
    assert len(curves["native"].get("points", "").split()) == 361
    marks = {m.get("data-name") for m in profile.iter(f"{NS}line") if m.get("class") == "landmark"}
    assert marks == {"A", "P", "ALC", "PMC", "ALT", "PMT"}
    labels = " ".join(t.text or "" for t in profile.iter(f"{NS}text"))
    assert "height (mm, + atrial)" in labels and "% of perimeter" in labels


def test_the_three_views_are_pngs_of_the_size_asked(written: dict[str, Path]) -> None:
    text = written[".html"].read_text(encoding="utf-8")
    found = dict(re.findall(r'data-view="(\w+)"><img src="data:image/png;base64,([^"]+)"', text))
    assert list(found) == list(VIEW_TITLES) == ["atrial", "lateral", "ap"]
    for view, data in found.items():
        pixels = png_pixels(base64.b64decode(data))
        assert pixels.shape == (IMAGE_SIZE[1], IMAGE_SIZE[0], 3), view
        # Something is drawn on the background: many distinct colours, not a blank frame.
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50, view


def test_csv_and_json_say_what_the_page_says(written: dict[str, Path]) -> None:
    page = Page(written[".html"].read_text(encoding="utf-8"))
    data = json.loads(written[".json"].read_text(encoding="utf-8"))
    table = read_csv(written[".csv"])
    for row in data["measurements"]:
        key, digits = row["key"], 3 if row["key"] == "sphericity_index" else 1
        for quantity in ("before", "after", "change"):
            value, unit = table[("measurement", key, quantity)]
            assert float(value) == row[quantity]  # full precision, the same float
            assert unit == row["unit"]
            shown_value = shown(row[quantity], digits, signed=quantity == "change")
            assert page.tables["measurements-table"][key][quantity] == shown_value
        assert table[("measurement", key, "estimated")][0] == "false"
    for s in data["sutures"]:
        value, unit = table[("suture", str(s["index"]), "force_n")]
        assert (float(value), unit) == (s["force_n"], "N")
        assert page.tables["sutures-table"][str(s["index"])]["force_n"] == f"{s['force_n']:.2f}"
        assert table[("suture", str(s["index"]), "region")][0] == s["region"]
    solver = data["solver"]
    for key in ("iterations", "annulus_nodes", "ring_nodes"):
        assert table[("solver", "", key)][0] == str(solver[key])
        assert page.tables["solver-table"][key]["value"] == str(solver[key])
    assert float(table[("solver", "", "relative_residual")][0]) == solver["relative_residual"]
    assert table[("solver", "", "time_ms")][1] == "ms"
    assert data["report"]["disclaimer"] == DISCLAIMER
    assert data["report"]["generated"] == "2024-05-06T07:08:09+00:00"
    assert data["sizing"]["reason"] == table[("sizing", "", "reason")][0]
    assert data["ring"]["size_mm"] == 32.0 == float(table[("ring", "", "size_mm")][0])


def test_the_same_plan_gives_the_same_report(tmp_path: Path) -> None:
    """Made, simulated and reported twice from the file: the same bytes (date and solver
    time left out, no 3D views)."""
    files = []
    for run in ("first", "second"):
        made = make_plan(load_annulus(SAMPLE), "physio-like", policy="true-size", name="again")
        result = simulate_plan(made.plan, spec=made.spec)
        (tmp_path / run).mkdir()
        paths = write_report(
            made.plan,
            result,
            made.spec,
            tmp_path / run / "report.html",
            recommendation=made.recommendation,
            images=False,
            reproducible=True,
        )
        files.append([p.read_bytes() for p in paths])
    assert files[0] == files[1]
    page = files[0][0].decode("utf-8")
    assert "date not recorded" in page and "3D views not rendered" in page
    data = json.loads(files[0][2])
    assert data["report"]["generated"] is None and "time_ms" not in data["solver"]


def test_a_plan_with_no_ring_shows_the_native_annulus_alone(
    healthy: Annulus, tmp_path: Path
) -> None:
    bare = make_plan(healthy, None, name="native").plan
    html_path, csv_path, json_path = write_report(
        bare, None, None, tmp_path / "bare.html", images=False, reproducible=True
    )
    assert [p.name for p in (csv_path, json_path)] == ["bare.csv", "bare.json"]
    text = html_path.read_text(encoding="utf-8")
    page = Page(text)
    assert "No device in this plan" in text and "no simulation was run" in text
    assert set(page.tables["measurements-table"]["ap_diameter_mm"]) == {"th", "before", "unit"}
    assert "sutures-table" not in page.tables and "solver-table" not in page.tables
    assert len(SVG.findall(text)) == 1  # the native saddle profile alone
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["ring"] is None and data["sizing"] is None and data["sutures"] == []
    assert data["simulation"]["simulated"] is False
    assert all(row["after"] is None for row in data["measurements"])
    table = read_csv(csv_path)
    assert table[("measurement", "ap_diameter_mm", "after")][0] == ""
    assert not any(section == "suture" for section, _, _ in table)
    # A no-device "result" (nothing moves) adds nothing: the same report as none.
    again = write_report(
        bare,
        simulate_plan(bare),
        None,
        tmp_path / "again.html",
        images=False,
        reproducible=True,
    )
    assert again[0].read_bytes() == html_path.read_bytes()
    assert again[2].read_bytes() == json_path.read_bytes()


def test_an_unsimulated_plan_says_so(planned: MadePlan, tmp_path: Path) -> None:
    paths = write_report(
        planned.plan,
        None,
        planned.spec,
        tmp_path / "r.html",
        recommendation=planned.recommendation,
        images=False,
    )
    text = paths[0].read_text(encoding="utf-8")
    assert "has not been simulated: no simulation was run" in text
    page = Page(text)
    assert set(page.tables["measurements-table"]["perimeter_mm"]) == {"th", "before", "unit"}
    assert "ring-table" in page.tables and "sutures-table" not in page.tables
    data = json.loads(paths[2].read_text(encoding="utf-8"))
    assert data["solver"] is None and data["ring"]["family"] == "physio-like"
    assert data["sizing"]["source"] == "plan"


def test_without_a_recommendation_the_true_size_is_shown_for_comparison(
    healthy: Annulus,
) -> None:
    made = make_plan(healthy, "physio-like", size_mm=28)
    sizing = report_data(made.plan, None, made.spec)["sizing"]
    assert sizing["source"] == "true-size comparison"
    assert (sizing["true_size_mm"], sizing["plan_size_mm"]) == (32.0, 28.0)
    assert sizing["sizes_from_true_size"] == -2


def test_a_recommendation_for_another_ring_is_refused(planned: MadePlan, healthy: Annulus) -> None:
    other = make_plan(healthy, "classic-like", size_mm=28)
    with pytest.raises(InputError, match="recommendation is for ring physio-like"):
        report_data(other.plan, None, other.spec, planned.recommendation)


def test_user_text_is_escaped(planned: MadePlan, tmp_path: Path) -> None:
    from dataclasses import replace

    name = '<script>alert("x")</script>'
    plan = replace(planned.plan, name=name, notes="A & P <b>")
    paths = write_report(plan, None, planned.spec, tmp_path / "r.html", images=False)
    text = paths[0].read_text(encoding="utf-8")
    assert "<script" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "A &amp; P &lt;b&gt;" in text
    assert json.loads(paths[2].read_text(encoding="utf-8"))["report"]["plan_name"] == name
    assert read_csv(paths[1])[("report", "", "plan_name")][0] == name


@pytest.mark.parametrize("case", ["missing folder", "file as folder", "folder", "suffix"])
def test_a_path_that_cannot_be_written_is_an_input_error(
    planned: MadePlan, tmp_path: Path, case: str
) -> None:
    (tmp_path / "a file").write_text("x")
    (tmp_path / "taken.html").mkdir()
    path = {
        "missing folder": tmp_path / "nowhere" / "report.html",
        "file as folder": tmp_path / "a file" / "report.html",
        "folder": tmp_path / "taken.html",
        "suffix": tmp_path / "report.txt",
    }[case]
    with pytest.raises(InputError) as caught:
        write_report(planned.plan, None, planned.spec, path, images=False)
    assert "\n" not in str(caught.value) and str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a file", "taken.html"]


def test_a_pdf_without_weasyprint_is_an_input_error(
    planned: MadePlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import now raises ImportError
    with pytest.raises(InputError, match="WeasyPrint"):
        write_report(planned.plan, None, planned.spec, tmp_path / "r.pdf", images=False)
    assert list(tmp_path.iterdir()) == []


def test_a_pdf_report(planned: MadePlan, tmp_path: Path) -> None:
    pytest.importorskip("weasyprint", reason="WeasyPrint (optional) is not installed")
    paths = write_report(planned.plan, None, planned.spec, tmp_path / "r.pdf", images=False)
    assert [p.name for p in paths] == ["r.pdf", "r.csv", "r.json"]
    assert paths[0].read_bytes()[:5] == b"%PDF-"


# -- the pieces ----------------------------------------------------------------------------------


def test_png_bytes_round_trip() -> None:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    data = png_bytes(image)
    assert np.array_equal(png_pixels(data), image)
    assert png_bytes(image) == data


def test_charts_are_deterministic_and_handle_edge_cases() -> None:
    args = ([0.5, 2.5, 1.0], ["posterior", "posterior", "anterior"], {"posterior": 1.95})
    first = charts.suture_force_chart(*args)
    assert charts.suture_force_chart(*args) == first
    svg = ET.fromstring(first)
    flagged = [r for r in svg.iter(f"{NS}rect") if r.get("class") == "bar" and r.get("stroke")]
    assert [r.get("data-index") for r in flagged] == ["2"]  # over its region's level
    assert [t.text for t in svg.iter(f"{NS}text")].count("!") == 1
    empty = ET.fromstring(charts.suture_force_chart([], [], {}))
    assert [t.text for t in empty.iter(f"{NS}text")] == ["no sutures"]
    with pytest.raises(ValueError, match="regions"):
        charts.suture_force_chart([1.0], [], {})


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.0, 3.7, (0.0, 4.0)),
        (-1.9, 1.6, (-2.0, 2.0)),
        (0.0, 0.0, (0.0, 0.2)),
        (2.0, 2.0, (2.0, 2.5)),
    ],
)
def test_nice_ticks_cover_the_range_with_round_steps(
    low: float, high: float, expected: tuple[float, float]
) -> None:
    axis_low, axis_high, ticks = charts.nice_ticks(low, high)
    assert (axis_low, axis_high) == pytest.approx(expected)
    assert ticks[0] == pytest.approx(axis_low) and ticks[-1] == pytest.approx(axis_high)
    assert axis_low <= low and high <= axis_high


def test_report_data_is_json_ready(planned: MadePlan, simulated: AnnuloplastyResult) -> None:
    data: dict[str, Any] = report_data(planned.plan, simulated, planned.spec)
    assert json.loads(json.dumps(data, allow_nan=False)) == data


def test_the_input_summary_tells_how_the_input_was_read(healthy: Annulus, tmp_path: Path) -> None:
    """Papillary tips listed; a round curve in centimetres: units inferred, no landmarks, the
    measurements that need them n/a with the reason, in the page and in the CSV."""
    tips = load_papillary(SAMPLES / "healthy_papillary_tips.csv", healthy)
    plan = make_plan(healthy, None, papillary=tips).plan
    page = Page(report_html(report_data(plan, None)))
    row = page.tables["input-table"]["papillary_anterolateral"]["value"]
    assert row == "({}) mm".format(", ".join(f"{c:.1f}" for c in tips.anterolateral))

    t = np.linspace(0.0, 2.0 * np.pi, 60, endpoint=False)
    circle = build_annulus(1.5 * np.c_[np.cos(t), np.sin(t), 0 * t], source="round.csv")
    paths = write_report(Plan(circle), None, None, tmp_path / "r.html", images=False)
    text = paths[0].read_text(encoding="utf-8")
    page = Page(text)
    inputs = page.tables["input-table"]
    assert inputs["input_units"]["value"] == "cm (inferred from the curve's size)"
    assert inputs["landmarks"]["value"] == "none"
    assert "cannot be estimated" in inputs["missing_A"]["value"]
    assert page.tables["measurements-table"]["ap_diameter_mm"]["before"] == "n/a"
    assert page.tables["measurements-table"]["perimeter_mm"]["before"] == f"{30 * np.pi:.1f}"
    reason = read_csv(paths[1])[("measurement", "ap_diameter_mm", "reason")][0]
    assert "cannot be estimated" in reason and reason in html.unescape(text)
    profile = ET.fromstring(SVG.findall(text)[0])
    assert not [m for m in profile.iter(f"{NS}line") if m.get("class") == "landmark"]


# -- the leaflet closure ---------------------------------------------------------------------

#: Rows in the format of :func:`mvplan.sweep.closure_sensitivity` (made by hand).
SENSITIVITY = [
    {
        "parameter": "chord_rest_length",
        "scale": 0.9,
        "coaptation_length_mean_mm": 4.1,
        "coaptation_length_min_mm": 2.5,
        "regurgitant_orifice_area_mm2": 0.21,
        "closed": True,
        "converged": True,
        "delta_coaptation_length_mean_mm": -0.39,
        "delta_regurgitant_orifice_area_mm2": 0.04,
    },
    {
        "parameter": "chord_rest_length",
        "scale": 1.1,
        "coaptation_length_mean_mm": 4.9,
        "coaptation_length_min_mm": 3.2,
        "regurgitant_orifice_area_mm2": 0.1,
        "closed": True,
        "converged": True,
        "delta_coaptation_length_mean_mm": 0.41,
        "delta_regurgitant_orifice_area_mm2": -0.07,
    },
    {
        "parameter": "leaflet_stiffness",
        "scale": 0.9,
        "coaptation_length_mean_mm": None,
        "coaptation_length_min_mm": None,
        "regurgitant_orifice_area_mm2": None,
        "closed": None,
        "converged": False,
        "delta_coaptation_length_mean_mm": None,
        "delta_regurgitant_orifice_area_mm2": None,
        "error": "the repaired leaflet closure did not converge: relative residual 0.002",
    },
    {
        "parameter": "leaflet_stiffness",
        "scale": 1.1,
        "coaptation_length_mean_mm": 4.4,
        "coaptation_length_min_mm": 2.9,
        "regurgitant_orifice_area_mm2": 6.5,
        "closed": False,
        "converged": True,
        "delta_coaptation_length_mean_mm": -0.09,
        "delta_regurgitant_orifice_area_mm2": 6.33,
    },
]

#: The closure table's rows: key, format, unit (as the page shows them).
CLOSURE_ROWS = {
    "coaptation_length_min_mm": (".1f", " mm"),
    "coaptation_length_mean_mm": (".1f", " mm"),
    "coaptation_area_mm2": (".0f", " mm2"),
    "regurgitant_orifice_area_mm2": (".1f", " mm2"),
    "tenting_height_mm": (".1f", " mm"),
    "tenting_volume_ml": (".2f", " ml"),
    "diastolic_orifice_proxy_mm2": (".0f", " mm2"),
    "chord_force_max_n": (".2f", " N"),
    "chord_force_sum_n": (".1f", " N"),
    "leaflet_stress_p95_mpa": (".3f", " MPa"),
    "relative_residual": (".2e", ""),
}


@pytest.fixture(scope="module")
def with_closure(
    made: MadePlan,
    result: AnnuloplastyResult,
    closure: ClosureOutcome,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path]:
    """The report of the shared ring plan with its closure and a sensitivity table."""
    folder = tmp_path_factory.mktemp("closure-report")
    paths = write_report(
        made.plan,
        result,
        made.spec,
        folder / "closure.html",
        size=IMAGE_SIZE,
        closure=closure,
        sensitivity=SENSITIVITY,
        generated=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    )
    return {p.suffix: p for p in paths}


def _flat(case: ClosureCase) -> dict[str, Any]:
    """A closure case's figures as the report keeps them (the solver's flattened)."""
    figures = case.to_dict()
    solver = figures.pop("solver")
    return {
        **figures,
        "converged": solver["converged"],
        "relative_residual": solver["residual"],
        "iterations": solver["iterations"],
        "surfaces_cross": solver["surfaces_cross"],
        "time_ms": solver["time_ms"],
    }


def test_the_closure_table_holds_the_closures_numbers(
    with_closure: dict[str, Path], closure: ClosureOutcome
) -> None:
    text = with_closure[".html"].read_text(encoding="utf-8")
    page = Page(text)
    assert "closure" in page.sections
    assert text.index('id="closure"') < text.index('id="views"')
    assert 'id="closure-alert"' not in text and 'class="alert"' not in text
    table = page.tables["closure-table"]
    data = json.loads(with_closure[".json"].read_text(encoding="utf-8"))
    assert data["report"]["format"] == 3
    rows = read_csv(with_closure[".csv"])
    for name in ("native", "repaired"):
        case = getattr(closure, name)
        expected = _flat(case)
        assert data["closure"][name] == pytest.approx(expected)
        for key, (fmt, unit) in CLOSURE_ROWS.items():
            assert table[key][name] == format(expected[key], fmt) + unit, (name, key)
            value, csv_unit = rows[("closure", name, key)]
            assert float(value) == expected[key]
            assert csv_unit == unit.strip()
        assert table["closed"][name] == ("yes" if expected["closed"] else "no")
        assert table["converged"][name] == "yes"
        assert table["iterations"][name] == str(expected["iterations"])
        assert rows[("closure", name, "stenosis_warning")][0] == "false"
        # The healthy sample under this downsized rigid ring crushes its rim: the repaired
        # leaflets cross there (a known defect, docs/theory.md section 10), and the page says so.
        crossing = expected["surfaces_cross"]
        assert rows[("closure", name, "surfaces_cross")][0] == str(crossing).lower()
        assert (f"in the {name} closed valve, leaflet triangles" in text) is crossing
    assert data["closure"]["status"] == "converged" and data["closure"]["failure"] is None
    model = data["closure"]["model"]
    assert model["leaflet_nodes"] == closure.model.n_leaflet_nodes
    assert model["pressure_mmhg"] == 120.0 and model["tolerance"] == 1e-8
    assert rows[("closure_model", "", "pressure_mpa")] == ("0.016", "MPa")
    assert f"{model['leaflet_nodes']} nodes" in page_text(text, "closure-model")
    # The stations: in the JSON and the CSV, from the ALC end.
    stations = data["closure"]["stations"]
    native = closure.native.coaptation
    assert len(stations) == native.coaptation_length_mm.size
    by_number = {s["station"]: s for s in stations}
    for k, length in enumerate(native.coaptation_length_mm):
        assert by_number[k + 1]["native_mm"] == pytest.approx(length, abs=1e-4)
    positions = [s["from_alc_percent"] for s in stations]
    assert positions == sorted(positions) and 0 < positions[0] < positions[-1] < 100
    assert data["closure"]["ends"] == ["ALC", "PMC"]
    assert rows[("coaptation_station", "1", "native_mm")][1] == "mm"


def page_text(text: str, element_id: str) -> str:
    """The text of the element with ``element_id`` (a paragraph)."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', text, re.DOTALL)
    assert match is not None, element_id
    return html.unescape(match.group(1))


def test_the_coaptation_chart_draws_each_station(
    with_closure: dict[str, Path], closure: ClosureOutcome
) -> None:
    text = with_closure[".html"].read_text(encoding="utf-8")
    svgs = [ET.fromstring(s) for s in SVG.findall(text)]
    chart = next(s for s in svgs if s.get("aria-label", "").startswith("Coaptation length"))
    curves = {p.get("data-curve") for p in chart.iter(f"{NS}polyline")}
    assert curves == {"native", "with ring"}
    assert closure.repaired is not None
    for name, case in (("native", closure.native), ("with ring", closure.repaired)):
        dots = [c for c in chart.iter(f"{NS}circle") if c.get("data-curve") == name]
        lengths = {
            int(c.get("data-station", "0")): float(c.get("data-length-mm", "nan")) for c in dots
        }
        expected = case.coaptation.coaptation_length_mm
        assert sorted(lengths) == list(range(1, expected.size + 1))
        assert [lengths[k + 1] for k in range(expected.size)] == pytest.approx(expected, abs=1e-4)
    central = [r for r in chart.iter(f"{NS}rect") if r.get("class") == "central"]
    assert len(central) == 1
    labels = " ".join(t.text or "" for t in chart.iter(f"{NS}text"))
    assert "ALC" in labels and "PMC" in labels and "coaptation length (mm)" in labels


def test_each_closed_valve_has_a_view(with_closure: dict[str, Path]) -> None:
    text = with_closure[".html"].read_text(encoding="utf-8")
    found = dict(
        re.findall(r'data-closure-view="(\w+)"><img src="data:image/png;base64,([^"]+)"', text)
    )
    assert list(found) == ["native", "repaired"]
    for name, data in found.items():
        pixels = png_pixels(base64.b64decode(data))
        assert pixels.shape == (IMAGE_SIZE[1], IMAGE_SIZE[0], 3), name
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50, name
        # The contact band in the gap map's teal: green and blue well over red.
        rgb = pixels.reshape(-1, 3).astype(int)
        teal = (rgb[:, 1] > rgb[:, 0] + 60) & (rgb[:, 2] > rgb[:, 0] + 40)
        assert teal.sum() > 50, name
    # The plan's own three views are still there.
    assert re.findall(r'data-view="(\w+)">', text) == list(VIEW_TITLES)


def test_the_sensitivity_table(with_closure: dict[str, Path]) -> None:
    text = with_closure[".html"].read_text(encoding="utf-8")
    assert "Sensitivity (±10 %)" in text
    table = Page(text).tables["sensitivity-table"]
    assert list(table) == [f"{r['parameter']}:{r['scale']}" for r in SENSITIVITY]
    first = table["chord_rest_length:0.9"]
    assert first["th"] == "Chord rest length × 0.9"
    assert first["coaptation_length_mean_mm"] == "4.1"
    assert first["delta_coaptation_length_mean_mm"] == "-0.4"
    assert first["delta_regurgitant_orifice_area_mm2"] == "+0.04"
    assert first["closed"] == "yes" and first["converged"] == "yes"
    assert table["leaflet_stiffness:1.1"]["closed"] == "no"
    failed = table["leaflet_stiffness:0.9"]
    assert failed["converged"] == "did not converge"
    assert {failed[c] for c in failed if c not in ("th", "converged")} == {"\u2014"}
    assert 'data-key="leaflet_stiffness:0.9" class="flag"' in text
    assert "Leaflet stiffness × 0.9: the repaired leaflet closure did not converge" in text
    assert "The with the ring closure" not in text and "The with the ring" not in text
    data = json.loads(with_closure[".json"].read_text(encoding="utf-8"))
    assert data["sensitivity"] == SENSITIVITY
    rows = read_csv(with_closure[".csv"])
    assert rows[("sensitivity", "chord_rest_length x0.9", "coaptation_length_mean_mm")] == (
        "4.1",
        "mm",
    )
    assert rows[("sensitivity", "leaflet_stiffness x0.9", "converged")][0] == "false"
    assert rows[("sensitivity", "leaflet_stiffness x0.9", "coaptation_length_min_mm")][0] == ""
    assert rows[("sensitivity", "leaflet_stiffness x0.9", "error")][0].startswith("the repaired")


def test_a_repaired_closure_that_does_not_converge_is_kept_as_a_failure(
    repaired_fails: None, made: MadePlan, result: AnnuloplastyResult, closure: ClosureOutcome
) -> None:
    outcome, failure = closure_or_failure(made.plan, result, source="plan.mvplan.json")
    assert outcome is not None and outcome.repaired is None
    assert outcome.native is closure.native
    assert failure is not None and failure.case == "repaired"
    assert failure.relative_residual == 2.5e-4 and failure.tolerance == 1e-8
    assert failure.message.startswith("plan.mvplan.json: the repaired leaflet closure did not")
    assert failure.sentence() == (
        "The repaired leaflet closure did not converge (relative residual 2.50e-04, "
        "tolerance 1e-08)."
    )


def test_a_native_closure_that_does_not_converge_leaves_nothing(
    stalled_solves: None, made: MadePlan, result: AnnuloplastyResult
) -> None:
    outcome, failure = closure_or_failure(made.plan, result)
    assert outcome is None
    assert failure is not None and failure.case == "native"
    assert failure.relative_residual == 2.5e-4


def test_a_report_whose_repaired_closure_did_not_converge_says_so(
    repaired_fails: None,
    made: MadePlan,
    result: AnnuloplastyResult,
    closure: ClosureOutcome,
    tmp_path: Path,
) -> None:
    outcome, failure = closure_or_failure(made.plan, result)
    paths = write_report(
        made.plan,
        result,
        made.spec,
        tmp_path / "r.html",
        size=IMAGE_SIZE,
        closure=outcome,
        closure_failure=failure,
    )
    text = paths[0].read_text(encoding="utf-8")
    # Said at the top, before anything else of the report, and again in its section.
    alert = page_text(text, "closure-alert")
    assert alert.startswith("The repaired leaflet closure did not converge (relative residual ")
    assert "2.50e-04" in alert and "only the native closure" in alert
    assert text.index('id="closure-alert"') < text.index('id="input"')
    assert text.count('class="alert"') == 2
    # The native column holds the native closure; the repaired one no figure.
    table = Page(text).tables["closure-table"]
    native = _flat(closure.native)
    assert (
        table["coaptation_length_mean_mm"]["native"]
        == f"{native['coaptation_length_mean_mm']:.1f} mm"
    )
    for key, row in table.items():
        expected = {"converged": "no", "relative_residual": "2.50e-04"}.get(key, "\u2014")
        assert row["repaired"] == expected, key
    assert "With ring: did not converge" in text
    svgs = [ET.fromstring(s) for s in SVG.findall(text)]
    chart = next(s for s in svgs if s.get("aria-label", "").startswith("Coaptation length"))
    assert {p.get("data-curve") for p in chart.iter(f"{NS}polyline")} == {"native"}
    assert re.findall(r'data-closure-view="(\w+)"', text) == ["native"]
    # Nor in the numbers files.
    data = json.loads(paths[2].read_text(encoding="utf-8"))
    assert data["closure"]["status"] == "not converged"
    assert data["closure"]["repaired"] is None
    assert data["closure"]["failure"] == {
        "case": "repaired",
        "message": failure.message,
        "relative_residual": 2.5e-4,
        "tolerance": 1e-8,
    }
    assert all(s["repaired_mm"] is None for s in data["closure"]["stations"])
    rows = read_csv(paths[1])
    assert not [r for r in rows if r[:2] == ("closure", "repaired")]
    assert rows[("closure_failure", "", "relative_residual")][0] == "0.00025"
    assert rows[("closure", "", "status")][0] == "not converged"


def test_a_report_whose_native_closure_did_not_converge_shows_no_closure(
    made: MadePlan, result: AnnuloplastyResult, tmp_path: Path
) -> None:
    failure = ClosureFailure("native", "the native leaflet closure did not converge", 0.03, 1e-8)
    paths = write_report(
        made.plan, result, made.spec, tmp_path / "r.html", images=False, closure_failure=failure
    )
    text = paths[0].read_text(encoding="utf-8")
    assert "no closure figures are shown" in page_text(text, "closure-alert")
    assert "3.00e-02" in page_text(text, "closure-alert")
    page = Page(text)
    assert "closure-table" not in page.tables
    assert not any("Coaptation length" in s for s in SVG.findall(text))
    data = json.loads(paths[2].read_text(encoding="utf-8"))
    closure = data["closure"]
    assert (closure["native"], closure["repaired"], closure["model"]) == (None, None, None)
    assert closure["stations"] == [] and closure["failure"]["case"] == "native"


def test_a_failure_of_a_closure_that_is_there_is_refused(
    made: MadePlan, result: AnnuloplastyResult, closure: ClosureOutcome
) -> None:
    failure = ClosureFailure("repaired", "did not converge", 1e-3, 1e-8)
    with pytest.raises(InputError, match="a repaired closure and a failure of it"):
        report_data(made.plan, result, made.spec, closure=closure, closure_failure=failure)


def test_no_closure_says_it_was_not_simulated(
    planned: MadePlan, simulated: AnnuloplastyResult
) -> None:
    data = report_data(planned.plan, simulated, planned.spec)
    assert data["closure"]["status"] == "not simulated" and data["sensitivity"] is None
    text = report_html(data)
    assert "The leaflet closure was not simulated." in text
    assert "closure-table" not in Page(text).tables


def test_a_closure_report_is_reproducible(
    made: MadePlan, result: AnnuloplastyResult, closure: ClosureOutcome, tmp_path: Path
) -> None:
    """The same closure gives the same bytes with ``reproducible=True``; its solver's wall
    time is left out (a closure whose solve took longer gives the same report)."""
    from dataclasses import replace

    assert closure.repaired is not None
    slower = ClosureOutcome(
        closure.model,
        replace(closure.native, result=replace(closure.native.result, time_ms=1e6)),
        replace(closure.repaired, result=replace(closure.repaired.result, time_ms=2e6)),
    )
    files = []
    for run, outcome in (("first", closure), ("second", slower)):
        (tmp_path / run).mkdir()
        paths = write_report(
            made.plan,
            result,
            made.spec,
            tmp_path / run / "report.html",
            images=False,
            reproducible=True,
            closure=outcome,
            sensitivity=SENSITIVITY,
        )
        files.append([p.read_bytes() for p in paths])
    assert files[0] == files[1]
    data = json.loads(files[0][2])
    assert (
        "time_ms" not in data["closure"]["native"] and "time_ms" not in data["closure"]["repaired"]
    )
    assert "time_ms" not in Page(files[0][0].decode("utf-8")).tables["closure-table"]
    # With timing, the time is there.
    timed = report_data(made.plan, result, made.spec, closure=slower)
    assert timed["closure"]["repaired"]["time_ms"] == 2e6
    assert json.loads(json.dumps(timed, allow_nan=False)) == timed  # JSON-ready


def test_crossing_leaflets_are_a_warning() -> None:
    from mvplan.export.report_html import _closure_warnings

    figures = {"closed": True, "stenosis_warning": False, "surfaces_cross": False}
    assert _closure_warnings({"native": figures, "repaired": None}) == []
    crossing = figures | {"surfaces_cross": True}
    (note,) = _closure_warnings({"native": figures, "repaired": crossing})
    assert "repaired closed valve" in note and "pass through each other" in note
