"""Export a simulated plan for other tools (3D viewer, 3D Slicer, slides) and write its report.

Run: ``python examples/export_and_report.py [OUTPUT_FOLDER]`` (default ``out/``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import mvplan.api as mv

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    annulus = mv.load_annulus(SAMPLES / "healthy_annulus.csv")
    sim = mv.simulate(
        mv.make_plan(annulus, "etlogix-like", size_mm=30, name="healthy, ETlogix-like 30")
    )
    written = []
    written += mv.export(sim, out / "plan.glb")  # any glTF viewer, Blender, PowerPoint 3D
    written += mv.export(sim, out / "plan.mrk.json", frame="original")  # over the images in Slicer
    written += mv.export(sim, out / "plan-atrial.png", view="atrial", size=(1280, 800))
    written += mv.report(sim, out / "report.html")  # with report.csv and report.json
    for path in written:
        print(f"wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out"))
