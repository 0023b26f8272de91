"""Small SVG charts for the plan report: suture forces, the saddle profile and the
coaptation length along the anterior free edge.

Written by hand rather than with matplotlib: matplotlib is not a dependency of mvplan (it is
only in the environment because VTK's wheel pulls it in), its SVG output carries a date and
random ids unless configured, and two charts of bars and lines need no more than this. Each
function returns one ``<svg>`` element as text, well-formed XML that can be inlined in HTML
or saved as an ``.svg`` file; the same input gives the same bytes (every number is printed
with a fixed number of decimals, nothing depends on time, locale or fonts installed).
Text is escaped. Sizes are in CSS pixels.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from mvplan.geometry.profile import Profile

__all__ = [
    "AFTER_COLOUR",
    "MIN_COAPTATION_AXIS_MM",
    "MIN_HALF_RANGE_MM",
    "NATIVE_COLOUR",
    "REGION_COLOURS",
    "coaptation_length_chart",
    "nice_step",
    "nice_ticks",
    "saddle_profile_chart",
    "suture_force_chart",
]

#: Bar colour of each annulus region (sutures), and of its pull-out warning line.
REGION_COLOURS: Mapping[str, str] = {"anterior": "#8e44ad", "posterior": "#16a085"}
#: Line colours of the saddle profile (the GUI plot's: native blue, with ring orange).
NATIVE_COLOUR, AFTER_COLOUR = "#2e6db4", "#e67e22"
_OTHER_REGION = "#7f8c8d"
_INK, _GRID, _MUTED = "#222222", "#dddddd", "#666666"
#: Smallest half-range of the height axis, mm: a flat annulus should look flat, not show its
#: rounding noise magnified (the GUI plot does the same).
MIN_HALF_RANGE_MM = 1.0

#: Smallest top of the coaptation length axis, mm: a valve that barely closes should look it.
MIN_COAPTATION_AXIS_MM = 4.0
_CENTRAL_FILL = "#eef2f7"

_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 54.0, 16.0, 34.0, 44.0


def _n(value: float) -> str:
    """A coordinate as text: two decimals, no ``-0.00``."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _t(text: str) -> str:
    """Text escaped for XML content and attribute values."""
    return html.escape(text, quote=True)


def nice_step(raw: float) -> float:
    """The smallest of 1, 2 or 5 times a power of ten that is at least ``raw`` (> 0)."""
    power = 10.0 ** math.floor(math.log10(max(raw, 1e-9)))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if factor * power >= raw * (1.0 - 1e-12):
            return factor * power
    return 10.0 * power


def nice_ticks(low: float, high: float, count: int = 5) -> tuple[float, float, list[float]]:
    """An axis range that holds ``[low, high]`` with about ``count`` round ticks.

    Parameters
    ----------
    low, high : float
        Data range (``high >= low``).
    count : int
        Wanted number of intervals (about).

    Returns
    -------
    (axis_low, axis_high, ticks)
        The widened range and the tick values in it (multiples of one nice step).
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"axis range must be finite, got {low}, {high}")
    span = high - low if high > low else max(abs(high), 1.0)
    step = nice_step(span / max(count, 1))
    axis_low = math.floor(low / step + 1e-9) * step
    axis_high = math.ceil(high / step - 1e-9) * step
    if axis_high - axis_low < step:
        axis_high = axis_low + step
    ticks = [axis_low + i * step for i in range(round((axis_high - axis_low) / step) + 1)]
    return axis_low, axis_high, [0.0 if abs(t) < step * 1e-9 else t for t in ticks]


def _tick_label(value: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    return f"{value:.{decimals}f}"


class _Frame:
    """The plot rectangle of a chart and its data-to-pixel maps."""

    def __init__(
        self,
        width: float,
        height: float,
        x_range: tuple[float, float],
        y_range: tuple[float, float],
    ) -> None:
        self.left, self.top = _MARGIN_LEFT, _MARGIN_TOP
        self.right, self.bottom = width - _MARGIN_RIGHT, height - _MARGIN_BOTTOM
        self.x_range, self.y_range = x_range, y_range

    def x(self, value: float) -> float:
        low, high = self.x_range
        return self.left + (self.right - self.left) * (value - low) / (high - low)

    def y(self, value: float) -> float:
        low, high = self.y_range
        return self.bottom - (self.bottom - self.top) * (value - low) / (high - low)


def _svg_open(width: int, height: int, label: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_t(label)}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="11">',
        f"<title>{_t(label)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def _y_axis(frame: _Frame, ticks: Sequence[float], caption: str) -> list[str]:
    """Horizontal grid lines with labels at ``ticks`` and the rotated axis caption."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    out = ['<g class="y-axis">']
    for value in ticks:
        y = _n(frame.y(value))
        out.append(
            f'<line x1="{_n(frame.left)}" y1="{y}" x2="{_n(frame.right)}" y2="{y}" '
            f'stroke="{_GRID}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{_n(frame.left - 6)}" y="{y}" text-anchor="end" '
            f'dominant-baseline="middle" fill="{_INK}">{_tick_label(value, step)}</text>'
        )
    middle = _n((frame.top + frame.bottom) / 2)
    out.append(
        f'<text x="14" y="{middle}" text-anchor="middle" fill="{_INK}" '
        f'transform="rotate(-90 14 {middle})">{_t(caption)}</text>'
    )
    out.append("</g>")
    return out


