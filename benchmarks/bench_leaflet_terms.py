"""Per-call cost of the leaflet energy terms (membrane and hinge bending), run by hand.

Builds the leaflet mesh of the bundled healthy sample at a resolution (default ``standard``),
the two May-Newman-Yin membrane terms and the hinge bending term as the closure prototype did,
and times value, gradient, element Hessians and the assembled Hessian (exact and projected) at
the reference plus a smooth displacement of a few mm. Prints medians in ms.

    python benchmarks/bench_leaflet_terms.py [--resolution standard] [--repeats 15]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from mvplan.io.load import load_annulus
from mvplan.mechanics.leaflet_law import LEAFLET_LAWS, LEAFLET_THICKNESS
from mvplan.mechanics.membrane import MembraneTriangles
from mvplan.mechanics.shell_bending import ShellBending, plate_bending_stiffness
from mvplan.mechanics.terms import ElementTerm
from mvplan.valve.leaflets import build_leaflets

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"


def build(resolution: str) -> tuple[dict[str, ElementTerm], np.ndarray]:
    """The three terms and a deformed state ``(n, 3)``."""
    ann = load_annulus(
        SAMPLES / "healthy_annulus.csv", papillary=SAMPLES / "healthy_papillary_tips.csv"
    )
    mesh = build_leaflets(ann, resolution=resolution)
    x0 = np.asarray(mesh.points, dtype=float)
    tri = np.asarray(mesh.triangles)
    lab = np.asarray(mesh.labels)
    terms: dict[str, ElementTerm] = {}
    for leaflet, sel in (("anterior", lab == "anterior"), ("posterior", lab != "anterior")):
        terms[f"membrane-{leaflet}"] = MembraneTriangles(
            tri[sel], x0, LEAFLET_LAWS[leaflet], LEAFLET_THICKNESS[leaflet], mesh.fibres[sel]
        )
    thick = np.where(
        lab == "anterior", LEAFLET_THICKNESS["anterior"], LEAFLET_THICKNESS["posterior"]
    )
    terms["bending"] = ShellBending(tri, x0, plate_bending_stiffness(4.0, thick, 0.45))
    rng = np.random.default_rng(0)
    k = rng.normal(size=(4, 3)) / 15.0
    phase = rng.uniform(0, 2 * np.pi, size=(4, 3))
    # A smooth displacement of a few mm: four plane waves, each of 1.5 mm per coordinate.
    disp = sum(1.5 * np.sin((x0 @ k[j])[:, None] + phase[j]) for j in range(4))
    return terms, x0 + disp


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1e3 * float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", default="standard")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    terms, x = build(args.resolution)
    print(
        f"{'term':22s} {'m':>6s} {'value':>7s} {'grad':>7s} {'blocks':>7s} {'b-proj':>7s}"
        f" {'hess':>7s} {'h-proj':>7s}  (median ms)"
    )
    calls = [
        ("value", ()),
        ("gradient", ()),
        ("element_hessians", ()),
        ("element_hessians", (True,)),
        ("hessian", ()),
        ("hessian", (True,)),
    ]
    for name, term in terms.items():
        row = [
            median_ms(partial(getattr(term, method), x, *extra), args.repeats)
            for method, extra in calls
        ]
        m = term.nodes.shape[0]
        print(f"{name:22s} {m:6d} " + " ".join(f"{v:7.2f}" for v in row))


if __name__ == "__main__":
    main()
