"""Regenerate ``docs/validation.md``: verification and validation tables computed live.

Usage (from the repository root)::

    .venv/bin/python docs/validation.py [--quick] [--out docs/validation.md]
        [--rerun-mesh-study [LEVELS]] [--mesh-max-iterations N]
        [--import-mesh-figures LEVEL=FILE]

What it computes (nothing in ``validation.md`` is typed by hand):

1. The verification cases of ``mvplan verify`` (:data:`mvplan.mechanics.verify.VERIFICATIONS`,
   through the Python API).
2. Leaflet closure on the bundled samples (``assets/samples``): the healthy native closure
   against DOMAIN.md's normal 3D-TEE figures, the functional-MR (FMR) native closure against the
   FMR figures, and a ring-size series of the rigid ``classic-like`` family on the FMR sample
   from 40 mm down to 24 mm, each size warm-started from the last closed state, with the size
   threshold set beside Gaidulis and Padala 2023.
3. Global equilibrium and the pressure potential's follower-load error of every closure shown.
4. A mesh-convergence study of the healthy native closure (leaflet resolutions coarse,
   standard and fine, largest edge 2, 1.2 and 0.5 mm, and the edges between them in
   :data:`MESH_LEVELS`). Its solves are slow (the fine one has about 10k nodes), so their
   figures are cached in ``docs/data/mesh_convergence.json`` with the commit,
   date and settings, and reused unless ``--rerun-mesh-study`` is given.

``--quick`` skips the size series and uses only cached mesh figures (for a test or a look).
The figures behind every table are also written to ``docs/data/validation_records.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "assets" / "samples"
DATA = ROOT / "docs" / "data"
MESH_CACHE = DATA / "mesh_convergence.json"
RECORDS = DATA / "validation_records.json"
OUT = ROOT / "docs" / "validation.md"

#: Mesh-study levels, coarsest first: a name and its largest edge, mm. The named resolutions
#: (``RESOLUTIONS``) are solved by name, the levels between them by their edge; those locate
#: the coarsest edge within 0.5 mm of fine (the coaptation length does not converge
#: monotonically: section 6 of validation.md).
MESH_LEVELS: tuple[tuple[str, float], ...] = (
    ("coarse", 2.0),
    ("1.6mm", 1.6),
    ("1.4mm", 1.4),
    ("1.3mm", 1.3),
    ("standard", 1.2),
    ("1.1mm", 1.1),
    ("1.0mm", 1.0),
    ("0.9mm", 0.9),
    ("0.8mm", 0.8),
    ("fine", 0.5),
)
#: Figures of the mesh study, in table order: (key, heading, format).
MESH_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("coaptation_length_mean_mm", "coaptation length mean (mm)", ".2f"),
    ("coaptation_length_min_mm", "coaptation length min (mm)", ".2f"),
    ("regurgitant_orifice_area_mm2", "orifice (mm²)", ".2f"),
    ("tenting_height_mm", "tenting height (mm)", ".2f"),
)
#: Ring-size series: family and sizes (largest first), mm.
SERIES_FAMILY = "classic-like"
SERIES_SIZES: tuple[float, ...] = (40.0, 38.0, 36.0, 34.0, 32.0, 30.0, 28.0, 26.0, 24.0)
#: Gaidulis and Padala 2023 (DOMAIN.md): rings above this did not close the gap, at or below did.
GAIDULIS_THRESHOLD_MM = 32.0

# DOMAIN.md figures: (mean, sd) or (low, high) with their sources.
TEE = "3D TEE, 10 normal vs 10 FMR (Ann Thorac Surg 2010, DOMAIN.md)"
NORMAL = {
    "coaptation_length_mm": (3.1, 0.4, TEE),
    "coaptation_depth_mm": (5.0, 0.7, TEE),
    "peak_stress_mpa": (0.5, 0.75, "Lee/Sacks inverse FE (DOMAIN.md)"),
}
FMR = {
    "coaptation_length_mm": (1.7, 0.4, TEE),
    "coaptation_depth_mm": (8.6, 0.7, TEE),
}
#: Peak chordal strain in systole (mvplan/valve/chordae.py: Ritchie et al. 2006).
CHORD_STRAIN = (0.04, "about 4 % (Ritchie et al. 2006, as cited in mvplan/valve/chordae.py)")
#: In vivo anterior-leaflet strains, 57 sheep (PMC3111015, DOMAIN.md).
LEAFLET_STRAIN = "areal 13.8 %, circumferential 5 %, radial 7.8 % (57 sheep, PMC3111015)"

#: What each verification case checks, for the table (new cases show without a description).
CASE_NOTES = {
    "ring-foundation": "pulled ring on an elastic foundation vs linear ring theory",
    "ring-diametral": "thin ring, two opposite loads vs Roark (discrete-rod bending)",
    "rigid-ring-torque": "rigid ring on a foundation under a couple: exact at any rotation",
    "rigid-ring-invariance": "reduced rigid-ring energy invariant under rigid motions",
    "frame-cantilever": "frame element cantilever: tip deflection, twist, stretch",
    "frame-ring-diametral": "frame-element ring, opposite in-plane loads vs Roark",
    "frame-ring-out-of-plane": "frame-element ring, alternating out-of-plane loads (Castigliano)",
    "hencky-membrane": "pressurised clamped membrane vs Hencky's series (pressure potential)",
    "membrane-equibiaxial": "May-Newman-Yin patch, equibiaxial stretch: stress and reactions",
    "shell-bending-cylinder": "hinge bending of a strip rolled into a cylinder vs plate energy",
    "finite-differences": "every term's gradient and Hessian vs central differences",
}

Record = dict[str, Any]


# -- provenance ------------------------------------------------------------------------------


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def provenance() -> Record:
    """Commit (with a note when the code differs from it), date, machine."""
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(_git("status", "--porcelain", "--", "mvplan", "rings", "assets"))
    return {
        "commit": commit,
        "uncommitted_changes": dirty,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


# -- verification ----------------------------------------------------------------------------


def verification_records(cases: Sequence[str] | None = None) -> list[Record]:
    """Run the ``mvplan verify`` cases (all by default) with their default parameters."""
    from mvplan.mechanics.verify import VERIFICATIONS

    names = list(VERIFICATIONS) if cases is None else list(cases)
    records = []
    for name in names:
        start = time.perf_counter()
        v = VERIFICATIONS[name]()
        records.append(
            {
                "name": name,
                "passed": bool(v.passed),
                "error": float(v.error),
                "tolerance": float(v.tolerance),
                "observed_order": None if v.observed_order is None else float(v.observed_order),
                "time_s": time.perf_counter() - start,
                "note": CASE_NOTES.get(name, ""),
            }
        )
    return records


# -- closure figures -------------------------------------------------------------------------


def load_sample(name: str) -> tuple[Any, Any]:
    """The bundled sample ``name`` (``healthy`` or ``fmr``): annulus and papillary tips."""
    from mvplan.io.load import load_annulus, load_papillary

    tips_path = SAMPLES / f"{name}_papillary_tips.csv"
    annulus = load_annulus(SAMPLES / f"{name}_annulus.csv", papillary=tips_path)
    return annulus, load_papillary(tips_path, annulus)


def _vector(v: Any) -> list[float]:
    return [float(c) for c in np.asarray(v, dtype=float).ravel()]


def closure_record(case: Any, model: Any, label: str) -> Record:
    """The figures of one converged closure (a ``workflow.ClosureCase``) as plain numbers."""
    from mvplan.mechanics.pressure import follower_forces

    r, c = case.result, case.coaptation
    n = model.n_leaflet_nodes
    follower = follower_forces(r.leaflet_points, model.mesh.triangles, model.settings.pressure_mpa)
    stretch = model.chordae.lengths(r.leaflet_points) / model.chordae.rest_length_mm
    stress, strain = r.membrane_stress_mpa, r.membrane_strain
    fe = r.follower_error
    # Coaptation length in the long-axis (A2-P2) cut where echocardiography measures it,
    # interpolated between the central stations as `tenting_height_mm` is for the depth.
    central = c.station_central
    line = np.where(np.isnan(c.coaptation_line[:, :1]), c.station_free_edge, c.coaptation_line)
    across = c.plane.in_plane(line[central])[:, 0]
    order = np.argsort(across)
    cut_length = float(np.interp(0.0, across[order], c.coaptation_length_mm[central][order]))
    return {
        "label": label,
        "converged": True,
        "resolution": model.settings.resolution,
        "nodes": int(n),
        "triangles": int(model.mesh.n_triangles),
        "closed": bool(c.closed),
        "coaptation_length_mean_mm": c.coaptation_length_mean_mm,
        "coaptation_length_min_mm": c.coaptation_length_min_mm,
        "coaptation_area_mm2": c.coaptation_area_mm2,
        "contact_fraction": c.contact_fraction,
        "regurgitant_orifice_area_mm2": c.regurgitant_orifice_area_mm2,
        "annulus_area_mm2": c.annulus_area_mm2,
        "tenting_height_mm": c.tenting_height_mm,
        "cut_length_mm": cut_length,
        "tenting_area_mm2": c.tenting_area_mm2,
        "tenting_volume_ml": c.tenting_volume_ml,
        "diastolic_orifice_proxy_mm2": c.diastolic_orifice_proxy_mm2,
        "stenosis_warning": bool(c.stenosis_warning),
        "stress_p95_mpa": float(np.percentile(stress, 95)),
        "stress_p99_mpa": float(np.percentile(stress, 99)),
        "stress_max_mpa": float(stress.max()),
        "strain_median": float(np.median(strain)),
        "strain_p95": float(np.percentile(strain, 95)),
        "chord_force_max_n": float(r.chord_tensions_n.max()),
        "chord_force_sum_n": float(r.chord_tension_sum_n),
        "chord_stretch_max": float(stretch.max()),
        "chord_stretch_median": float(np.median(stretch)),
        "iterations": int(r.iterations),
        "restarts": int(getattr(r, "restarts", 0)),
        "residual": float(r.residual),
        "time_s": r.time_ms / 1e3,
        "load_steps": [float(s) for s in r.load_steps],
        "boundary_error_mm": float(r.boundary_error_mm),
        "equilibrium": {
            "pressure_volume_n": _vector(r.reactions["pressure"]),
            "pressure_follower_n": _vector(follower.sum(axis=0)),
            "annulus_n": _vector(r.reactions["annulus"]),
            "annulus_follower_n": _vector(
                r.reactions["annulus"] + fe.force_difference[model.mesh.attached_nodes].sum(axis=0)
            ),
            "chordae_n": _vector(r.reactions["chordae"]),
            "balance_relative": float(r.reactions["balance_relative"]),
            "follower_relative": float(fe.relative),
            "follower_max_nodal_n": float(fe.max_nodal),
            "follower_free_resultant_n": _vector(fe.resultant_difference),
            "free_nodes": int(np.count_nonzero(model.free[:n])),
        },
    }


def failure_record(label: str, exc: BaseException) -> Record:
    """A closure (or annuloplasty) that did not converge: the message, no figures."""
    return {"label": label, "converged": False, "message": str(exc).splitlines()[0]}


def native_closure(name: str, settings: Any = None) -> tuple[Record, Any, Any, Any]:
    """Solve the native closure of sample ``name``: (record, plan, model, native case or None)."""
    from mvplan.errors import ConvergenceError
    from mvplan.workflow import closure_model, make_plan, simulate_closure

    annulus, tips = load_sample(name)
    plan = make_plan(annulus, None, papillary=tips, name=name).plan
    model = closure_model(plan, settings)
    try:
        native = simulate_closure(plan, model=model).native
    except ConvergenceError as exc:
        return failure_record(f"{name} native", exc), plan, model, None
    return closure_record(native, model, f"{name} native"), plan, model, native


def size_series(
    name: str = "fmr",
    family: str = SERIES_FAMILY,
    sizes: Sequence[float] = SERIES_SIZES,
    settings: Any = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Record, list[Record]]:
    """Native closure of ``name`` and one row per ring size, each warm-started from the last
    closed state (the native one for the first size; a size that fails leaves it as it was)."""
    from mvplan.errors import ConvergenceError, MvplanError
    from mvplan.workflow import make_plan, simulate_closure, simulate_plan

    native_rec, plan, model, native = native_closure(name, settings)
    if native is None:
        return native_rec, [
            {"size_mm": s, "status": "native closure did not converge"} for s in sizes
        ]
    start = native.result.x
    rows = []
    for size in sizes:
        row: Record = {"size_mm": float(size), "family": family}
        t0 = time.perf_counter()
        try:
            made = make_plan(plan.annulus, family, size_mm=size, papillary=plan.papillary)
            ring_plan = replace(made.plan, leaflets=plan.leaflets)
            result = simulate_plan(ring_plan, spec=made.spec)
        except ConvergenceError as exc:
            row.update(status="annuloplasty did not converge", message=str(exc).splitlines()[0])
            rows.append(row)
            continue
        except MvplanError as exc:
            row.update(status="not simulated", message=str(exc).splitlines()[0])
            rows.append(row)
            continue
        row["ap_after_mm"] = result.post["ap_diameter_mm"]
        row["suture_force_max_n"] = float(result.suture_forces_n.max())
        row["suture_warnings"] = len(result.suture_warnings)
        row["annuloplasty_iterations"] = int(result.solve.iterations)
        try:
            outcome = simulate_closure(
                ring_plan, result, model=model, native=native, warm_start=start
            )
        except ConvergenceError as exc:
            row.update(status="closure did not converge", message=str(exc).splitlines()[0])
        else:
            assert outcome.repaired is not None
            start = outcome.repaired.result.x
            row["status"] = "converged"
            row["closure"] = closure_record(outcome.repaired, model, f"{name} {size:g} mm")
        row["wall_s"] = time.perf_counter() - t0
        rows.append(row)
        if progress is not None:
            progress(f"  {size:g} mm: {row['status']} ({row['wall_s']:.1f} s)")
    return native_rec, rows


def size_threshold(rows: Sequence[Record]) -> Record:
    """The largest size that closes, which sizes close, and which failed to converge."""
    done = [r for r in rows if r.get("status") == "converged"]
    closing = [r["size_mm"] for r in done if r["closure"]["closed"]]
    return {
        "largest_closing_mm": max(closing) if closing else None,
        "closing_mm": sorted(closing),
        "leaking_mm": sorted(r["size_mm"] for r in done if not r["closure"]["closed"]),
        "failed_mm": sorted(r["size_mm"] for r in rows if r.get("status") != "converged"),
    }


# -- mesh study ------------------------------------------------------------------------------


def read_mesh_cache(path: Path = MESH_CACHE) -> dict[str, Record]:
    """Cached mesh-study figures by level (empty when there is no cache)."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return dict(data.get("levels", {}))


