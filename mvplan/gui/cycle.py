"""A moving annulus in the window (no Qt): its frames, the cycle figures, the device prediction.

:func:`load_cycle` reads the frames as ``mvplan measure F1 F2 ...|FOLDER`` does
(:func:`mvplan.io.sequence.load_annulus_sequence`), measures each once and relates them
(:func:`mvplan.geometry.cycle.measure_cycle`); any problem (an unreadable frame, frames that
cannot be matched) raises before anything is shown. :func:`figure_rows` gives the cycle
panel's table: how much each figure changes over the cycle, natively and with the device of a
prediction (:func:`mvplan.workflow.simulate_cycle`), the share of the motion the device keeps
and the in vivo reference of DOMAIN.md for the circumference.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus
from mvplan.geometry.cycle import CycleResult, measure_cycle
from mvplan.geometry.measurements import Measurements, measure
from mvplan.gui.document import FrameShown
from mvplan.io.sequence import (
    AnnulusSequence,
    frame_count,
    frame_files,
    load_annulus_sequence,
)
from mvplan.plan import Plan
from mvplan.planning.cycle_device import (
    IN_VIVO_CIRCUMFERENCE_CHANGE_MM,
    IN_VIVO_SOURCE,
    DeviceCycle,
)

__all__ = [
    "CYCLE_FIGURES",
    "Cycle",
    "CycleFigure",
    "FigureRow",
    "figure_rows",
    "frame_interval_ms",
    "in_vivo_text",
    "load_cycle",
    "prediction_key",
]

PathLike = str | os.PathLike[str]

#: Shortest and longest time a frame stays on show while playing, ms.
MIN_FRAME_MS, MAX_FRAME_MS = 80, 500


@dataclass(frozen=True)
class CycleFigure:
    """One row of the cycle table: a section-4 key and how its change is given.

    Attributes
    ----------
    key : str
        Measurement key (its unit is in its name).
    label : str
        Row label.
    percent : bool
        Give the change in percent of the largest value (the fractional area change of
        DOMAIN.md) rather than in the key's unit.
    """

    key: str
    label: str
    percent: bool = False


#: The figures of a cycle a planner reads, in table order.
CYCLE_FIGURES: tuple[CycleFigure, ...] = (
    CycleFigure("area_2d_mm2", "Area change (projected)", percent=True),
    CycleFigure("perimeter_mm", "Circumference change"),
    CycleFigure("ap_diameter_mm", "AP diameter change"),
    CycleFigure("commissural_width_mm", "Commissural width change"),
    CycleFigure("intertrigonal_distance_mm", "Intertrigonal change"),
    CycleFigure("annular_height_mm", "Saddle height change"),
)


@dataclass(frozen=True, eq=False)
class Cycle:
    """The frames of one moving annulus, each measured, and the cycle figures.

    Attributes
    ----------
    files : tuple of Path
        Each frame's file, in frame order.
    sequence : AnnulusSequence
    measurements : tuple of Measurements
        Each frame's own :func:`~mvplan.geometry.measurements.measure` values.
    figures : CycleResult
        The native cycle (:func:`~mvplan.geometry.cycle.measure_cycle`).
    warnings : tuple of str
        What reading and relating the frames warned about, one line each.
    """

    files: tuple[Path, ...]
    sequence: AnnulusSequence
    measurements: tuple[Measurements, ...]
    figures: CycleResult
    warnings: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        """Number of frames."""
        return len(self.sequence.annuli)

    @property
    def annuli(self) -> tuple[Annulus, ...]:
        return self.sequence.annuli

    @property
    def names(self) -> tuple[str, ...]:
        """Each frame's name: its file's, or ``FILE[frame=K]`` in a multi-frame file."""
        return tuple(a.source.name for a in self.annuli)

    def frame(self, index: int, device: DeviceCycle | None = None) -> FrameShown:
        """Frame ``index`` as the view and the measurements panel show it, with its result
        from ``device`` (a prediction of this cycle) when given."""
        result = None if device is None else device.results[index]
        return FrameShown(
            index=index,
            count=self.count,
            name=self.names[index],
            annulus=self.annuli[index],
            measurements=self.measurements[index],
            result=result,
        )


def load_cycle(paths: Sequence[PathLike]) -> Cycle:
    """Read, measure and relate the frames of a moving annulus.

    Parameters
    ----------
    paths : sequence of path
        Two or more frame files in time order, or one folder of them
        (:func:`mvplan.io.sequence.annulus_files`).

    Returns
    -------
    Cycle

    Raises
    ------
    InputError, GeometryError, OSError
        Fewer than two frames, a frame that cannot be read, or frames that cannot be matched
        (different point counts and no landmark A); the message names the file.
    """
    count = frame_count(paths)
    if count < 2:
        raise InputError(
            f"a cycle needs at least two frames, got {count}: open one annulus with File > Open"
        )
    files, _order = frame_files(paths)
    if len(files) == 1:  # one multi-frame file: each frame comes from it
        files = files * count
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sequence = load_annulus_sequence(paths)
        measured = tuple(measure(a) for a in sequence.annuli)
        figures = measure_cycle(sequence.annuli, sequence.input_points, measured)
    said = [f"{a.source.name}: {w}" for a in sequence.annuli for w in a.warnings]
    said += [str(w.message) for w in caught]
    return Cycle(tuple(files), sequence, measured, figures, tuple(dict.fromkeys(said)))


def prediction_key(plan: Plan | None) -> tuple[str, float, int] | None:
    """What a cycle prediction depends on in ``plan``: ring family, size (mm) and suture count
    (None without a placed ring). Another value means the prediction is of another device."""
    if plan is None or plan.ring is None or plan.placement is None:
        return None
    return plan.ring.family, float(plan.ring.size_mm), len(plan.placement.sutures)


def frame_interval_ms(count: int) -> int:
    """How long each frame stays on show while playing: the whole cycle in one second (a
    heart at 60 beats a minute), within :data:`MIN_FRAME_MS` and :data:`MAX_FRAME_MS`."""
    return int(min(MAX_FRAME_MS, max(MIN_FRAME_MS, round(1000 / max(count, 1)))))


@dataclass(frozen=True)
class FigureRow:
    """One row of the cycle table.

    Attributes
    ----------
    figure : CycleFigure
    unit : str
        ``%`` or the key's unit.
    native, device : float or None
        The change over the cycle natively and with the device (None: unknown, or no device).
    kept_percent : float or None
        ``100 * device change / native change`` (:func:`mvplan.planning.cycle_device.
        motion_kept`).
    in_vivo_kept_percent : float or None
        The share of the circumference change a device of this class keeps in vivo (the
        circumference row only, with a device).
    reason : str
        Why ``native`` is unknown, when it is.
    estimated : bool
        Whether a frame's value rests on an estimated landmark.
    """

    figure: CycleFigure
    unit: str
    native: float | None
    device: float | None
    kept_percent: float | None
    in_vivo_kept_percent: float | None
    reason: str = ""
    estimated: bool = False


def _unit(key: str) -> str:
    for suffix, unit in (("_mm2", "mm²"), ("_mm", "mm"), ("_deg", "°"), ("_percent", "%")):
        if key.endswith(suffix):
            return unit
    return ""


def _change(cycle: CycleResult, figure: CycleFigure) -> float | None:
    span = cycle.ranges[figure.key]
    return span.change_percent if figure.percent else span.change


def figure_rows(native: CycleResult, device: DeviceCycle | None = None) -> list[FigureRow]:
    """The cycle table's rows (:data:`CYCLE_FIGURES`), with the device's columns when given."""
    rows = []
    reference = _in_vivo_kept(device)
    for figure in CYCLE_FIGURES:
        span = native.ranges[figure.key]
        rows.append(
            FigureRow(
                figure=figure,
                unit="%" if figure.percent else _unit(figure.key),
                native=_change(native, figure),
                device=None if device is None else _change(device.device, figure),
                kept_percent=None if device is None else device.motion_kept_percent[figure.key],
                in_vivo_kept_percent=reference if figure.key == "perimeter_mm" else None,
                reason=span.reason or "",
                estimated=span.estimated,
            )
        )
    return rows


def _in_vivo_kept(device: DeviceCycle | None) -> float | None:
    """In vivo share of the circumference change kept by a device of ``device``'s class, %."""
    if device is None:
        return None
    mean = IN_VIVO_CIRCUMFERENCE_CHANGE_MM.get(device.stiffness_class)
    if mean is None:
        return None
    return 100.0 * mean[0] / IN_VIVO_CIRCUMFERENCE_CHANGE_MM["none"][0]


def in_vivo_text(device: DeviceCycle | None = None) -> str:
    """One line: the in vivo cyclic circumference change by device class (DOMAIN.md), and
    where this prediction's device stands."""
    names = {"none": "no ring"}
    classes = ", ".join(
        f"{names.get(cls, cls)} {mean:g} ± {sd:g}"
        for cls, (mean, sd) in IN_VIVO_CIRCUMFERENCE_CHANGE_MM.items()
    )
    text = f"In vivo circumference change ({IN_VIVO_SOURCE}): {classes} mm."
    if device is not None:
        native = device.native.ranges["perimeter_mm"].change
        after = device.device.ranges["perimeter_mm"].change
        if native is not None and after is not None:
            text += (
                f" Here: {native:.1f} mm natively, {after:.1f} mm with this "
                f"{device.stiffness_class} {'ring' if device.closed else 'band'}."
            )
    return text
