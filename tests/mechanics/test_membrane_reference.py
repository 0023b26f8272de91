"""Membrane triangles and the May-Newman-Yin law against straightforward references: the law's
second derivative as a sum of 4th-order outer products, the element Hessian as ``B^T K B`` plus
``(G S G^T) x I3``, and the generic 9 x 9 eigenvalue clamp. The term evaluates in chunks and
projects in a reduced basis: it must agree to round-off, across chunk boundaries."""

from __future__ import annotations

import numpy as np
import pytest

from mvplan.mechanics.assembly import project_psd
from mvplan.mechanics.leaflet_law import (
    LEAFLET_LAWS,
    MayNewmanYin,
    MembraneLaw,
    SaintVenantKirchhoff,
)
from mvplan.mechanics.membrane import MembraneTriangles
from mvplan.mechanics.triangles import CHUNK

LAWS: dict[str, MembraneLaw] = {
    "svk": SaintVenantKirchhoff(4.0, 0.45),
    "anterior": LEAFLET_LAWS["anterior"],
    "posterior": LEAFLET_LAWS["posterior"],
    "matrix-tension-fibres": MayNewmanYin(
        c0=2e-3, c1=3.0, c2=80.0, shear_modulus=0.01, fibre_compression=False
    ),
}
_VOIGT = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
_D_DET = np.zeros((2, 2, 2, 2))
_D_DET[0, 0, 1, 1] = _D_DET[1, 1, 0, 0] = 1.0
_D_DET[0, 1, 1, 0] = _D_DET[1, 0, 0, 1] = -1.0


def _outer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("mij,mkl->mijkl", a, b)


def _may_newman_reference(law: MayNewmanYin, c: np.ndarray, fibre: np.ndarray) -> tuple:
    """``W``, ``dW/dC`` and ``d2W/dC2`` term by term (module docstring of leaflet_law)."""
    det = c[:, 0, 0] * c[:, 1, 1] - c[:, 0, 1] * c[:, 1, 0]
    cof = np.stack(
        [np.stack([c[:, 1, 1], -c[:, 1, 0]], -1), np.stack([-c[:, 0, 1], c[:, 0, 0]], -1)], 1
    )
    i1 = c[:, 0, 0] + c[:, 1, 1] + 1.0 / det
    i4 = np.einsum("mi,mij,mj->m", fibre, c, fibre)
    alpha = np.sqrt(i4)
    s = alpha - 1.0 if law.fibre_compression else np.maximum(alpha - 1.0, 0.0)
    g0, g1, g2 = s**4, 2.0 * s**3 / alpha, s**2 * (2.0 * alpha + 1.0) / alpha**3
    q = law.c1 * (i1 - 3.0) ** 2 + law.c2 * g0
    h = np.exp(q)  # below the cap
    mu = law.shear_modulus
    energy = law.c0 * (h - 1.0) + 0.5 * mu * (i1 - 3.0)
    q1, q4 = 2.0 * law.c1 * (i1 - 3.0), law.c2 * g1
    w1, w4 = law.c0 * h * q1 + 0.5 * mu, law.c0 * h * q4
    d_i1 = np.eye(2) - cof / det[:, None, None] ** 2
    d_i4 = np.einsum("mi,mj->mij", fibre, fibre)
    first = w1[:, None, None] * d_i1 + w4[:, None, None] * d_i4
    w11 = law.c0 * (h * q1**2 + 2.0 * law.c1 * h)
    w14 = law.c0 * h * q1 * q4
    w44 = law.c0 * (h * q4**2 + law.c2 * h * g2)
    det4 = det[:, None, None, None, None]
    dd_i1 = -_D_DET / det4**2 + 2.0 * _outer(cof, cof) / det4**3
    cross = _outer(d_i1, d_i4)
    second = (
        w11[:, None, None, None, None] * _outer(d_i1, d_i1)
        + w14[:, None, None, None, None] * (cross + np.einsum("mijkl->mklij", cross))
        + w44[:, None, None, None, None] * _outer(d_i4, d_i4)
        + w1[:, None, None, None, None] * dd_i1
    )
    return energy, first, second