def _x_caption(frame: _Frame, height: int, caption: str) -> str:
    return (
        f'<text x="{_n((frame.left + frame.right) / 2)}" y="{_n(height - 8.0)}" '
        f'text-anchor="middle" fill="{_INK}">{_t(caption)}</text>'
    )


def _legend(items: Iterable[tuple[str, str, str]], x: float, y: float) -> list[str]:
    """A row of legend entries ``(kind, colour, text)``, kind ``box``, ``line`` or ``dash``."""
    out = ['<g class="legend">']
    for kind, colour, text in items:
        if kind == "box":
            out.append(
                f'<rect x="{_n(x)}" y="{_n(y - 5)}" width="10" height="10" fill="{colour}"/>'
            )
        else:
            dash = ' stroke-dasharray="5 3"' if kind == "dash" else ""
            out.append(
                f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + 16)}" y2="{_n(y)}" '
                f'stroke="{colour}" stroke-width="2"{dash}/>'
            )
        out.append(
            f'<text x="{_n(x + 20)}" y="{_n(y)}" dominant-baseline="middle" '
            f'fill="{_INK}">{_t(text)}</text>'
        )
        # Helvetica at 11 px averages about 6 px per character: enough room for any font.
        x += 34 + 6.2 * len(text)
    out.append("</g>")
    return out


def _plot_border(frame: _Frame) -> str:
    return (
        f'<rect x="{_n(frame.left)}" y="{_n(frame.top)}" width="{_n(frame.right - frame.left)}" '
        f'height="{_n(frame.bottom - frame.top)}" fill="none" stroke="{_MUTED}" '
        'stroke-width="1"/>'
    )


