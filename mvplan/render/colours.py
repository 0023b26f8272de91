"""Colours of the planning scene: themes, object colours and the two colour maps.

Two maps carry numbers, each with a fixed meaning so that pictures of different plans can be
compared side by side:

- **height above the annulus plane** (valve-frame z, mm): a diverging map (Moreland's
  cool-to-warm: blue below the plane, grey on it, red above) over a symmetric range of at
  least +-:data:`HEIGHT_RANGE_MM`, widened in whole millimetres only for a curve that leaves it;
- **suture force** (N): green (slack) through amber to red over the fixed range
  0-:data:`FORCE_RANGE_N`. Amber sits near 2 N, where a posterior suture reaches half of
  its mean pull-out strength (3.9 N, the simulation's warning), red near 4 N, that strength
  itself.

The closed leaflets (:mod:`mvplan.render.leaflets`) have three more, also over fixed ranges:

- **coaptation**: two colours, in contact with the other leaflet (teal) or not (tissue);
- **gap** to the other leaflet (mm): teal where they touch, through amber (about 1.5 mm)
  to the tissue colour at :data:`GAP_RANGE_MM`'s end, where the coaptation analysis caps its
  distances: far from the other leaflet is where a leaflet belly belongs, not an alarm;
- **leaflet stress** (largest principal Cauchy stress, MPa): pale blue (unloaded) through
  amber to red at :data:`STRESS_RANGE_MPA`'s end, above the 95th percentile of a healthy
  closed valve (about 0.3-0.4 MPa at 120 mmHg in this model).

Colours are RGB floats in [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from vtkmodules.vtkRenderingCore import vtkColorTransferFunction

from mvplan.errors import InputError

FloatArray = npt.NDArray[np.float64]
RGB = tuple[float, float, float]

__all__ = [
    "ARTERY_COLOUR",
    "ARTERY_RISK_COLOUR",
    "CONTACT_COLOUR",
    "DEVICE_COLOUR",
    "FORCE_RANGE_N",
    "GAP_RANGE_MM",
    "HEIGHT_RANGE_MM",
    "LANDMARK_COLOURS",
    "RGB",
    "STRESS_RANGE_MPA",
    "THEMES",
    "TISSUE_COLOUR",
    "VEIN_COLOUR",
    "Theme",
    "coaptation_transfer_function",
    "force_colours",
    "force_transfer_function",
    "gap_transfer_function",
    "height_colours",
    "height_range",
    "height_transfer_function",
    "paler",
    "resolve_theme",
    "stress_transfer_function",
]

#: Half-range of the height colour map, mm: a healthy saddle (annular height 5-6 mm) spans it.
HEIGHT_RANGE_MM = 3.0

#: Range of the suture-force colour map, N (fixed, so a colour means the same force in every
#: plan): about the mean posterior pull-out strength (3.9 N, DOMAIN.md).
FORCE_RANGE_N = (0.0, 4.0)

#: Moreland's cool-to-warm diverging map: (value in [-1, 1], RGB) control points.
_COOL_WARM: tuple[tuple[float, RGB], ...] = (
    (-1.0, (0.230, 0.299, 0.754)),
    (0.0, (0.865, 0.865, 0.865)),
    (1.0, (0.706, 0.016, 0.150)),
)

#: Suture force, N -> RGB: green (slack), amber (half the posterior pull-out strength),
#: red (the posterior pull-out strength).
_FORCE: tuple[tuple[float, RGB], ...] = (
    (0.0, (0.20, 0.70, 0.42)),
    (1.0, (0.55, 0.80, 0.30)),
    (2.0, (0.98, 0.80, 0.20)),
    (3.0, (0.96, 0.45, 0.13)),
    (4.0, (0.80, 0.08, 0.13)),
)

#: Leaflet tissue (out of contact) and leaflets in contact with each other.
TISSUE_COLOUR: RGB = (0.93, 0.76, 0.70)
CONTACT_COLOUR: RGB = (0.09, 0.62, 0.56)

#: Range of the gap map, mm: the coaptation analysis caps its distances at 5 mm.
GAP_RANGE_MM = (0.0, 5.0)

#: Range of the leaflet-stress map, MPa (fixed, so plans compare; module docstring).
STRESS_RANGE_MPA = (0.0, 0.6)

#: Gap to the other leaflet, mm -> RGB: touching, just apart, a gap, far (module docstring).
_GAP: tuple[tuple[float, RGB], ...] = (
    (0.0, CONTACT_COLOUR),
    (0.5, (0.42, 0.78, 0.46)),
    (1.5, (0.98, 0.80, 0.25)),
    (3.0, (0.94, 0.52, 0.40)),
    (5.0, TISSUE_COLOUR),
)

#: Leaflet stress, MPa -> RGB.
_STRESS: tuple[tuple[float, RGB], ...] = (
    (0.0, (0.80, 0.87, 0.97)),
    (0.15, (0.45, 0.68, 0.93)),
    (0.3, (0.98, 0.80, 0.22)),
    (0.45, (0.95, 0.45, 0.13)),
    (0.6, (0.80, 0.08, 0.13)),
)

#: Percutaneous devices (:mod:`mvplan.render.device`): the coronary sinus blue-violet (a vein,
#: and apart from the height map's blue, which has no red in it), the device's wire steel
#: grey, the circumflex artery red and, where it runs closer to the device than the
#: compression threshold, yellow (the colour of a warning on both themes).
VEIN_COLOUR: RGB = (0.52, 0.36, 0.98)
DEVICE_COLOUR: RGB = (0.78, 0.82, 0.88)
ARTERY_COLOUR: RGB = (0.90, 0.16, 0.14)
ARTERY_RISK_COLOUR: RGB = (1.00, 0.86, 0.10)

#: Landmark glyph colours: A and P, the commissures, the trigones.
LANDMARK_COLOURS: dict[str, RGB] = {
    "A": (0.35, 0.82, 0.95),
    "P": (0.35, 0.82, 0.95),
    "ALC": (0.76, 0.56, 0.96),
    "PMC": (0.76, 0.56, 0.96),
    "ALT": (1.00, 0.74, 0.30),
    "PMT": (1.00, 0.74, 0.30),
}


@dataclass(frozen=True)
class Theme:
    """The look of a scene: background and the colours that must contrast with it.

    Attributes
    ----------
    name : str
    background_top, background_bottom : RGB
        A vertical gradient (equal colours: a plain background).
    text : RGB
        Labels, scalar-bar titles and ticks.
    plane : RGB
        The annulus plane disc (drawn translucent).
    plane_opacity : float
    native_faded : RGB
        The native annulus drawn for comparison after a simulation.
    ring : RGB
        The ring (fabric-covered devices are white or off-white).
    suture : RGB
        Sutures before a simulation (braided polyester sutures are often green).
    """

    name: str
    background_top: RGB
    background_bottom: RGB
    text: RGB
    plane: RGB
    plane_opacity: float
    native_faded: RGB
    ring: RGB
    suture: RGB


THEMES: dict[str, Theme] = {
    "dark": Theme(
        name="dark",
        background_top=(0.20, 0.22, 0.26),
        background_bottom=(0.05, 0.06, 0.08),
        text=(0.93, 0.94, 0.96),
        plane=(0.55, 0.68, 0.85),
        plane_opacity=0.16,
        native_faded=(0.50, 0.52, 0.56),
        ring=(0.95, 0.92, 0.84),
        suture=(0.30, 0.80, 0.50),
    ),
    "light": Theme(
        name="light",
        background_top=(0.98, 0.98, 0.99),
        background_bottom=(0.80, 0.82, 0.86),
        text=(0.08, 0.09, 0.11),
        plane=(0.30, 0.42, 0.60),
        plane_opacity=0.14,
        native_faded=(0.74, 0.76, 0.79),
        ring=(0.93, 0.90, 0.80),
        suture=(0.10, 0.58, 0.32),
    ),
    "white": Theme(
        name="white",
        background_top=(1.0, 1.0, 1.0),
        background_bottom=(1.0, 1.0, 1.0),
        text=(0.0, 0.0, 0.0),
        plane=(0.30, 0.42, 0.60),
        plane_opacity=0.12,
        native_faded=(0.74, 0.76, 0.79),
        ring=(0.90, 0.86, 0.74),
        suture=(0.10, 0.58, 0.32),
    ),
}


def resolve_theme(background: str | Sequence[float] | Theme) -> Theme:
    """A :class:`Theme` from a theme name (``dark``, ``light``, ``white``), an RGB colour
    (floats in [0, 1]: a plain background, with dark or light text by its luminance) or a
    theme.

    Raises
    ------
    InputError
        An unknown name or a colour that is not three numbers in [0, 1].
    """
    if isinstance(background, Theme):
        return background
    if isinstance(background, str):
        if background not in THEMES:
            raise InputError(
                f"unknown background {background!r}; use one of {', '.join(THEMES)} "
                "or an RGB colour"
            )
        return THEMES[background]
    try:
        rgb = np.asarray(background, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        rgb = np.zeros(0)
    if rgb.size != 3 or not np.all(np.isfinite(rgb)) or np.any((rgb < 0) | (rgb > 1)):
        raise InputError(f"background colour must be three numbers in [0, 1], got {background!r}")
    colour = (float(rgb[0]), float(rgb[1]), float(rgb[2]))
    # Rec. 709 luma decides whether the theme's dark or light colours contrast with it.
    base = THEMES["dark" if 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] < 0.5 else "light"]
    return Theme(
        name="custom",
        background_top=colour,
        background_bottom=colour,
        text=base.text,
        plane=base.plane,
        plane_opacity=base.plane_opacity,
        native_faded=base.native_faded,
        ring=base.ring,
        suture=base.suture,
    )


def paler(colour: RGB, amount: float = 0.5, towards: RGB = (0.6, 0.6, 0.6)) -> RGB:
    """``colour`` mixed ``amount`` of the way toward a neutral grey (estimated landmarks)."""
    c = (1.0 - amount) * np.asarray(colour) + amount * np.asarray(towards)
    return (float(c[0]), float(c[1]), float(c[2]))


def height_range(z: npt.ArrayLike) -> tuple[float, float]:
    """Symmetric colour range of heights ``z (n,)`` mm: +-:data:`HEIGHT_RANGE_MM`, or the
    next whole millimetre above ``max |z|`` when the curve leaves that range."""
    values = np.asarray(z, dtype=float)
    top = float(np.max(np.abs(values))) if values.size else 0.0
    half = max(HEIGHT_RANGE_MM, float(np.ceil(top)))
    return (-half, half)


def height_transfer_function(half_range: float) -> vtkColorTransferFunction:
    """The diverging height map over ``[-half_range, half_range]`` mm, interpolated in
    Moreland's diverging colour space (the ends saturated, the middle neutral)."""
    ctf = vtkColorTransferFunction()
    ctf.SetColorSpaceToDiverging()
    for value, rgb in _COOL_WARM:
        ctf.AddRGBPoint(value * half_range, *rgb)
    return ctf