def _element_reference(term: MembraneTriangles, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """Energies, gradients ``B dW`` and Hessians ``B K B^T + (G S G^T) x I3``, scaled."""
    f = np.swapaxes(x[term.nodes], 1, 2) @ term.shape_gradients
    w, dw, ddw = term.law.evaluate(np.swapaxes(f, 1, 2) @ f, term.fibres, 2)
    scale = term.reference_areas * term.thickness
    g = term.shape_gradients[:, :, None, :]
    fi = f[:, None, :, :]
    b = np.stack(
        [
            2.0 * g[..., 0] * fi[..., 0],
            2.0 * g[..., 1] * fi[..., 1],
            g[..., 0] * fi[..., 1] + g[..., 1] * fi[..., 0],
        ],
        axis=-1,
    ).reshape(-1, 9, 3)
    grads = scale[:, None] * np.einsum("mpk,mk->mp", b, dw.reshape(-1, 4) @ _VOIGT)
    k = _VOIGT.T @ ddw.reshape(-1, 4, 4) @ _VOIGT
    gsg = (
        term.shape_gradients
        @ (dw + np.swapaxes(dw, 1, 2))
        @ np.swapaxes(term.shape_gradients, 1, 2)
    )
    geometric = np.zeros((f.shape[0], 3, 3, 3, 3))
    for i in range(3):
        geometric[:, :, i, :, i] = gsg
    blocks = b @ k @ np.swapaxes(b, 1, 2) + geometric.reshape(-1, 9, 9)
    return scale * w, grads, scale[:, None, None] * blocks


def _sheet(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A wavy ``n x n`` grid sheet: rest positions, triangles and a state stretched in places
    and compressed in others."""
    rng = np.random.default_rng(seed)
    u, v = np.meshgrid(np.arange(n + 1.0), np.arange(n + 1.0), indexing="ij")
    uv = np.stack([u.ravel(), v.ravel()], axis=1) + 0.15 * rng.normal(size=((n + 1) ** 2, 2))
    rest = np.column_stack([uv, 0.3 * np.sin(0.5 * uv[:, 0]) * np.cos(0.4 * uv[:, 1])])
    p = (np.arange(n)[:, None] * (n + 1) + np.arange(n)).ravel()
    q, r, s = p + n + 1, p + n + 2, p + 1
    tri = np.concatenate([np.stack([p, q, r], 1), np.stack([p, r, s], 1)])
    x = 1.1 * rest + 0.12 * rng.normal(size=rest.shape)
    return rest, tri, x


def _relative(new: np.ndarray, ref: np.ndarray) -> float:
    """Largest difference per element over the element's largest entry."""
    axes = tuple(range(1, ref.ndim))
    return float((np.abs(new - ref).max(axis=axes) / np.abs(ref).max(axis=axes)).max())


@pytest.mark.parametrize("name", [n for n in LAWS if isinstance(LAWS[n], MayNewmanYin)])
def test_may_newman_matches_the_reference(name: str) -> None:
    rng = np.random.default_rng(4)
    f = np.eye(2) + 0.08 * rng.normal(size=(300, 2, 2))
    c = np.swapaxes(f, 1, 2) @ f
    angle = rng.uniform(0.0, 2.0 * np.pi, 300)
    fibre = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    law = LAWS[name]
    assert isinstance(law, MayNewmanYin)
    for order in (0, 1, 2):
        new = law.evaluate(c, fibre, order)
        references = _may_newman_reference(law, c, fibre)[: order + 1]
        for value, reference in zip(new[: order + 1], references, strict=True):
            assert value is not None
            scale = np.abs(reference).max()
            assert np.abs(value - reference).max() <= 1e-12 * scale


@pytest.mark.parametrize("name", list(LAWS))
def test_gradients_hessians_and_projection_match_the_reference(name: str) -> None:
    rest, tri, x = _sheet(21, 0)
    rng = np.random.default_rng(1)
    term = MembraneTriangles(
        tri, rest, LAWS[name], rng.uniform(0.4, 0.8, tri.shape[0]), rng.normal(size=(1, 3))
    )
    m = term.nodes.shape[0]
    assert m > CHUNK and m % CHUNK and m % 16  # a chunk boundary and a ragged end
    energies, grads, blocks = _element_reference(term, x)
    new_energies, new_grads, new_blocks = term._elements(x, 2)
    np.testing.assert_allclose(new_energies, energies, rtol=1e-12)
    np.testing.assert_allclose(term.element_values(x), energies, rtol=1e-12)
    assert _relative(new_grads, grads) < 1e-12
    assert _relative(term._elements(x, 1)[1], grads) < 1e-12
    assert _relative(new_blocks, blocks) < 1e-12
    reference = project_psd(blocks)
    projected = term.element_hessians(x, project=True)[0]
    assert _relative(projected, reference) < 1e-12
    assert _relative(term._project(x, blocks), reference) < 1e-12
    changed = np.abs(projected - new_blocks).max(axis=(1, 2)) > 0.0
    assert 0 < changed.sum() < m  # some blocks clamped, others kept


def test_projection_of_a_triangle_collapsed_to_a_line() -> None:
    rest, tri, x = _sheet(3, 5)
    i, j, k = tri[4]
    x[k] = x[i] + 0.4 * (x[j] - x[i])  # no current plane: the generic clamp
    x[i] += 0.1 * (x[j] - x[i])
    term = MembraneTriangles(tri, rest, LAWS["svk"], 0.5)
    blocks = term.element_hessians(x)[0]
    projected = term.element_hessians(x, project=True)[0]
    assert _relative(projected, project_psd(blocks)) < 1e-12