def write_mesh_cache(levels: dict[str, Record], path: Path = MESH_CACHE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "about": "Healthy native closure at each leaflet resolution, written by "
        "docs/validation.py (--rerun-mesh-study); each level has its own commit, date and "
        "settings.",
        "levels": levels,
    }
    path.write_text(json.dumps(data, indent=2) + "\n")


def level_resolution(level: str) -> str | float:
    """``ClosureSettings.resolution`` of a mesh-study level: its name if it is a named
    resolution, else its largest edge (mm)."""
    from mvplan.valve.leaflets import RESOLUTIONS

    return level if level in RESOLUTIONS else dict(MESH_LEVELS)[level]


def mesh_level_record(level: str, settings: Any = None) -> Record:
    """Solve the healthy native closure at ``level`` and return its cache entry."""
    from mvplan.planning.closure import ClosureSettings

    edge = dict(MESH_LEVELS)[level]
    settings = replace(settings or ClosureSettings(), resolution=level_resolution(level))
    record, *_ = native_closure("healthy", settings)
    entry = {k: record.get(k) for k in ("nodes", "triangles", "converged", "message")}
    if record["converged"]:
        entry |= {k: record[k] for k, _, _ in MESH_FIGURES}
        entry |= {k: record[k] for k in ("iterations", "residual", "time_s")}
    entry |= {
        "resolution": level,
        "max_edge_mm": edge,
        "settings": asdict(settings),
        **provenance(),
    }
    return {k: v for k, v in entry.items() if v is not None}


