"""Membrane triangles and leaflet laws: exact derivatives, closed-form responses, patch tests."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import Delaunay
from scipy.spatial.transform import Rotation

from mvplan.mechanics.fdcheck import check_term
from mvplan.mechanics.leaflet_law import (
    LEAFLET_LAWS,
    LEAFLET_THICKNESS,
    MayNewmanYin,
    MembraneLaw,
    SaintVenantKirchhoff,
)
from mvplan.mechanics.membrane import MembraneTriangles

ANTERIOR = LEAFLET_LAWS["anterior"]
POSTERIOR = LEAFLET_LAWS["posterior"]
SVK = SaintVenantKirchhoff(youngs_modulus=4.0, poisson_ratio=0.45)  # the prototype's values
LAWS: dict[str, MembraneLaw] = {
    "svk": SVK,
    "anterior": ANTERIOR,
    "posterior": POSTERIOR,
    "matrix-tension-fibres": MayNewmanYin(
        c0=2e-3, c1=3.0, c2=80.0, shear_modulus=0.01, fibre_compression=False
    ),
}


def _random_c(rng: np.random.Generator, m: int, spread: float) -> np.ndarray:
    f = np.eye(2) + spread * rng.normal(size=(m, 2, 2))
    return np.einsum("mki,mkj->mij", f, f)


def _random_fibres(rng: np.random.Generator, m: int) -> np.ndarray:
    angle = rng.uniform(0.0, 2.0 * np.pi, m)
    return np.stack([np.cos(angle), np.sin(angle)], axis=1)


def _law_fd_errors(law: MembraneLaw, c: np.ndarray, fibre: np.ndarray) -> tuple[float, float]:
    """Relative errors of dW/dC and d2W/dC2 against central differences over single entries."""
    _, first, second = law.evaluate(c, fibre, 2)
    assert first is not None and second is not None
    first_fd, second_fd = np.zeros_like(first), np.zeros_like(second)
    for i in range(2):
        for j in range(2):
            step = 1e-6 * np.maximum(np.abs(c).max(axis=(1, 2)), 1.0)
            dc = np.zeros_like(c)
            dc[:, i, j] = step
            w_plus, d_plus, _ = law.evaluate(c + dc, fibre, 1)
            w_minus, d_minus, _ = law.evaluate(c - dc, fibre, 1)
            assert d_plus is not None and d_minus is not None
            first_fd[:, i, j] = (w_plus - w_minus) / (2 * step)
            second_fd[:, i, j] = (d_plus - d_minus) / (2 * step[:, None, None])
    scale1 = np.abs(first_fd).max(axis=(1, 2))[:, None, None]
    scale2 = np.abs(second_fd).max(axis=(1, 2, 3, 4))[:, None, None, None, None]
    e1 = np.abs(first - first_fd) / np.maximum(scale1, 1e-300)
    e2 = np.abs(second - second_fd) / np.maximum(scale2, 1e-300)
    return float(e1.max()), float(e2.max())


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", list(LAWS))
def test_law_derivatives_match_central_differences(name: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    law = LAWS[name]
    c = _random_c(rng, 12, 0.08)  # stretches and shortenings of up to ~20 %
    first_error, second_error = _law_fd_errors(law, c, _random_fibres(rng, 12))
    assert first_error < 1e-7
    assert second_error < 1e-6


def test_may_newman_derivatives_hold_beyond_the_exponential_cap() -> None:
    # Fibre stretch 1.7: Q = 1446.5 * 0.7^4 = 347 > Q_CAP, where exp is continued by a quadratic.
    c = np.array([np.diag([1.7**2, 1.0]), np.diag([1.7**2, 0.9])])
    fibre = np.array([[1.0, 0.0], [np.cos(0.1), np.sin(0.1)]])
    w, _, _ = ANTERIOR.evaluate(c, fibre, 0)
    assert np.all(np.isfinite(w)) and np.all(w > 1e30)
    first_error, second_error = _law_fd_errors(ANTERIOR, c, fibre)
    assert first_error < 1e-7 and second_error < 1e-6


def _sheet(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A small curved sheet of 6 triangles: rest positions, triangles, a random deformation."""
    rng = np.random.default_rng(seed)
    u, v = np.meshgrid(np.arange(3.0), np.arange(3.0))
    uv = np.stack([u.ravel(), v.ravel()], axis=1) + 0.2 * rng.normal(size=(9, 2))
    rest = np.column_stack([2.0 * uv, 0.3 * (uv[:, 0] - 1.0) ** 2])
    quads = [(0, 1, 4, 3), (1, 2, 5, 4), (3, 4, 7, 6), (4, 5, 8, 7)]
    tri = np.array([t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))])
    x = rest @ Rotation.random(random_state=seed).as_matrix().T
    x = 1.08 * x + 0.12 * rng.normal(size=x.shape)
    return rest, tri, x


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", list(LAWS))
def test_element_gradient_and_hessian_match_central_differences(name: str, seed: int) -> None:
    rest, tri, x = _sheet(seed)
    rng = np.random.default_rng(seed + 10)
    thickness = rng.uniform(0.4, 0.8, tri.shape[0])
    term = MembraneTriangles(tri, rest, LAWS[name], thickness, fibres=rng.normal(size=(8, 3)))
    grad_error, hess_error = check_term(term, x)
    assert grad_error < 1e-6
    assert hess_error < 1e-5
    h = term.hessian(x).toarray()
    assert np.abs(h - h.T).max() <= 1e-12 * np.abs(h).max()


