"""Closed-form annulus shapes and small helpers shared by the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.spatial.transform import Rotation

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"
THIRD_PARTY = ASSETS / "third_party"
SAMPLES = ASSETS / "samples"


def saddle_ellipse(t: np.ndarray, a: float = 18.0, b: float = 14.0, h: float = 3.0) -> np.ndarray:
    """``(a cos t, b sin t, h cos 2t)``: an ellipse (a > b) with a saddle; A and P at t = +-pi/2."""
    return np.c_[a * np.cos(t), b * np.sin(t), h * np.cos(2 * t)]


def saddle_ellipse_speed(t: float, a: float, b: float, h: float) -> float:
    return float(
        np.sqrt((a * np.sin(t)) ** 2 + (b * np.cos(t)) ** 2 + (2 * h * np.sin(2 * t)) ** 2)
    )


def saddle_ellipse_arc(t0: float, t1: float, a: float, b: float, h: float) -> float:
    """Arc length of :func:`saddle_ellipse` from t0 to t1 by adaptive quadrature, mm."""
    return quad(saddle_ellipse_speed, t0, t1, args=(a, b, h), epsabs=1e-12, epsrel=1e-12)[0]


def saddle_ellipse_point_at_arc(t0: float, s: float, a: float, b: float, h: float) -> float:
    """Parameter t at arc length s (signed) from t0."""
    sign = 1.0 if s >= 0 else -1.0
    return brentq(
        lambda t: sign * saddle_ellipse_arc(t0, t, a, b, h) - abs(s), t0, t0 + sign * 2 * np.pi
    )


def d_shape(
    t: np.ndarray, a: float = 17.5, b_ant: float = 12.0, b_post: float = 17.0, h: float = 2.0
) -> np.ndarray:
    """A D-shaped saddle annulus: flat anterior half (y > 0, superellipse n = 3), round
    posterior half (ellipse), horns at A (t = pi/2) and P (t = -pi/2)."""
    c, s = np.cos(t), np.sin(t)
    n = np.where(s >= 0, 3.0, 2.0)
    b = np.where(s >= 0, b_ant, b_post)
    return np.c_[
        a * np.sign(c) * np.abs(c) ** (2 / n),
        b * np.sign(s) * np.abs(s) ** (2 / n),
        -h * np.cos(2 * t),
    ]


def random_motion(points: np.ndarray, seed: int) -> np.ndarray:
    """Apply a random proper rigid motion (translation up to 200 mm)."""
    rng = np.random.default_rng(seed)
    rot = Rotation.random(random_state=rng)
    return rot.apply(points) + rng.uniform(-200, 200, 3)