def import_mesh_figures(level: str, path: Path) -> Record:
    """A cache entry from a JSON object of figures solved elsewhere (the last JSON line of
    ``path``: the keys of :data:`MESH_FIGURES` plus ``nodes``, ``iterations``, ``time_s``,
    ``residual``)."""
    from mvplan.planning.closure import ClosureSettings

    figures = None
    for line in reversed(path.read_text().splitlines()):
        try:
            figures = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(figures, dict):
            break
    if not isinstance(figures, dict):
        raise SystemExit(f"{path}: no JSON object of figures found")
    missing = [k for k, _, _ in MESH_FIGURES if k not in figures]
    if missing:
        raise SystemExit(f"{path}: figures lack {', '.join(missing)}")
    entry = {k: figures[k] for k, _, _ in MESH_FIGURES}
    entry |= {k: figures[k] for k in ("nodes", "iterations", "time_s", "residual") if k in figures}
    entry |= {
        "converged": True,
        "resolution": level,
        "max_edge_mm": dict(MESH_LEVELS)[level],
        # The figures' own settings when the file gives them; else the defaults, said so.
        "settings": figures.get("settings")
        or asdict(ClosureSettings(resolution=level_resolution(level))),
        "settings_assumed": "settings" not in figures,
        "imported_from": str(path),
    }
    # Where and when the figures were solved: the file's own record when it has one (a
    # mesh_level_record solved elsewhere), else this import's.
    here = provenance()
    entry |= {k: figures.get(k, value) for k, value in here.items()}
    return entry