def _square(side: float, rotation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two triangles on the square [0, side]^2 of the plane z = 0, turned by ``rotation``."""
    square = side * np.array([[0.0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]])
    return square @ rotation.T, np.array([[0, 1, 2], [0, 2, 3]])


def _homogeneous(rest: np.ndarray, rotation: np.ndarray, l1: float, l2: float) -> np.ndarray:
    """Stretch the (turned) square by ``l1`` along its x and ``l2`` along its y."""
    return rest @ rotation @ np.diag([l1, l2, 1.0]) @ rotation.T


def _may_newman_by_hand(law: MayNewmanYin, l1: float, l2: float) -> tuple[float, ...]:
    """``W``, Cauchy stresses ``sigma_11, sigma_22`` (fibres along 1) and ``lambda_3``, by hand.

    ``W(l1, l2) = c0 (exp(Q) - 1)`` with ``I1 = l1^2 + l2^2 + 1/(l1 l2)^2`` and ``sqrt(I4) = l1``;
    incompressible plane stress: ``sigma_i = l_i dW/dl_i``, ``lambda_3 = 1 / (l1 l2)``.
    """
    i1 = l1**2 + l2**2 + 1.0 / (l1 * l2) ** 2
    q = law.c1 * (i1 - 3.0) ** 2 + law.c2 * (l1 - 1.0) ** 4
    ee = law.c0 * np.exp(q)
    dw1 = ee * (2 * law.c1 * (i1 - 3) * (2 * l1 - 2 / (l1**3 * l2**2)) + 4 * law.c2 * (l1 - 1) ** 3)
    dw2 = ee * 2 * law.c1 * (i1 - 3) * (2 * l2 - 2 / (l1**2 * l2**3))
    return law.c0 * (np.exp(q) - 1.0), l1 * dw1, l2 * dw2, 1.0 / (l1 * l2)


def _svk_by_hand(law: SaintVenantKirchhoff, l1: float, l2: float) -> tuple[float, ...]:
    """The same for the plane-stress St. Venant-Kirchhoff law.

    ``S_i = Y / (1 - nu^2) (E_i + nu E_j)``, ``W = S : E / 2``, ``E33 = -nu/(1 - nu) (E1 + E2)``
    and ``sigma_1 = l1^2 S_1 / (l1 l2 l3)``.
    """
    y, nu = law.youngs_modulus, law.poisson_ratio
    e1, e2 = 0.5 * (l1**2 - 1), 0.5 * (l2**2 - 1)
    s1, s2 = y / (1 - nu**2) * (e1 + nu * e2), y / (1 - nu**2) * (e2 + nu * e1)
    l3 = np.sqrt(1 - 2 * nu / (1 - nu) * (e1 + e2))
    return 0.5 * (s1 * e1 + s2 * e2), l1 * s1 / (l2 * l3), l2 * s2 / (l1 * l3), l3


def _by_hand(law: MembraneLaw, l1: float, l2: float) -> tuple[float, ...]:
    if isinstance(law, MayNewmanYin):
        return _may_newman_by_hand(law, l1, l2)
    assert isinstance(law, SaintVenantKirchhoff)
    return _svk_by_hand(law, l1, l2)


STRETCHES = {"svk": [1.02, 1.1, 1.25], "anterior": [1.05, 1.1, 1.2], "posterior": [1.1, 1.2, 1.3]}


@pytest.mark.parametrize("mode", ["equibiaxial", "strip-biaxial"])
@pytest.mark.parametrize("name", list(STRETCHES))
def test_homogeneous_patch_matches_the_closed_form_response(name: str, mode: str) -> None:
    law, side, t = LAWS[name], 3.0, 0.69
    rotation = Rotation.from_euler("zyx", [0.4, -0.7, 1.1]).as_matrix()
    rest, tri = _square(side, rotation)
    term = MembraneTriangles(tri, rest, law, t, fibres=rotation[:, 0])
    for stretch in STRETCHES[name]:
        l1, l2 = stretch, (stretch if mode == "equibiaxial" else 1.0)
        x = _homogeneous(rest, rotation, l1, l2)
        w, s11, s22, l3 = _by_hand(law, l1, l2)
        assert s11 > 0.0 and s22 >= 0.0
        stresses = term.fibre_stresses(x)
        np.testing.assert_allclose(stresses[:, 0], s11, rtol=1e-10)
        np.testing.assert_allclose(stresses[:, 1], s22, rtol=1e-10, atol=1e-12 * s11)
        np.testing.assert_allclose(stresses[:, 2], 0.0, atol=1e-12 * s11)
        np.testing.assert_allclose(term.principal_stresses(x), [[s11, s22]] * 2, rtol=1e-10)
        assert term.value(x) == pytest.approx(side**2 * t * w, rel=1e-10)
        np.testing.assert_allclose(term.thicknesses(x), t * l3, rtol=1e-12)
        # The loads that hold the patch (the gradient) on the edge x = side carry the stress
        # over the current cross-section.
        loads = term.gradient(x).reshape(-1, 3) @ rotation  # in the square's own axes
        edge_force = s11 * (l2 * side) * (l3 * t)
        assert loads[[1, 2], 0].sum() == pytest.approx(edge_force, rel=1e-10)
        assert loads[[0, 3], 0].sum() == pytest.approx(-edge_force, rel=1e-10)
        np.testing.assert_allclose(loads.sum(axis=0), 0.0, atol=1e-12 * edge_force)


def test_the_stress_grows_exponentially_along_the_fibres() -> None:
    # The J-curve: each 5 % of equibiaxial stretch multiplies the fibre stress several times.
    stresses = [_may_newman_by_hand(ANTERIOR, s, s)[1] for s in (1.1, 1.15, 1.2)]
    assert stresses[1] > 3 * stresses[0] and stresses[2] > 3 * stresses[1]


@pytest.mark.parametrize("name", list(LAWS))
def test_rigid_motions_of_the_reference_cost_nothing(name: str) -> None:
    rest, tri, x = _sheet(3)
    term = MembraneTriangles(tri, rest, LAWS[name], 0.6, fibres=[0.3, 1.0, 0.2])
    # Scales: the energy and nodal forces of a 10 % equibiaxial stretch.
    energy_scale = term.value(1.1 * rest)
    force_scale = np.abs(term.gradient(1.1 * rest)).max()
    for seed in range(3):
        rotation = Rotation.random(random_state=seed).as_matrix()
        shift = np.random.default_rng(seed).normal(size=3) * 10.0
        moved = rest @ rotation.T + shift
        assert abs(term.value(moved)) < 1e-12 * energy_scale
        assert np.abs(term.gradient(moved)).max() < 1e-12 * force_scale
        # A deformed state: the energy is invariant, the forces turn with the body.
        assert term.value(x @ rotation.T + shift) == pytest.approx(term.value(x), rel=1e-10)
        g = term.gradient(x).reshape(-1, 3)
        np.testing.assert_allclose(
            term.gradient(x @ rotation.T + shift).reshape(-1, 3),
            g @ rotation.T,
            atol=1e-10 * np.abs(g).max(),
        )


def _irregular_mesh() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A Delaunay mesh of a jittered 6x6 grid on a 10 mm square, tilted in 3D; interior mask."""
    rng = np.random.default_rng(7)
    u, v = np.meshgrid(np.linspace(0, 10, 6), np.linspace(0, 10, 6))
    uv = np.stack([u.ravel(), v.ravel()], axis=1)
    interior = np.asarray((uv > 0).all(axis=1) & (uv < 10).all(axis=1))
    uv[interior] += rng.uniform(-0.7, 0.7, size=(int(interior.sum()), 2))
    tri = Delaunay(uv).simplices
    rotation = Rotation.from_euler("xyz", [0.5, 0.3, -0.8]).as_matrix()
    return np.column_stack([uv, np.zeros(len(uv))]) @ rotation.T, tri, interior


@pytest.mark.parametrize("name", list(LAWS))
def test_patch_test_homogeneous_deformation_of_an_irregular_mesh(name: str) -> None:
    rest, tri, interior = _irregular_mesh()
    term = MembraneTriangles(tri, rest, LAWS[name], 0.5, fibres=[1.0, 0.4, 0.0])
    sizes = np.ptp(term.reference_areas) / term.reference_areas.mean()
    assert sizes > 0.5  # the mesh really is irregular
    deformation = np.array([[1.12, 0.05, 0.02], [-0.03, 1.06, 0.04], [0.1, -0.05, 0.95]])
    x = rest @ deformation.T + np.array([1.0, -2.0, 0.5])
    sigma = term.cauchy_stresses(x)
    scale = np.abs(sigma).max()
    assert scale > 1e-4  # a real stress state, MPa
    np.testing.assert_allclose(sigma, np.broadcast_to(sigma[0], sigma.shape), atol=1e-10 * scale)
    strains = term.green_strains(x)
    np.testing.assert_allclose(strains, np.broadcast_to(strains[0], strains.shape), atol=1e-12)
    # Constant stress is in equilibrium: only boundary nodes carry force.
    forces = term.gradient(x).reshape(-1, 3)
    assert np.abs(forces[interior]).max() < 1e-10 * np.abs(forces).max()


def test_the_fibre_direction_is_stiffer() -> None:
    rotation = np.eye(3)
    rest, tri = _square(2.0, rotation)
    along = MembraneTriangles(tri, rest, ANTERIOR, 0.69, fibres=[1.0, 0.0, 0.0])
    across = MembraneTriangles(tri, rest, ANTERIOR, 0.69, fibres=[0.0, 1.0, 0.0])
    x = _homogeneous(rest, rotation, 1.15, 1.0)  # strip-biaxial along x
    assert along.value(x) > 5.0 * across.value(x)
    assert along.fibre_stresses(x)[0, 0] > 5.0 * across.fibre_stresses(x)[0, 1]
    # Equibiaxially, the fibre stress exceeds the cross-fibre stress.
    sff, scc, _ = along.fibre_stresses(_homogeneous(rest, rotation, 1.15, 1.15))[0]
    assert sff > 3.0 * scc > 0.0
    # The fibre strain follows the fibre; a fibre leaving the plane is projected onto it.
    np.testing.assert_allclose(along.green_strains(x)[0], [0.5 * (1.15**2 - 1), 0.0, 0.0])
    np.testing.assert_allclose(across.green_strains(x)[0], [0.0, 0.5 * (1.15**2 - 1), 0.0])
    tilted = MembraneTriangles(tri, rest, ANTERIOR, 0.69, fibres=[2.0, 0.0, 5.0])
    np.testing.assert_allclose(tilted.reference_fibres, [[1.0, 0.0, 0.0]] * 2, atol=1e-15)
    assert tilted.value(x) == pytest.approx(along.value(x), rel=1e-14)


def _cst_stiffness(p: np.ndarray, young: float, nu: float, t: float) -> np.ndarray:
    """The textbook linear constant-strain triangle stiffness (6x6, DOFs u0, v0, u1, ...)."""
    (x0, y0), (x1, y1), (x2, y2) = p
    area = 0.5 * ((x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0))
    b = np.array([y1 - y2, y2 - y0, y0 - y1]) / (2 * area)
    c = np.array([x2 - x1, x0 - x2, x1 - x0]) / (2 * area)
    bmat = np.zeros((3, 6))
    bmat[0, 0::2], bmat[1, 1::2] = b, c
    bmat[2, 0::2], bmat[2, 1::2] = c, b
    d = young / (1 - nu**2) * np.array([[1, nu, 0], [nu, 1, 0], [0, 0, (1 - nu) / 2]])
    return t * area * bmat.T @ d @ bmat


def test_svk_reduces_to_linear_plane_stress_at_small_strain() -> None:
    y, nu, t = SVK.youngs_modulus, SVK.poisson_ratio, 0.8
    p = np.array([[0.3, -0.2], [2.1, 0.4], [0.7, 1.9]])
    rest = np.column_stack([p, np.zeros(3)])
    term = MembraneTriangles([[0, 1, 2]], rest, SVK, t)
    in_plane = np.array([0, 1, 3, 4, 6, 7])
    h0 = term.hessian(rest).toarray()
    np.testing.assert_allclose(h0[np.ix_(in_plane, in_plane)], _cst_stiffness(p, y, nu, t))
    out_of_plane = np.delete(h0, in_plane, axis=0)  # rounding only: C = I to machine precision
    assert np.abs(out_of_plane).max() < 1e-14 * np.abs(h0).max()
    # Small homogeneous strains: Cauchy stress = Hooke's plane-stress law to O(strain).
    eps = 1e-6
    for strain in ([1.0, 0.0, 0.0], [0.0, 1.0, 0.5], [1.0, -nu, 0.0]):
        e = eps * np.array([[strain[0], strain[2]], [strain[2], strain[1]]])
        x = rest.copy()
        x[:, :2] += p @ e.T
        hooke = y / (1 - nu**2) * ((1 - nu) * e + nu * np.trace(e) * np.eye(2))
        sigma = term.cauchy_stresses(x)[0]
        np.testing.assert_allclose(sigma[:2, :2], hooke, atol=1e-5 * y * eps)
    assert abs(sigma[1, 1]) < 1e-5 * y * eps  # uniaxial stress: free lateral contraction nu
    assert sigma[0, 0] == pytest.approx(y * eps, rel=1e-5)


def test_may_newman_is_stress_free_and_without_stiffness_at_rest() -> None:
    rest, tri, _ = _sheet(0)
    term = MembraneTriangles(tri, rest, ANTERIOR, 0.69, fibres=[1.0, 0.0, 0.0])
    stretched = 1.1 * rest
    # Zero up to the rounding of C = I (W is of fourth order in the strain).
    h_rest, h_stretched = term.hessian(rest).data, term.hessian(stretched).data
    assert np.abs(h_rest).max() < 1e-20 * np.abs(h_stretched).max()
    sigma = term.cauchy_stresses(rest)
    assert np.abs(sigma).max() < 1e-20 * np.abs(term.cauchy_stresses(stretched)).max()
    # The optional neo-Hookean matrix gives the incompressible small-strain response:
    # plane stress with nu = 1/2 and Young's modulus 3 mu.
    mu, t = 0.02, 0.5
    law = MayNewmanYin(ANTERIOR.c0, ANTERIOR.c1, ANTERIOR.c2, shear_modulus=mu)
    p = np.array([[0.0, 0.0], [1.5, 0.2], [0.4, 1.1]])
    single = MembraneTriangles([[0, 1, 2]], np.column_stack([p, np.zeros(3)]), law, t, [1, 0, 0])
    h0 = single.hessian(np.column_stack([p, np.zeros(3)])).toarray()
    in_plane = np.array([0, 1, 3, 4, 6, 7])
    expected = _cst_stiffness(p, 3.0 * mu, 0.5, t)
    np.testing.assert_allclose(h0[np.ix_(in_plane, in_plane)], expected, atol=1e-14)


def test_projection_clamps_only_indefinite_blocks() -> None:
    rest, tri, _ = _sheet(1)
    term = MembraneTriangles(tri, rest, SVK, 0.5)
    stretched = 1.1 * rest  # tension everywhere: the exact blocks are PSD and kept as they are
    exact = term.element_hessians(stretched)[0]
    np.testing.assert_array_equal(term.element_hessians(stretched, project=True)[0], exact)
    compressed = 0.9 * rest  # compression: indefinite (buckling) directions
    exact = term.hessian(compressed).toarray()
    assert np.linalg.eigvalsh(exact).min() < -1e-3 * np.abs(exact).max()
    projected = term.hessian(compressed, project=True).toarray()
    scale = np.abs(projected).max()
    assert np.abs(projected - projected.T).max() <= 1e-12 * scale
    assert np.linalg.eigvalsh(projected).min() >= -1e-10 * scale
    for block in term.element_hessians(compressed, project=True)[0]:
        assert np.linalg.eigvalsh(block).min() >= -1e-10 * scale


def test_published_parameters_and_thicknesses() -> None:
    assert (ANTERIOR.c0, ANTERIOR.c1, ANTERIOR.c2) == (0.399e-3, 4.325, 1446.5)
    assert (POSTERIOR.c0, POSTERIOR.c1, POSTERIOR.c2) == (0.414e-3, 4.848, 305.4)
    assert LEAFLET_THICKNESS == {"anterior": 0.69, "posterior": 0.51}
    assert ANTERIOR.anisotropic and not SVK.anisotropic


def test_bad_input_is_rejected() -> None:
    rest = np.array([[0.0, 0, 0], [1.0, 0, 0], [0.0, 1, 0], [2.0, 0, 0]])
    with pytest.raises(ValueError, match="degenerate"):
        MembraneTriangles([[0, 1, 3]], rest, SVK, 1.0)
    with pytest.raises(ValueError, match="thickness"):
        MembraneTriangles([[0, 1, 2]], rest, SVK, 0.0)
    with pytest.raises(ValueError, match="fibre"):
        MembraneTriangles([[0, 1, 2]], rest, ANTERIOR, 1.0)
    with pytest.raises(ValueError, match="normal"):
        MembraneTriangles([[0, 1, 2]], rest, ANTERIOR, 1.0, fibres=[0.0, 0.0, 1.0])
    with pytest.raises(ValueError):
        MayNewmanYin(c0=-1.0, c1=1.0, c2=1.0)
    with pytest.raises(ValueError):
        SaintVenantKirchhoff(youngs_modulus=1.0, poisson_ratio=0.7)
