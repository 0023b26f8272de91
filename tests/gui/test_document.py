"""The GUI's Qt-free document and worker: history, pose numbers, bad files, coalescing."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from gui.helpers import SAMPLE, SAMPLE_TIPS

from mvplan.errors import InputError
from mvplan.gui.document import PlanDocument
from mvplan.gui.pose import PoseParameters, pose_parameters, posed
from mvplan.gui.worker import LatestOnlyWorker
from mvplan.planfile import load_plan
from mvplan.planning.annuloplasty import simulate_annuloplasty

pytestmark = pytest.mark.gui


@pytest.fixture
def doc() -> PlanDocument:
    d = PlanDocument()
    d.open(SAMPLE)
    return d


def test_document_and_worker_import_no_qt_or_vtk() -> None:
    code = (
        "import sys, mvplan.gui, mvplan.gui.document, mvplan.gui.pose, mvplan.gui.worker\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'vtk', 'vtkmodules')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_pose_numbers_round_trip(doc: PlanDocument) -> None:
    doc.choose_ring("physio-like", 30.0)
    wanted = PoseParameters(1.5, -2.0, 0.75, 12.0, 6.0, -4.0)
    got = pose_parameters(posed(doc.plan.placement, wanted))
    for name in wanted.__dataclass_fields__:
        assert getattr(got, name) == pytest.approx(getattr(wanted, name), abs=1e-9)
    # The ring normal turns by the tilts alone (about the ring's own axes).
    normal = posed(doc.plan.placement, PoseParameters(tilt_cc_deg=7.0)).ring_normal
    assert np.degrees(np.arccos(normal[2])) == pytest.approx(7.0)


def test_history_undo_redo_and_branching(doc: PlanDocument) -> None:
    changes: list[str] = []
    doc.plan_changed.connect(changes.append)
    first = doc.plan
    doc.choose_ring("classic-like", 32.0)
    ringed = doc.plan
    doc.set_pose(PoseParameters(1.0, 0.0, 0.0, 0.0, 0.0, 0.0), "Shift x 1")
    doc.set_suture_count(12)
    assert len(doc.plan.placement.sutures) == 12
    assert [e.text for e in doc.history] == [
        "Open healthy_annulus.csv",
        "Ring classic-like 32 mm",
        "Shift x 1",
        "12 sutures",
    ]
    doc.undo()
    doc.undo()
    assert doc.plan is ringed
    assert doc.redo_text() == "Shift x 1"
    doc.auto_place()  # a new change drops the redo branch
    assert not doc.can_redo()
    doc.undo()
    doc.undo()
    assert doc.plan is first and not doc.can_undo()
    assert changes == ["edit", "edit", "edit", "undo", "undo", "edit", "undo", "undo"]


def test_a_failing_change_leaves_the_plan_as_it_was(doc: PlanDocument) -> None:
    doc.choose_ring("classic-like", 32.0)
    plan, steps = doc.plan, len(doc.history)
    with pytest.raises(InputError, match="not sold"):
        doc.choose_ring("classic-like", 33.0)
    with pytest.raises(InputError):
        doc.set_suture_count(2)
    with pytest.raises(InputError, match="unknown ring family"):
        doc.choose_ring("no-such-ring", 30.0)
    assert doc.plan is plan and len(doc.history) == steps


def test_corrupt_files_raise_and_keep_the_plan(doc: PlanDocument, tmp_path: Path) -> None:
    doc.choose_ring("classic-like", 32.0)
    plan = doc.plan
    bad_csv = tmp_path / "broken.csv"
    bad_csv.write_text("x,y,z\n1,2\nnot,a,number\n")
    bad_plan = tmp_path / "broken.mvplan.json"
    bad_plan.write_text('{"format": "mvplan-plan", "version": 1, "annulus": ')
    for path in (bad_csv, bad_plan, tmp_path / "missing.csv"):
        with pytest.raises(InputError):
            doc.open(path)
        assert doc.plan is plan
    with pytest.raises(InputError):
        doc.load_landmarks(bad_csv)
    assert doc.plan is plan and doc.sources.annulus == SAMPLE.resolve()


def test_landmarks_and_papillary_files(doc: PlanDocument, tmp_path: Path) -> None:
    annulus = doc.annulus
    point = annulus.curve.evaluate((annulus.landmarks["ALC"].u + 0.02) % 1.0)
    marks = tmp_path / "landmarks.csv"
    marks.write_text(f"x,y,z,label\n{point[0]},{point[1]},{point[2]},ALC\n")
    doc.load_landmarks(marks)
    assert doc.annulus.landmarks["ALC"].given
    assert doc.undo_text() == "Landmarks from landmarks.csv"
    doc.load_papillary(SAMPLE_TIPS)
    assert doc.plan.papillary is not None
    assert doc.annulus.orientation == "papillary"
    assert doc.annulus.landmarks["ALC"].given  # the user's landmark survives the re-read


def test_save_writes_results_only_of_exactly_this_plan(doc: PlanDocument, tmp_path: Path) -> None:
    doc.choose_ring("classic-like", 32.0)
    result = simulate_annuloplasty(doc.annulus, doc.spec, doc.plan.placement)
    doc.store_result(doc.plan, result)
    saved = load_plan(doc.save(tmp_path / "a"))  # the suffix is added
    assert (tmp_path / "a.mvplan.json").is_file()
    assert saved.results is not None and not doc.modified
    doc.set_pose(PoseParameters(0.5, 0.0, 0.0, 0.0, 0.0, 0.0))
    assert doc.modified
    again = load_plan(doc.save(tmp_path / "b.mvplan.json"))
    assert again.results is None
    assert doc.title == "b.mvplan.json"


def test_worker_runs_only_the_latest_and_cancels() -> None:
    worker = LatestOnlyWorker("test")
    started = threading.Event()
    release = threading.Event()
    ran: list[int] = []
    outcomes = []

    def blocking(cancelled):  # type: ignore[no-untyped-def]
        started.set()
        while not release.is_set():
            if cancelled():
                raise RuntimeError("cancelled")
            time.sleep(0.001)
        ran.append(0)
        return 0

    try:
        worker.submit(blocking, outcomes.append)
        assert started.wait(5)
        for i in range(1, 6):  # queued while the first runs: only the last survives
            worker.submit(lambda _c, i=i: ran.append(i) or i, outcomes.append, cancel_running=False)
        release.set()
        assert worker.wait_idle(5)
        assert ran == [0, 5]
        assert [o.value for o in outcomes] == [0, 5]
        assert not outcomes[0].latest and outcomes[1].latest
        # A new request cancels a running one through its cancel callback.
        release.clear()
        started.clear()
        outcomes.clear()
        worker.submit(blocking, outcomes.append)
        assert started.wait(5)
        worker.submit(lambda _c: "new", outcomes.append, cancel_running=True)
        assert worker.wait_idle(5)
        assert outcomes[0].cancelled and isinstance(outcomes[0].error, RuntimeError)
        assert outcomes[1].value == "new" and outcomes[1].error is None
    finally:
        release.set()
        worker.shutdown()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority is Linux's")
def test_worker_thread_yields_the_cpu_to_the_interface() -> None:
    import os

    from mvplan.gui.worker import NICENESS

    worker = LatestOnlyWorker("test")
    try:
        seen: list[int] = []
        worker.submit(
            lambda _c: seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id())),
            lambda _o: None,
        )
        assert worker.wait_idle(5)
        ours = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        assert seen == [min(ours + NICENESS, 19)]
    finally:
        worker.shutdown()