# -- markdown --------------------------------------------------------------------------------


def _f(value: Any, fmt: str = ".2f") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return format(value, fmt)


def _vec(v: Sequence[float]) -> str:
    return "(" + ", ".join(f"{c:.2f}" for c in v) + ")"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _sd_row(label: str, value: float, reference: tuple[Any, ...]) -> list[str]:
    """A table row: the model's ``value`` against a literature ``(mean, sd, source)``."""
    mean, sd, source = reference[:3]
    return [label, _f(value), f"{mean} ± {sd}", _against_sd(value, mean, sd), source]


def _against_sd(value: float, mean: float, sd: float) -> str:
    k = abs(value - mean) / sd
    if k <= 1.0:
        return "within 1 SD"
    if k <= 2.0:
        return "within 2 SD"
    return f"{'above' if value > mean else 'below'} by {k:.1f} SD"


def _against_range(value: float, low: float, high: float) -> str:
    return "within" if low <= value <= high else ("below" if value < low else "above")


def verification_section(records: Sequence[Record]) -> list[str]:
    rows = [
        [
            f"`{r['name']}`",
            r["note"],
            f"{r['error']:.2e}",
            f"{r['tolerance']:.0e}",
            _f(r["observed_order"]),
            "pass" if r["passed"] else "**FAIL**",
            f"{r['time_s']:.2f}",
        ]
        for r in records
    ]
    passed = sum(r["passed"] for r in records)
    return [
        "## 1. Verification (`mvplan verify`)",
        "",
        "Closed-form cases of `mvplan.mechanics.verify.VERIFICATIONS` at their default "
        "parameters. `error` is relative unless the case says otherwise (its docstring); "
        "`order` is the observed order of convergence between the two finest levels.",
        "",
        *_table(
            ["case", "what it checks", "error", "tolerance", "order", "result", "time (s)"], rows
        ),
        "",
        f"{passed} of {len(records)} cases pass.",
        "",
    ]


def _failed_line(rec: Record) -> str:
    return f"**{rec['label']}: did not converge** ({rec.get('message', '')})."