def force_transfer_function() -> vtkColorTransferFunction:
    """The suture-force map over :data:`FORCE_RANGE_N`, interpolated in CIELAB."""
    ctf = vtkColorTransferFunction()
    ctf.SetColorSpaceToLab()
    for value, rgb in _FORCE:
        ctf.AddRGBPoint(value, *rgb)
    ctf.ClampingOn()
    return ctf


def _piecewise(points: tuple[tuple[float, RGB], ...], nan: RGB) -> vtkColorTransferFunction:
    """A map through ``points`` (value, RGB) interpolated in CIELAB, clamped at its ends,
    ``nan`` for NaN (nodes the quantity does not apply to)."""
    ctf = vtkColorTransferFunction()
    ctf.SetColorSpaceToLab()
    for value, rgb in points:
        ctf.AddRGBPoint(value, *rgb)
    ctf.ClampingOn()
    ctf.SetNanColor(*nan)
    return ctf


def coaptation_transfer_function() -> vtkColorTransferFunction:
    """0 (out of contact) -> :data:`TISSUE_COLOUR`, 1 (in contact) -> :data:`CONTACT_COLOUR`
    (values between: the edge of the contact band inside a triangle)."""
    return _piecewise(((0.0, TISSUE_COLOUR), (1.0, CONTACT_COLOUR)), TISSUE_COLOUR)


def gap_transfer_function() -> vtkColorTransferFunction:
    """The gap map over :data:`GAP_RANGE_MM`, mm (NaN: the tissue colour)."""
    return _piecewise(_GAP, TISSUE_COLOUR)


def stress_transfer_function() -> vtkColorTransferFunction:
    """The leaflet-stress map over :data:`STRESS_RANGE_MPA`, MPa."""
    return _piecewise(_STRESS, TISSUE_COLOUR)


def _sample(ctf: vtkColorTransferFunction, values: npt.ArrayLike) -> FloatArray:
    v = np.asarray(values, dtype=float).reshape(-1)
    return np.array([ctf.GetColor(float(x)) for x in v]).reshape(-1, 3)


def height_colours(z: npt.ArrayLike, half_range: float = HEIGHT_RANGE_MM) -> FloatArray:
    """RGB ``(n, 3)`` of heights ``z (n,)`` mm on the height map (clamped at its ends)."""
    return _sample(height_transfer_function(half_range), z)


def force_colours(forces: npt.ArrayLike) -> FloatArray:
    """RGB ``(n, 3)`` of suture forces ``(n,)`` N on the force map (clamped at its ends)."""
    return _sample(force_transfer_function(), forces)
