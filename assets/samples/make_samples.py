"""Generate mvplan's sample annuli from published figures.

Run: ``python assets/samples/make_samples.py`` (rewrites the CSV files beside it).

The recipe, documented in README.md beside this file, uses numpy and scipy only (never mvplan's
own code), so the samples are an independent check of the measurements rather than their echo.
Once published, the samples change only with a note in README.md saying why.

Shape in the valve frame (x toward the posteromedial commissure, y toward A, z atrial), angle
theta from +x (the PMC) counter-clockwise seen from the atrium, A at theta = 90 deg:

* in-plane: a "D". The anterior half (y > 0) is a superellipse of exponent 3 (flatter in the
  middle, as the anterior annulus is), the posterior half an ellipse:
  ``x = a sgn(c)|c|^(2/n)``, ``y = b sgn(s)|s|^(2/n)`` with ``c = cos theta``, ``s = sin theta``,
  ``n = 3, b = b_ant`` for ``s >= 0`` and ``n = 2, b = b_post`` for ``s < 0``; ``a`` is half
  the commissural diameter;
* out of plane: a saddle ``z = -H cos 2 theta`` (horns at A and P, commissures low);
* ``H`` and a common scale of ``b_ant, b_post`` are solved so that the 3D AP diameter and the
  non-planarity angle (on the least-squares plane, as DESIGN.md section 4 defines it) equal the
  published means;
* trigones placed symmetrically about A at the intertrigonal distance given per sample
  (healthy: AP / 1.11, Noack 2019; functional MR: see README.md), and papillary tips at fixed
  valve-frame positions (see README.md).
Finally the valve-frame curve is moved into a scanner-like frame by a fixed rigid motion.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from scipy.optimize import fsolve

HERE = Path(__file__).resolve().parent
N_POINTS = 72

# Published means (DOMAIN.md; 3D TTE, doi 10.1155/2020/3261714): AP at end systole, commissural
# diameter, non-planarity angle (the published annular height is reported, not imposed: with
# this saddle it cannot be met together with the angle; see README.md). The AP split between
# the anterior and posterior halves (b_ant : b_post) is an assumption: the centre of the
# commissures sits 40-45 % of AP from A.
SAMPLES = {
    "healthy": {
        "ap": 29.0,
        "cc": 35.0,
        "npa": 152.0,
        "ant_share": 0.42,
        "it": 29.0 / 1.11,
        "tips": [(-11.0, -2.0, -22.0), (11.0, -2.0, -22.0)],
    },
    "fmr": {
        "ap": 33.0,
        "cc": 41.0,
        "npa": 162.0,
        "ant_share": 0.40,
        "it": 28.0,
        # The healthy tips scaled with the annulus (x by the commissural ratio 41/35, y by the
        # AP ratio 33/29) and moved 5 mm apically (Votta et al. 2007; see README.md).
        "tips": [(-12.9, -2.3, -27.0), (12.9, -2.3, -27.0)],
    },
}

# A fixed scanner-like pose: rotations about x then z, then an offset (mm).
_ROT_X, _ROT_Z, _OFFSET = np.radians(35.0), np.radians(-20.0), np.array([96.0, 88.0, 101.0])


def in_plane(theta: np.ndarray, a: float, b_ant: float, b_post: float) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    n = np.where(s >= 0, 3.0, 2.0)
    b = np.where(s >= 0, b_ant, b_post)
    return np.c_[a * np.sign(c) * np.abs(c) ** (2 / n), b * np.sign(s) * np.abs(s) ** (2 / n)]


def curve(theta: np.ndarray, p: dict, h: float, scale: float) -> np.ndarray:
    a = p["cc"] / 2
    b_ant, b_post = scale * p["ant_share"] * p["ap"], scale * (1 - p["ant_share"]) * p["ap"]
    return np.c_[in_plane(theta, a, b_ant, b_post), -h * np.cos(2 * theta)]


def lsq_normal(p: dict, h: float, scale: float) -> np.ndarray:
    """Normal of the least-squares plane of the curve sampled uniformly in arc length."""
    theta = np.linspace(0, 2 * np.pi, 20001)
    pts = curve(theta, p, h, scale)
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    uniform = curve(np.interp(np.linspace(0, s[-1], 4000, endpoint=False), s, theta), p, h, scale)
    normal = np.linalg.svd(uniform - uniform.mean(axis=0))[2][2]
    return normal if normal[2] > 0 else -normal


def solve_shape(p: dict) -> tuple[float, float]:
    """Saddle height H and AP scale giving the published 3D AP and non-planarity angle."""

    def residual(x: np.ndarray) -> list[float]:
        h, scale = x
        a_pt, p_pt, alc, pmc = curve(np.array([np.pi / 2, -np.pi / 2, np.pi, 0.0]), p, h, scale)
        n = lsq_normal(p, h, scale)
        side = np.cross(p_pt - a_pt, n)
        side /= np.linalg.norm(side)
        m = 0.5 * (alc + pmc)
        m = m - ((m - a_pt) @ side) * side
        va, vp = a_pt - m, p_pt - m
        angle = np.degrees(np.arccos(va @ vp / np.linalg.norm(va) / np.linalg.norm(vp)))
        return [float(np.linalg.norm(a_pt - p_pt)) - p["ap"], float(angle) - p["npa"]]

    h, scale = fsolve(residual, [2.0, 1.0], xtol=1e-12)
    return float(h), float(scale)


def to_scanner(points: np.ndarray) -> np.ndarray:
    cx, sx, cz, sz = np.cos(_ROT_X), np.sin(_ROT_X), np.cos(_ROT_Z), np.sin(_ROT_Z)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return points @ (rz @ rx).T + _OFFSET


def landmark_angles(p: dict, h: float, scale: float) -> dict[str, float]:
    """theta of each landmark; the trigones at +-phi about A with |ALT - PMT| = p["it"]."""

    def gap(phi: np.ndarray) -> list[float]:
        pts = curve(np.array([np.pi / 2 + phi[0], np.pi / 2 - phi[0]]), p, h, scale)
        return [float(np.linalg.norm(pts[0] - pts[1]) - p["it"])]

    phi = float(fsolve(gap, [np.pi / 4])[0])
    return {
        "A": np.pi / 2,
        "P": -np.pi / 2,
        "ALC": np.pi,
        "PMC": 0.0,
        "ALT": np.pi / 2 + phi,
        "PMT": np.pi / 2 - phi,
    }


def write_sample(name: str, p: dict) -> dict:
    h, scale = solve_shape(p)
    marks = landmark_angles(p, h, scale)
    theta = np.linspace(0, 2 * np.pi, N_POINTS, endpoint=False)
    labels = [""] * N_POINTS
    for label, t in marks.items():  # landmark rows join the curve at their own angle
        theta = np.append(theta, np.mod(t, 2 * np.pi))
        labels.append(label)
    order = np.argsort(theta, kind="stable")
    theta, labels = theta[order], [labels[i] for i in order]
    keep = np.concatenate([[True], np.diff(theta) > 1e-9])  # a landmark on a sample replaces it
    keep_idx = np.nonzero(keep)[0]
    for i in np.nonzero(~keep)[0]:
        labels[i - 1] = labels[i - 1] or labels[i]
    theta, labels = theta[keep_idx], [labels[i] for i in keep_idx]
    points = to_scanner(curve(theta, p, h, scale))
    with open(HERE / f"{name}_annulus.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["x_mm", "y_mm", "z_mm", "label"])
        for pt, lab in zip(points, labels, strict=True):
            w.writerow([f"{v:.4f}" for v in pt] + [lab])
    tips = to_scanner(np.array(p["tips"]))
    with open(HERE / f"{name}_papillary_tips.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["x_mm", "y_mm", "z_mm", "label"])
        for pt, lab in zip(tips, ["AL", "PM"], strict=True):
            w.writerow([f"{v:.4f}" for v in pt] + [lab])
    lm = curve(np.array([marks[k] for k in ("A", "P", "ALC", "PMC", "ALT", "PMT")]), p, h, scale)
    return {
        "saddle_H_mm": h,
        "ap_scale": scale,
        "intertrigonal_mm": float(np.linalg.norm(lm[4] - lm[5])),
        "landmark_theta_deg": {k: float(np.degrees(v)) for k, v in marks.items()},
    }


if __name__ == "__main__":
    report = {name: write_sample(name, params) for name, params in SAMPLES.items()}
    print(json.dumps(report, indent=2))