def healthy_section(rec: Record) -> list[str]:
    head = ["## 2. Healthy native closure against normal 3D-TEE figures", ""]
    if not rec["converged"]:
        return [*head, _failed_line(rec), ""]
    cl, dp, st = (
        NORMAL["coaptation_length_mm"],
        NORMAL["coaptation_depth_mm"],
        NORMAL["peak_stress_mpa"],
    )
    rows = [
        _sd_row(
            "coaptation length, mean over the central stations (mm)",
            rec["coaptation_length_mean_mm"],
            cl,
        ),
        [
            "coaptation length, min over the central stations (mm)",
            _f(rec["coaptation_length_min_mm"]),
            "—",
            "—",
            "",
        ],
        _sd_row(
            "coaptation depth = tenting height, in the long-axis cut (mm)",
            rec["tenting_height_mm"],
            dp,
        ),
        _cut_row(rec, cl),
        [
            "leaflet stress, 95th percentile of the largest principal (MPa)",
            _f(rec["stress_p95_mpa"], ".3f"),
            f"{st[0]}–{st[1]} (peak)",
            _against_range(rec["stress_p95_mpa"], st[0], st[1]),
            st[2],
        ],
        [
            "leaflet stress, 99th percentile / max (MPa)",
            f"{rec['stress_p99_mpa']:.3f} / {rec['stress_max_mpa']:.3f}",
            f"{st[0]}–{st[1]} (peak)",
            f"{_against_range(rec['stress_p99_mpa'], st[0], st[1])} / "
            f"{_against_range(rec['stress_max_mpa'], st[0], st[1])}",
            st[2],
        ],
        *_common_rows(rec),
    ]
    return [
        *head,
        f"Sample `healthy`, {rec['resolution']} leaflets ({rec['nodes']} nodes, "
        f"{rec['triangles']} triangles), default `ClosureSettings`.",
        "",
        *_table(["quantity", "model", "DOMAIN.md", "model vs published", "source"], rows),
        "",
    ]


def _cut_row(rec: Record, length: tuple[Any, ...]) -> list[str]:
    """Coaptation length in the long-axis (A2-P2) cut, where echocardiography measures it."""
    return _sd_row(
        "coaptation length in the long-axis (A2–P2) cut, interpolated between the central "
        "stations (mm)",
        rec["cut_length_mm"],
        length,
    )


def _common_rows(rec: Record) -> list[list[str]]:
    return [
        [
            "regurgitant orifice (mm²); closed below 5 mm²",
            f"{rec['regurgitant_orifice_area_mm2']:.2f} ({'closed' if rec['closed'] else 'open'})",
            "—",
            "—",
            "",
        ],
        [
            "largest principal Green-Lagrange strain, median / 95th percentile",
            f"{rec['strain_median']:.3f} / {rec['strain_p95']:.3f}",
            LEAFLET_STRAIN,
            "not the same measure; order only",
            "DOMAIN.md",
        ],
        [
            "chord stretch (length / rest length), median / max",
            f"{rec['chord_stretch_median']:.3f} / {rec['chord_stretch_max']:.3f}",
            f"peak strain {CHORD_STRAIN[0]:.2f}",
            _against_range(rec["chord_stretch_max"] - 1.0, 0.0, CHORD_STRAIN[0]),
            CHORD_STRAIN[1],
        ],
        [
            "chord force max / sum (N)",
            f"{rec['chord_force_max_n']:.2f} / {rec['chord_force_sum_n']:.2f}",
            "—",
            "—",
            "",
        ],
        [
            "solver: iterations, relative residual, time",
            f"{rec['iterations']}, {rec['residual']:.1e}, {rec['time_s']:.1f} s",
            "tolerance 1e-8",
            "converged",
            "DESIGN.md section 6",
        ],
    ]


def fmr_section(rec: Record) -> list[str]:
    head = ["## 3. Functional-MR native closure against FMR figures", ""]
    if not rec["converged"]:
        return [*head, _failed_line(rec), ""]
    cl, dp = FMR["coaptation_length_mm"], FMR["coaptation_depth_mm"]
    rows = [
        _sd_row(
            "coaptation length, mean over the central stations (mm)",
            rec["coaptation_length_mean_mm"],
            cl,
        ),
        _sd_row(
            "coaptation depth = tenting height, in the long-axis cut (mm)",
            rec["tenting_height_mm"],
            dp,
        ),
        _cut_row(rec, cl),
        [
            "leaflet stress, 95th percentile / max (MPa)",
            f"{rec['stress_p95_mpa']:.3f} / {rec['stress_max_mpa']:.3f}",
            "—",
            "—",
            "",
        ],
        *_common_rows(rec),
    ]
    verdict = (
        "The native FMR valve leaks, as functional MR does"
        if not rec["closed"]
        else "**The native FMR valve closes**: the model does not reproduce the leak"
    )
    return [
        *head,
        f"Sample `fmr`, {rec['resolution']} leaflets ({rec['nodes']} nodes). {verdict} "
        f"(orifice {rec['regurgitant_orifice_area_mm2']:.1f} mm²). The 3D-TEE patients' "
        "valves still coapt over part of the line, so a model that leaks everywhere reads "
        "0 mm of coaptation.",
        "",
        *_table(["quantity", "model", "DOMAIN.md (FMR)", "model vs published", "source"], rows),
        "",
    ]