def suture_force_chart(
    forces_n: Sequence[float],
    regions: Sequence[str],
    warn_levels_n: Mapping[str, float],
    *,
    near_pullout: Sequence[bool] | None = None,
    width: int = 640,
    height: int = 280,
) -> str:
    """Bar chart of the suture forces, one bar per suture coloured by its annulus region.

    Parameters
    ----------
    forces_n : (k,) float, N
        Force of each suture, in ring order (suture 1 first).
    regions : (k,) str
        Annulus region of each suture (``anterior`` or ``posterior``).
    warn_levels_n : mapping of str to float, N
        The force at which a suture of each region is flagged (the warning fraction times the
        region's mean pull-out strength); each region present gets a dashed line there.
    near_pullout : (k,) bool, optional
        Sutures to flag (outlined, marked ``!``); default: those at or over their region's
        level.
    width, height : int
        Size of the chart, px.

    Returns
    -------
    str
        One ``<svg>`` element. Each bar is a ``<rect class="bar">`` with ``data-index``,
        ``data-region`` and ``data-force-n`` attributes (the force to 4 decimals).
    """
    forces = [float(f) for f in forces_n]
    if len(regions) != len(forces):
        raise ValueError(f"{len(forces)} forces but {len(regions)} regions")
    flags = (
        [bool(f) for f in near_pullout]
        if near_pullout is not None
        else [f >= warn_levels_n.get(r, math.inf) for f, r in zip(forces, regions, strict=True)]
    )
    out = _svg_open(width, height, "Suture forces (N) by suture, coloured by annulus region")
    if not forces:
        out.append(
            f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" '
            f'fill="{_MUTED}">no sutures</text>'
        )
        out.append("</svg>")
        return "\n".join(out)
    present = sorted(set(regions), key=lambda r: (r not in REGION_COLOURS, r))
    levels = {r: float(warn_levels_n[r]) for r in present if r in warn_levels_n}
    _, top, ticks = nice_ticks(0.0, max([*forces, *levels.values(), 0.1]) * 1.08)
    frame = _Frame(width, height, (0.0, float(len(forces))), (0.0, top))
    out += _y_axis(frame, ticks, "force (N)")
    band = (frame.right - frame.left) / len(forces)
    bar = 0.7 * band
    # Label every suture when there is room for its number, else every few.
    every = max(1, math.ceil(16.0 / band))
    out.append('<g class="bars">')
    for i, (force, region, flag) in enumerate(zip(forces, regions, flags, strict=True)):
        colour = REGION_COLOURS.get(region, _OTHER_REGION)
        x0, y0 = frame.x(i + 0.15), frame.y(force)
        outline = f' stroke="{_INK}" stroke-width="1.5"' if flag else ""
        out.append(
            f'<rect class="bar" data-index="{i + 1}" data-region="{_t(region)}" '
            f'data-force-n="{force:.4f}" x="{_n(x0)}" y="{_n(y0)}" width="{_n(bar)}" '
            f'height="{_n(frame.bottom - y0)}" fill="{colour}"{outline}>'
            f"<title>suture {i + 1} ({_t(region)}): {force:.2f} N"
            f"{' - near pull-out' if flag else ''}</title></rect>"
        )
        centre = _n(frame.x(i + 0.5))
        if flag:
            out.append(
                f'<text x="{centre}" y="{_n(y0 - 4)}" text-anchor="middle" '
                f'font-weight="bold" fill="{_INK}">!</text>'
            )
        if i % every == 0 or i == len(forces) - 1:
            out.append(
                f'<text x="{centre}" y="{_n(frame.bottom + 14)}" text-anchor="middle" '
                f'fill="{_INK}">{i + 1}</text>'
            )
    out.append("</g>")
    out.append('<g class="warning-levels">')
    for region, level in levels.items():
        colour = REGION_COLOURS.get(region, _OTHER_REGION)
        y = _n(frame.y(level))
        out.append(
            f'<line class="warn" data-region="{_t(region)}" data-level-n="{level:.4f}" '
            f'x1="{_n(frame.left)}" y1="{y}" x2="{_n(frame.right)}" y2="{y}" '
            f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
        out.append(
            f'<text x="{_n(frame.right - 4)}" y="{_n(frame.y(level) - 4)}" text-anchor="end" '
            f'fill="{colour}">{_t(region)} warning {level:.2f} N</text>'
        )
    out.append("</g>")
    out.append(_plot_border(frame))
    out.append(_x_caption(frame, height, "suture (ring order)"))
    items = [("box", REGION_COLOURS.get(r, _OTHER_REGION), r) for r in present]
    items.append(("dash", _MUTED, "pull-out warning level"))
    out += _legend(items, frame.left, 14.0)
    out.append("</svg>")
    return "\n".join(out)


def _polyline(profile: Profile, frame: _Frame, colour: str, name: str) -> str:
    points = " ".join(
        f"{_n(frame.x(float(x)))},{_n(frame.y(float(y)))}"
        for x, y in zip(profile.position, profile.height_mm, strict=True)
    )
    return (
        f'<polyline class="profile" data-curve="{_t(name)}" points="{points}" fill="none" '
        f'stroke="{colour}" stroke-width="2" stroke-linejoin="round"/>'
    )


def saddle_profile_chart(
    native: Profile,
    after: Profile | None = None,
    *,
    width: int = 640,
    height: int = 280,
) -> str:
    """Line chart of the saddle profile: height against position along the annulus.

    Parameters
    ----------
    native : Profile
        The native annulus against its own plane
        (:func:`mvplan.geometry.profile.saddle_profile`); its landmarks are marked (dashed
        and starred when estimated).
    after : Profile, optional
        The reshaped annulus against the *native* plane.
    width, height : int
        Size of the chart, px.

    Returns
    -------
    str
        One ``<svg>`` element; each curve is a ``<polyline class="profile">`` with
        ``data-curve`` ``native`` or ``with ring``.
    """
    curves = [native.height_mm] + ([after.height_mm] if after is not None else [])
    low = min(-MIN_HALF_RANGE_MM, *(float(np.min(h)) for h in curves))
    high = max(MIN_HALF_RANGE_MM, *(float(np.max(h)) for h in curves))
    y_low, y_high, ticks = nice_ticks(low, high, 4)
    frame = _Frame(width, height, (0.0, 100.0), (y_low, y_high))
    out = _svg_open(
        width, height, "Saddle profile: height above the native annulus plane along the annulus"
    )
    out += _y_axis(frame, ticks, "height (mm, + atrial)")
    out.append('<g class="x-axis">')
    for value in (0, 25, 50, 75, 100):
        out.append(
            f'<text x="{_n(frame.x(value))}" y="{_n(frame.bottom + 14)}" text-anchor="middle" '
            f'fill="{_INK}">{value}</text>'
        )
    out.append("</g>")
    if y_low < 0.0 < y_high:
        y0 = _n(frame.y(0.0))
        out.append(
            f'<line x1="{_n(frame.left)}" y1="{y0}" x2="{_n(frame.right)}" y2="{y0}" '
            f'stroke="{_MUTED}" stroke-width="1"/>'
        )
    out.append('<g class="landmarks">')
    marks = list(native.landmarks)
    # A sits at both ends of the axis.
    marks += [(n, 100.0, e) for n, x, e in native.landmarks if n == "A" and x < 1.0]
    for name, x, estimated in sorted(marks, key=lambda m: (m[1], m[0])):
        px = _n(frame.x(x))
        dash = ' stroke-dasharray="4 3"' if estimated else ""
        out.append(
            f'<line class="landmark" data-name="{_t(name)}" x1="{px}" y1="{_n(frame.top)}" '
            f'x2="{px}" y2="{_n(frame.bottom)}" stroke="{_MUTED}" stroke-width="1"{dash}/>'
        )
        out.append(
            f'<text x="{px}" y="{_n(frame.top - 5)}" text-anchor="middle" '
            f'fill="{_INK}">{_t(name)}{"*" if estimated else ""}</text>'
        )
    out.append("</g>")
    out.append(_polyline(native, frame, NATIVE_COLOUR, "native"))
    if after is not None:
        out.append(_polyline(after, frame, AFTER_COLOUR, "with ring"))
    out.append(_plot_border(frame))
    out.append(_x_caption(frame, height, "position along the annulus from A (% of perimeter)"))
    items = [("line", NATIVE_COLOUR, "native")]
    if after is not None:
        items.append(("line", AFTER_COLOUR, "with ring"))
    if any(e for _, _, e in native.landmarks):
        items.append(("dash", _MUTED, "* estimated landmark"))
    out += _legend(items, frame.left, 10.0)
    out.append("</svg>")
    return "\n".join(out)


def coaptation_length_chart(
    position_percent: Sequence[float],
    native_mm: Sequence[float] | None,
    repaired_mm: Sequence[float] | None = None,
    *,
    central: Sequence[bool] | None = None,
    numbers: Sequence[int] | None = None,
    ends: tuple[str, str] = ("ALC", "PMC"),
    width: int = 640,
    height: int = 280,
) -> str:
    """Line chart of the coaptation length at each station along the anterior free edge.

    Parameters
    ----------
    position_percent : (s,) float
        Place of each station along the anterior free edge, % from the ``ends[0]`` end.
    native_mm, repaired_mm : (s,) float, mm, or None
        Coaptation length of each station, native and with the device (0: no contact);
        None leaves a curve out.
    central : (s,) bool, optional
        The central stations, whose lengths the report summarises: shaded.
    numbers : (s,) int, optional
        Each station's number (default 1 to s in the order given).
    ends : (str, str)
        Names of the two ends of the axis (the commissures).
    width, height : int
        Size of the chart, px.

    Returns
    -------
    str
        One ``<svg>`` element; each curve is a ``<polyline class="coaptation">`` with
        ``data-curve`` ``native`` or ``with ring``, and each station a ``<circle>`` with
        ``data-curve``, ``data-station`` (its number) and ``data-length-mm`` (4 decimals).
    """
    x = [float(v) for v in position_percent]
    labels = [int(k) for k in numbers] if numbers is not None else list(range(1, len(x) + 1))
    curves = [
        (name, colour, [float(v) for v in values])
        for name, colour, values in (
            ("native", NATIVE_COLOUR, native_mm),
            ("with ring", AFTER_COLOUR, repaired_mm),
        )
        if values is not None
    ]
    for name, _, values in curves:
        if len(values) != len(x):
            raise ValueError(f"{len(x)} stations but {len(values)} {name} lengths")
    finite = [v for _, _, values in curves for v in values if math.isfinite(v)]
    _, top, ticks = nice_ticks(0.0, max([*finite, MIN_COAPTATION_AXIS_MM]) * 1.05, 4)
    frame = _Frame(width, height, (0.0, 100.0), (0.0, top))
    out = _svg_open(
        width, height, "Coaptation length (mm) along the anterior free edge, native and with ring"
    )
    mask = [bool(c) for c in central] if central is not None else []
    inside = [p for p, c in zip(x, mask, strict=False) if c]
    if inside and len(x) > 1:
        half = 0.5 * abs(x[1] - x[0])
        left, right = frame.x(max(min(inside) - half, 0.0)), frame.x(min(max(inside) + half, 100))
        out.append(
            f'<rect class="central" x="{_n(left)}" y="{_n(frame.top)}" '
            f'width="{_n(right - left)}" height="{_n(frame.bottom - frame.top)}" '
            f'fill="{_CENTRAL_FILL}"/>'
        )
    out += _y_axis(frame, ticks, "coaptation length (mm)")
    out.append('<g class="x-axis">')
    for value in (0, 25, 50, 75, 100):
        label = {0: ends[0], 100: ends[1]}.get(value, str(value))
        out.append(
            f'<text x="{_n(frame.x(value))}" y="{_n(frame.bottom + 14)}" text-anchor="middle" '
            f'fill="{_INK}">{_t(label)}</text>'
        )
    out.append("</g>")
    for name, colour, values in curves:
        pairs = [(p, v) for p, v in zip(x, values, strict=True) if math.isfinite(v)]
        points = " ".join(f"{_n(frame.x(p))},{_n(frame.y(v))}" for p, v in pairs)
        out.append(
            f'<polyline class="coaptation" data-curve="{_t(name)}" points="{points}" '
            f'fill="none" stroke="{colour}" stroke-width="2" stroke-linejoin="round"/>'
        )
        out.append(f'<g class="stations" data-curve="{_t(name)}">')
        for k, p, v in zip(labels, x, values, strict=True):
            if not math.isfinite(v):
                continue
            out.append(
                f'<circle data-curve="{_t(name)}" data-station="{k}" '
                f'data-length-mm="{v:.4f}" cx="{_n(frame.x(p))}" cy="{_n(frame.y(v))}" '
                f'r="2.5" fill="{colour}"><title>{_t(name)}, station {k}: {v:.1f} mm'
                "</title></circle>"
            )
        out.append("</g>")
    out.append(_plot_border(frame))
    caption = f"position along the anterior free edge (% from {ends[0]})"
    out.append(_x_caption(frame, height, caption))
    items = [("line", colour, name) for name, colour, _ in curves]
    if inside:
        items.append(("box", _CENTRAL_FILL, "central stations (summarised)"))
    out += _legend(items, frame.left, 12.0)
    out.append("</svg>")
    return "\n".join(out)
