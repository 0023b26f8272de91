"""Hinge bending against a straightforward reference: the 9 x 9 Hessian in ``(e, a, b)`` built
block by block and mapped to the nodes, and the generic 12 x 12 eigenvalue clamp. The term
evaluates in chunks and in a factored form: it must agree to round-off, across chunk boundaries."""

from __future__ import annotations

import numpy as np

from mvplan.mechanics.assembly import project_psd
from mvplan.mechanics.shell_bending import ShellBending
from mvplan.mechanics.triangles import CHUNK, outer, skew

_P = np.kron([[-1.0, 1.0, 0.0, 0.0], [-1.0, 0.0, 1.0, 0.0], [-1.0, 0.0, 0.0, 1.0]], np.eye(3))
_E, _A, _B = slice(0, 3), slice(3, 6), slice(6, 9)


def _dot(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.einsum("mi,mi->m", u, v)


def _reference(p: np.ndarray, f1: np.ndarray, f2: np.ndarray) -> tuple[np.ndarray, ...]:
    """Angles, ``f' grad theta`` and ``f'' g g^T + f' hess theta`` of hinges ``p (m, 4, 3)``."""
    e, a, b = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0], p[:, 3] - p[:, 0]
    ee, ea, eb, ab = _dot(e, e), _dot(e, a), _dot(e, b), _dot(a, b)
    length = np.sqrt(ee)
    axb = np.cross(a, b)
    big_y = -_dot(e, axb)
    x = ea * eb - ee * ab
    y = length * big_y
    theta = np.arctan2(y, x)
    ea_, eb_, ab_, ee_ = ea[:, None], eb[:, None], ab[:, None], ee[:, None]
    g_x = np.concatenate(
        [a * eb_ + b * ea_ - 2.0 * e * ab_, e * eb_ - b * ee_, e * ea_ - a * ee_], axis=1
    )
    g_big_y = -np.concatenate([axb, np.cross(b, e), np.cross(e, a)], axis=1)
    g_y = length[:, None] * g_big_y
    g_y[:, _E] += (big_y / length)[:, None] * e
    r2 = x**2 + y**2
    g9 = (x[:, None] * g_y - y[:, None] * g_x) / r2[:, None]
    m = p.shape[0]
    alpha, beta = (f1 * x / r2)[:, None, None], (-f1 * y / r2)[:, None, None]
    w = alpha * length[:, None, None]
    eye = np.eye(3)
    h9 = np.zeros((m, 9, 9))
    ab_outer, ee_outer = outer(a, b), outer(e, e)
    h9[:, _E, _E] = beta * (ab_outer + np.swapaxes(ab_outer, 1, 2) - 2.0 * ab_[:, :, None] * eye)
    h9[:, _E, _E] += (alpha * (big_y / length)[:, None, None]) * (
        eye - ee_outer / ee[:, None, None]
    )
    h9[:, _E, _A] = beta * (eb_[:, :, None] * eye + outer(b, e) - 2.0 * outer(e, b))
    h9[:, _E, _A] += w * skew(b)
    h9[:, _E, _B] = beta * (ea_[:, :, None] * eye + outer(a, e) - 2.0 * outer(e, a))
    h9[:, _E, _B] -= w * skew(a)
    h9[:, _A, _B] = beta * (ee_outer - ee_[:, :, None] * eye) + w * skew(e)
    for rows, cols in ((_A, _E), (_B, _E), (_B, _A)):
        h9[:, rows, cols] = np.swapaxes(h9[:, cols, rows], 1, 2)
    g_length = np.zeros((m, 9))
    g_length[:, _E] = e / length[:, None]
    u = np.stack([g_y, g_x, g_length, g_big_y], axis=1)
    inv = 1.0 / r2**2
    coef = np.zeros((m, 4, 4))
    coef[:, 0, 0] = (f2 * x**2 - 2.0 * f1 * x * y) * inv
    coef[:, 1, 1] = (f2 * y**2 + 2.0 * f1 * x * y) * inv
    coef[:, 0, 1] = coef[:, 1, 0] = -(f2 * x * y + f1 * (x**2 - y**2)) * inv
    coef[:, 2, 3] = coef[:, 3, 2] = f1 * x / r2
    h9 += np.swapaxes(u, 1, 2) @ (coef @ u)
    return theta, (f1[:, None] * g9) @ _P, _P.T @ h9 @ _P


def _sheet(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A wavy ``n x n`` grid sheet: rest positions, triangles and a deformed state."""
    rng = np.random.default_rng(seed)
    u, v = np.meshgrid(np.arange(n + 1.0), np.arange(n + 1.0), indexing="ij")
    uv = np.stack([u.ravel(), v.ravel()], axis=1) + 0.15 * rng.normal(size=((n + 1) ** 2, 2))
    rest = np.column_stack([uv, 0.3 * np.sin(0.5 * uv[:, 0]) * np.cos(0.4 * uv[:, 1])])
    p = (np.arange(n)[:, None] * (n + 1) + np.arange(n)).ravel()
    q, r, s = p + n + 1, p + n + 2, p + 1
    tri = np.concatenate([np.stack([p, q, r], 1), np.stack([p, r, s], 1)])
    x = rest + 0.3 * rng.normal(size=rest.shape)
    return rest, tri, x


def _relative(new: np.ndarray, ref: np.ndarray) -> float:
    """Largest difference per element over the element's largest entry."""
    axes = tuple(range(1, ref.ndim))
    return float((np.abs(new - ref).max(axis=axes) / np.abs(ref).max(axis=axes)).max())


def test_gradients_hessians_and_projection_match_the_reference() -> None:
    rest, tri, x = _sheet(20, 0)
    term = ShellBending(tri, rest, np.random.default_rng(1).uniform(0.5, 1.5, tri.shape[0]))
    m = term.nodes.shape[0]
    assert m > 2 * CHUNK and m % CHUNK and m % 16  # chunk boundaries and a ragged end
    delta = term.angles(x) - term.rest_angle
    f1, f2 = 2.0 * term.coefficient * delta, 2.0 * term.coefficient
    theta, grads, blocks = _reference(x[term.nodes], f1, f2)
    energies, new_grads, new_blocks = term._elements(x, 2)
    np.testing.assert_allclose(energies, term.coefficient * delta**2, rtol=1e-13)
    np.testing.assert_array_equal(term.angles(x), theta)
    assert _relative(new_grads, grads) < 1e-12
    assert _relative(term._elements(x, 1)[1], grads) < 1e-12
    assert _relative(new_blocks, blocks) < 1e-12
    assert _relative(term.element_hessians(x)[0], blocks) < 1e-12
    projected = term.element_hessians(x, project=True)[0]
    reference = project_psd(blocks)
    assert _relative(projected, reference) < 1e-12
    assert _relative(term._project(x, blocks), reference) < 1e-12


def test_projection_keeps_the_hinges_at_rest_and_clamps_the_others() -> None:
    rest, tri, x = _sheet(6, 2)
    term = ShellBending(tri, rest, 1.0)
    x[: x.shape[0] // 2] = rest[: x.shape[0] // 2]  # half the sheet at rest
    exact = term.element_hessians(x)[0]
    projected = term.element_hessians(x, project=True)[0]
    at_rest = term.angles(x) == term.rest_angle
    assert 0 < at_rest.sum() < at_rest.size
    np.testing.assert_array_equal(projected[at_rest], exact[at_rest])
    assert _relative(projected, project_psd(exact)) < 1e-12