def series_section(rows: Sequence[Record], threshold: Record | None) -> list[str]:
    head = [
        f"## 4. Ring-size series: `{SERIES_FAMILY}` on the FMR sample",
        "",
    ]
    if threshold is None:
        return [*head, "Not run (`--quick`).", ""]
    body = []
    notes = []
    for row in rows:
        size = f"{row['size_mm']:g}"
        ring = [_f(row.get("ap_after_mm")), _f(row.get("suture_force_max_n"))]
        if row.get("status") != "converged":
            body.append([size, ring[0], "—", f"**{row['status']}**", *["—"] * 8, ring[1]])
            notes.append(f"- {size} mm: {row['status']}: {row.get('message', '')}")
            continue
        c = row["closure"]
        body.append(
            [
                size,
                ring[0],
                f"{c['regurgitant_orifice_area_mm2']:.2f}",
                "yes" if c["closed"] else "no",
                f"{c['coaptation_length_min_mm']:.2f} / {c['coaptation_length_mean_mm']:.2f}",
                f"{c['tenting_height_mm']:.2f}",
                f"{c['chord_force_max_n']:.2f}",
                f"{c['stress_p95_mpa']:.3f}",
                f"{c['diastolic_orifice_proxy_mm2'] / 100:.2f}",
                str(c["iterations"]) + (" (cold restart)" if c.get("restarts") else ""),
                f"{c['residual']:.1e}",
                f"{row['wall_s']:.1f}",
                ring[1],
            ]
        )
    heading = [
        "size (mm)",
        "AP after ring (mm)",
        "orifice (mm²)",
        "closed",
        "coaptation min / mean (mm)",
        "tenting height (mm)",
        "max chord force (N)",
        "stress p95 (MPa)",
        "diastolic proxy (cm²)",
        "iterations",
        "residual",
        "time (s)",
        "max suture force (N)",
    ]
    largest = threshold["largest_closing_mm"]
    paper = (
        "Gaidulis and Padala 2023 (Ann Biomed Eng 51:1984, 3 porcine FMR models, 7 ring sizes; "
        "DOMAIN.md): rings > 32 mm did not close the gap, ≤ 32 mm did, with excess tethering"
    )
    if largest is None:
        verdict = f"No size closes the FMR sample's gap, unlike {paper}."
    else:
        verdict = f"The largest size that closes is **{largest:g} mm**"
        smaller = [s for s in threshold["leaking_mm"] if s < largest]
        if smaller:
            verdict += f" (but {', '.join(f'{s:g}' for s in smaller)} mm, smaller, leak)"
        if largest == GAIDULIS_THRESHOLD_MM:
            verdict += f": the same threshold as {paper}."
        else:
            verdict += f"; {paper}."
    failed = threshold["failed_mm"]
    return [
        *head,
        "Each size is placed automatically (`make_plan`), its sutures tied (`simulate_plan`), "
        "and the leaflets closed on the reshaped annulus (`simulate_closure`), warm-started "
        "from the last closed state (the native one for 40 mm; a size that fails leaves the "
        "start as it was). When a warm start does not converge, the model closes the valve "
        "again from the open leaflets (*cold restart* beside the iterations, which count both). "
        "A size that did not converge shows no closure figures.",
        "",
        *_table(heading, body),
        "",
        *notes,
        *([""] if notes else []),
        f"{verdict} "
        + (
            f"Sizes that did not converge ({', '.join(f'{s:g}' for s in failed)} mm) are not "
            "counted."
            if failed
            else "Every size converged."
        ),
        "",
    ]


def equilibrium_section(records: Sequence[Record]) -> list[str]:
    rows = []
    for rec in records:
        if not rec.get("converged"):
            rows.append([rec["label"], "**did not converge**", *["—"] * 8])
            continue
        e = rec["equilibrium"]
        rows.append(
            [
                rec["label"],
                _vec(e["pressure_volume_n"]),
                _vec(e["pressure_follower_n"]),
                _vec(e["annulus_n"]),
                _vec(e["annulus_follower_n"]),
                _vec(e["chordae_n"]),
                f"{e['balance_relative']:.1e}",
                f"{e['follower_relative']:.3f}",
                f"{e['follower_max_nodal_n']:.3f}",
                _vec(e["follower_free_resultant_n"]),
            ]
        )
    return [
        "## 5. Global equilibrium and the pressure potential's follower error",
        "",
        "Force resultants in the valve frame (N; +z toward the atrium). *Volume potential*: "
        "the pressure forces the model applies (`-grad(-p V)`), summed over every leaflet node; "
        "*follower*: `p Σ A n` at the same shape, what a true follower load would apply. "
        "*Annulus* and *chordae*: the supports' forces on the leaflets "
        "(`ClosureResult.reactions`); the annulus reaction also takes the volume potential's "
        "boundary terms at the attached nodes, so *annulus, follower-consistent* adds them "
        "back (annulus + Σ over attached nodes of (volume − follower)): the support force if "
        "the attached nodes carried the follower load. *Balance*: "
        "|volume + annulus + chordae| / |volume|. "
        "*Follower error* (`ClosureResult.follower_error`, free nodes only): "
        "‖volume − follower‖ / ‖follower‖ over the free nodes, the largest nodal difference, "
        "and the net difference on the free nodes. The two loads agree exactly at interior "
        "nodes; the differences sit on the free edge (and on the annulus, where they are "
        "taken by the support): see theory.md, *Pressure*.",
        "",
        *_table(
            [
                "closure",
                "volume potential",
                "follower p·S",
                "annulus",
                "annulus, follower-consistent",
                "chordae",
                "balance",
                "follower error",
                "largest nodal (N)",
                "net on free nodes",
            ],
            rows,
        ),
        "",
    ]


