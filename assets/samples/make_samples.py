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


# Synthetic vessels beside the functional-MR annulus (README.md, "Vessels"), in the sample's
# valve frame before the scanner pose. Distances are 3-D, from the annulus curve, mm.
CS_STATIONS = {"ostium": 12.5, "mid": 17.0, "distal": 12.0}  # PMC, P, ALC (Lansac 2008 ranges)
CS_ATRIAL = (3.0, 5.0)  # atrial part at the ostium and at the distal end (assumed)
CS_WIGGLE = (0.8, 3.0)  # a tracing wobble of the in-plane offset: amplitude mm, waves per path
CS_N_POINTS = 36
LCX_INSIDE_CS_MM = 5.0  # the artery's in-plane offset is the CS's minus this


def _posterior_frames(p: dict, h: float, scale: float, theta: np.ndarray):
    """Annulus points, outward in-plane normals and atrial directions (perpendicular to the
    tangent) at angles ``theta``, and the arc length along them from theta[0]."""
    foot = curve(theta, p, h, scale)
    step = 1e-6
    tangent = curve(theta + step, p, h, scale) - curve(theta - step, p, h, scale)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    # The curve runs counter-clockwise seen from +z as theta grows: outward is tangent x z.
    outward = np.c_[tangent[:, 1], -tangent[:, 0], np.zeros(len(theta))]
    outward /= np.linalg.norm(outward, axis=1, keepdims=True)
    atrial = np.array([0.0, 0.0, 1.0]) - tangent[:, 2:3] * tangent
    atrial /= np.linalg.norm(atrial, axis=1, keepdims=True)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(foot, axis=0), axis=1))])
    return foot, outward, atrial, arc


def _smooth_step(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 - np.cos(np.pi * np.clip(x, 0.0, 1.0)))


def _cs_offsets(theta: np.ndarray, fraction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """In-plane and atrial offsets of the CS at posterior angles theta (0 = PMC, -pi = ALC)."""
    d0, dm, d1 = CS_STATIONS["ostium"], CS_STATIONS["mid"], CS_STATIONS["distal"]
    f_mid = 0.5  # P is halfway round the posterior half in angle
    d = np.where(
        fraction <= f_mid,
        d0 + (dm - d0) * _smooth_step(fraction / f_mid),
        dm + (d1 - dm) * _smooth_step((fraction - f_mid) / (1 - f_mid)),
    )
    atrial = CS_ATRIAL[0] + (CS_ATRIAL[1] - CS_ATRIAL[0]) * np.clip(fraction, 0, 1)
    in_plane = np.sqrt(d**2 - atrial**2)
    in_plane = in_plane + CS_WIGGLE[0] * np.sin(2 * np.pi * CS_WIGGLE[1] * np.clip(fraction, 0, 1))
    return in_plane, atrial


def _even(points: np.ndarray, count: int) -> np.ndarray:
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    t = np.linspace(0.0, s[-1], count)
    return np.column_stack([np.interp(t, s, points[:, k]) for k in range(3)])


def write_fmr_vessels() -> dict:
    """fmr_cs_path.csv and fmr_circumflex.csv: a coronary sinus and a circumflex artery."""
    p = SAMPLES["fmr"]
    h, scale = solve_shape(p)
    # Coronary sinus: ostium beside PMC (theta 0), round P (-pi/2) to ALC (-pi).
    theta = np.linspace(0.0, -np.pi, 4001)
    foot, outward, atrial, _ = _posterior_frames(p, h, scale, theta)
    fraction = theta / -np.pi
    w, z = _cs_offsets(theta, fraction)
    cs = _even(foot + w[:, None] * outward + z[:, None] * atrial, CS_N_POINTS)

    # Circumflex: from beyond ALC (anterolateral, where it leaves the left main) along the
    # posterior arc toward P, LCX_INSIDE_CS_MM inside the CS in plane; 6 mm atrial of the
    # annulus at first, it descends to 3 mm ventricular of it between theta -2.3 and -2.0 (so
    # it passes once through the surface between the CS and the annulus), runs on past P and
    # then dives toward the ventricle.
    t_start, t_down, t_level, t_leave, t_end = -np.pi - 0.30, -2.30, -2.00, -1.25, -1.00
    theta_a = np.linspace(t_start, t_end, 2001)
    foot_a, out_a, atr_a, _ = _posterior_frames(p, h, scale, theta_a)
    w_cs, _ = _cs_offsets(theta_a, np.clip(theta_a / -np.pi, 0.0, 1.0))
    w_a = w_cs - LCX_INSIDE_CS_MM
    z_a = np.interp(theta_a, [t_start, t_down, t_level], [6.0, 6.0, -3.0])
    dive = _smooth_step((theta_a - t_leave) / (t_end - t_leave))
    w_a = w_a + 14.0 * dive  # out past the CS, well below it
    z_a = z_a - 14.0 * dive
    lcx = _even(foot_a + w_a[:, None] * out_a + z_a[:, None] * atr_a, 40)

    for name, pts in (("fmr_cs_path.csv", cs), ("fmr_circumflex.csv", lcx)):
        with open(HERE / name, "w", newline="") as fh:
            w_csv = csv.writer(fh)
            w_csv.writerow(["x_mm", "y_mm", "z_mm"])
            for pt in to_scanner(pts):
                w_csv.writerow([f"{v:.4f}" for v in pt])
    gap = np.linalg.norm(lcx[:, None] - _even(cs, 400)[None], axis=2).min()
    return {"cs_points": len(cs), "lcx_points": len(lcx), "lcx_cs_min_gap_mm": float(gap)}


if __name__ == "__main__":
    report = {name: write_sample(name, params) for name, params in SAMPLES.items()}
    report["fmr_vessels"] = write_fmr_vessels()
    print(json.dumps(report, indent=2))