def _imported(entry: Record) -> str:
    if not entry.get("imported_from"):
        return ""
    return " (imported; settings assumed)" if entry.get("settings_assumed") else " (imported)"


def mesh_verdict(cache: dict[str, Record], bound_mm: float = 0.5) -> list[str]:
    """Which solved levels keep the mean coaptation length within ``bound_mm`` of fine, and
    the coarsest level from which every finer solved level does (the standard resolution)."""
    key = "coaptation_length_mean_mm"
    fine = cache["fine"]
    solved = [
        (level, edge, cache[level][key] - fine[key])
        for level, edge in MESH_LEVELS
        if level != "fine" and cache.get(level, {}).get("converged", False)
    ]
    if not solved:
        return []
    within = [abs(d) <= bound_mm for _, _, d in solved]
    # The coarsest level such that it and every finer solved level are within the bound.
    coarsest = next((level for i, level in enumerate(solved) if all(within[i:])), None)
    inside = [f"{e:g}" for (_, e, _), w in zip(solved, within, strict=True) if w]
    outside = [f"{e:g}" for (_, e, _), w in zip(solved, within, strict=True) if not w]
    lines = [
        f"Mean coaptation length within {bound_mm:g} mm of fine: edges "
        f"{', '.join(inside) or 'none'} mm; not within: {', '.join(outside) or 'none'} mm.",
    ]
    if coarsest is not None:
        level, edge, d = coarsest
        lines[-1] += (
            f" The coarsest edge from which every finer level is within is {edge:g} mm "
            f"(`{level}`, {cache[level]['nodes']:,} nodes, {d:+.2f} mm)."
        )
    return [*lines, ""]


def mesh_section(cache: dict[str, Record]) -> list[str]:
    fine = cache.get("fine")
    fine_ok = fine is not None and fine.get("converged", True)
    rows, diffs = [], []
    for level, edge in MESH_LEVELS:
        entry = cache.get(level)
        if entry is None:
            rows.append([level, f"{edge:g}", "not run yet", *["—"] * (len(MESH_FIGURES) + 3)])
            continue
        if not entry.get("converged", True):
            rows.append([level, f"{edge:g}", str(entry.get("nodes", "—")), "**did not converge**"])
            rows[-1] += ["—"] * (len(MESH_FIGURES) + 2)
            continue
        rows.append(
            [
                level,
                f"{edge:g}",
                str(entry.get("nodes", "—")),
                *[_f(entry[k], fmt) for k, _, fmt in MESH_FIGURES],
                str(entry.get("iterations", "—")),
                _f(entry.get("time_s"), ".0f"),
                f"{entry.get('commit', '?')}, {entry.get('date', '?')}{_imported(entry)}",
            ]
        )
        if fine_ok and level != "fine":
            assert fine is not None
            diffs.append([level, *[f"{entry[k] - fine[k]:+{fmt}}" for k, _, fmt in MESH_FIGURES]])
    heading = [
        "level",
        "largest edge (mm)",
        "nodes",
        *[h for _, h, _ in MESH_FIGURES],
        "iterations",
        "time (s)",
        "solved at (commit, date)",
    ]
    lines = [
        "## 6. Mesh convergence (healthy native closure)",
        "",
        "Leaflet resolutions `ClosureSettings(resolution=...)`, default settings otherwise. "
        f"Figures come from the cache `{MESH_CACHE.relative_to(ROOT)}` (rerun with "
        "`--rerun-mesh-study`); each row says which commit and date solved it. Times are "
        "wall-clock on a shared machine.",
        "",
        *_table(heading, rows),
        "",
    ]
    if diffs:
        lines += [
            "Difference to fine (level − fine):",
            "",
            *_table(["level", *[h for _, h, _ in MESH_FIGURES]], diffs),
            "",
            *mesh_verdict(cache),
        ]
    else:
        lines += ["Difference to fine: no fine figures yet.", ""]
    return lines


def render(report: Record) -> str:
    """``validation.md`` from the records of one run (pure: no solving here)."""
    prov = report["provenance"]
    commit = prov["commit"] + (
        " (with uncommitted changes under mvplan/, rings/ or assets/)"
        if prov["uncommitted_changes"]
        else ""
    )
    closures = [report["healthy"], report["fmr"]] + [
        row.get("closure") or {"label": f"fmr {row['size_mm']:g} mm", "converged": False}
        for row in report.get("series") or []
        if row.get("status") in ("converged", "closure did not converge")
    ]
    lines = [
        "# Validation",
        "",
        "<!-- Generated by docs/validation.py; do not edit by hand. -->",
        "",
        f"Generated by `{report['command']}` on {prov['date']} at commit {commit}, on a "
        f"machine with {prov['cpu_count']} CPUs (`os.cpu_count()`), Python "
        f"{prov['python']}, in {report['elapsed_s']:.0f} s. Every number below comes from "
        "that run (or, for the mesh study, from the cached run each row names), not by hand. "
        "Published figures are DOMAIN.md's; equations and definitions are in "
        "[theory.md](theory.md).",
        "",
        *(["**Quick run**: the ring-size series was skipped.", ""] if report["quick"] else []),
        *verification_section(report["verification"]),
        *healthy_section(report["healthy"]),
        *fmr_section(report["fmr"]),
        *series_section(report.get("series") or [], report.get("threshold")),
        *equilibrium_section(closures),
        *mesh_section(report["mesh"]),
    ]
    return "\n".join(lines).rstrip() + "\n"


# -- command line ----------------------------------------------------------------------------


def _levels(text: str) -> list[str]:
    known = dict(MESH_LEVELS)
    levels = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in levels if s not in known]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown level(s) {unknown}; known: {list(known)}")
    return levels


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="markdown to write")
    parser.add_argument(
        "--quick", action="store_true", help="skip the ring-size series; cached mesh figures only"
    )
    parser.add_argument(
        "--rerun-mesh-study",
        nargs="?",
        const=",".join(name for name, _ in MESH_LEVELS),
        type=_levels,
        metavar="LEVELS",
        help="solve these mesh levels again and update the cache (default all: "
        f"{','.join(name for name, _ in MESH_LEVELS)}; the fine one takes tens of minutes)",
    )
    parser.add_argument(
        "--mesh-max-iterations",
        type=int,
        default=None,
        metavar="N",
        help="Newton iterations per load step for the mesh-study solves (default: "
        "ClosureSettings' own); stored with the figures",
    )
    parser.add_argument(
        "--import-mesh-figures",
        action="append",
        default=[],
        metavar="LEVEL=FILE",
        help="put figures solved elsewhere (a JSON object, the last JSON line of FILE) into "
        "the mesh cache as LEVEL",
    )
    parser.add_argument("--records", type=Path, default=RECORDS, help="JSON of every figure")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.quick and args.rerun_mesh_study:
        raise SystemExit("--quick uses cached mesh figures only: drop --rerun-mesh-study")
    started = time.perf_counter()

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    cache = read_mesh_cache()
    for item in args.import_mesh_figures:
        level, sep, file = item.partition("=")
        if not sep or level not in dict(MESH_LEVELS):
            raise SystemExit(f"--import-mesh-figures: expected LEVEL=FILE, got {item!r}")
        cache[level] = import_mesh_figures(level, Path(file))
        write_mesh_cache(cache)
    from mvplan.planning.closure import ClosureSettings

    mesh_settings = ClosureSettings()
    if args.mesh_max_iterations is not None:
        mesh_settings = replace(mesh_settings, max_iterations=args.mesh_max_iterations)
    for level in args.rerun_mesh_study or []:
        say(f"mesh study: solving the healthy native closure at {level} ...")
        cache[level] = mesh_level_record(level, mesh_settings)
        write_mesh_cache(cache)  # after each level: a long study keeps what it has
    say("verification cases ...")
    verification = verification_records()
    say("healthy native closure ...")
    healthy, *_ = native_closure("healthy")
    series: list[Record] | None = None
    threshold = None
    if args.quick:
        say("fmr native closure ...")
        fmr, *_ = native_closure("fmr")
    else:
        say("fmr native closure and ring-size series ...")
        fmr, series = size_series("fmr", progress=say)
        threshold = size_threshold(series)
    command = "docs/validation.py" + (" " + " ".join(argv) if argv else "")
    if argv is None and len(sys.argv) > 1:
        command = "docs/validation.py " + " ".join(sys.argv[1:])
    report = {
        "command": command,
        "quick": args.quick,
        "provenance": provenance(),
        "elapsed_s": time.perf_counter() - started,
        "verification": verification,
        "healthy": healthy,
        "fmr": fmr,
        "series": series,
        "threshold": threshold,
        "mesh": cache,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(report))
    args.records.parent.mkdir(parents=True, exist_ok=True)
    args.records.write_text(json.dumps(report, indent=1) + "\n")
    say(f"wrote {args.out} and {args.records} in {report['elapsed_s']:.0f} s")
    return 0 if all(r["passed"] for r in verification) else 1


if __name__ == "__main__":
    sys.exit(main())
