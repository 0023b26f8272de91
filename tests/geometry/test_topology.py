"""Loops from edges, boundary edges of triangle sets, vector area."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mvplan.errors import GeometryError, InputError
from mvplan.geometry.topology import boundary_edges, loops_from_edges, vector_area


def cycle_edges(vertices: list[int]) -> np.ndarray:
    """Edges (v_i, v_(i+1)) of the closed cycle through ``vertices`` in order."""
    v = np.asarray(vertices)
    return np.column_stack([v, np.roll(v, -1)])


def is_cyclic_walk(loop: np.ndarray, edges: np.ndarray) -> bool:
    """Whether consecutive loop vertices (closing pair included) are exactly the edge set."""
    walk = {frozenset(p) for p in cycle_edges(list(loop)).tolist()}
    given_set = {frozenset(p) for p in np.asarray(edges).tolist() if p[0] != p[1]}
    return walk == given_set and len(walk) == len(loop)


# --- loops_from_edges --------------------------------------------------------------------------


def test_single_loop_shuffled_and_flipped_is_recovered() -> None:
    rng = np.random.default_rng(1)
    order = rng.permutation(30)  # the loop visits the vertices in this order
    edges = cycle_edges(order.tolist())
    edges = edges[rng.permutation(len(edges))]
    flip = rng.random(len(edges)) < 0.5
    edges[flip] = edges[flip][:, ::-1]

    loops = loops_from_edges(edges)

    assert len(loops) == 1
    assert len(loops[0]) == 30
    assert sorted(loops[0].tolist()) == list(range(30))
    assert is_cyclic_walk(loops[0], edges)


def test_consistently_oriented_edges_keep_their_direction() -> None:
    edges = cycle_edges(list(range(12)))[[5, 2, 9, 0, 11, 7, 1, 3, 10, 4, 8, 6]]
    (loop,) = loops_from_edges(edges)
    # Starts at the first edge's tail and walks along it: 5 -> 6 -> ... -> 4.
    assert loop[0] == 5
    assert np.array_equal(np.diff(np.append(loop, loop[0])) % 12, np.ones(12))


def test_two_loops_are_separated_in_order_of_first_edge() -> None:
    small = cycle_edges([100, 101, 102, 103])
    big = cycle_edges(list(range(10)))
    loops = loops_from_edges(np.vstack([small[:1], big, small[1:]]))
    assert [len(lp) for lp in loops] == [4, 10]
    assert set(loops[0].tolist()) == {100, 101, 102, 103}
    assert is_cyclic_walk(loops[1], big)


def test_self_edges_and_duplicates_are_ignored() -> None:
    edges = cycle_edges([0, 1, 2, 3, 4])
    noisy = np.vstack([edges, [[2, 2], [7, 7]], edges[:2], edges[3:4, ::-1]])
    (loop,) = loops_from_edges(noisy)
    assert len(loop) == 5
    assert is_cyclic_walk(loop, edges)


def test_branch_is_a_geometry_error_naming_the_vertex() -> None:
    edges = np.vstack([cycle_edges([0, 1, 2, 3]), [[2, 9], [9, 10], [10, 2]]])
    with pytest.raises(GeometryError, match=r"vertex 2 .* branches"):
        loops_from_edges(edges)


def test_open_end_is_a_geometry_error() -> None:
    with pytest.raises(GeometryError, match=r"vertex 0 .*open end"):
        loops_from_edges([[0, 1], [1, 2], [2, 3]])


def test_geometry_error_is_an_input_error() -> None:
    with pytest.raises(InputError):
        loops_from_edges([[0, 1]])


def test_no_edges_gives_no_loops() -> None:
    assert loops_from_edges(np.empty((0, 2), dtype=int)) == []
    assert loops_from_edges([[3, 3]]) == []


def test_bad_shape_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="shape"):
        loops_from_edges(np.zeros((4, 3), dtype=int))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=3, max_value=60),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    n_loops=st.integers(min_value=1, max_value=3),
)
def test_any_shuffle_of_disjoint_cycles_gives_back_the_cycles(
    n: int, seed: int, n_loops: int
) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.permutation(n * n_loops)
    cycles = [labels[k * n : (k + 1) * n].tolist() for k in range(n_loops)]
    edges = np.vstack([cycle_edges(c) for c in cycles])
    edges = edges[rng.permutation(len(edges))]
    flip = rng.random(len(edges)) < 0.5
    edges[flip] = edges[flip][:, ::-1]

    loops = loops_from_edges(edges)

    assert sorted(sorted(lp.tolist()) for lp in loops) == sorted(sorted(c) for c in cycles)
    for lp, c in ((lp, next(c for c in cycles if lp[0] in c)) for lp in loops):
        assert is_cyclic_walk(lp, cycle_edges(c))


# --- boundary_edges ----------------------------------------------------------------------------


def test_boundary_of_one_triangle_is_its_three_edges_in_order() -> None:
    assert boundary_edges([[4, 7, 9]]).tolist() == [[4, 7], [7, 9], [9, 4]]


def test_shared_edge_is_not_boundary_and_orientation_follows_faces() -> None:
    # Square 0-1-2-3 split along the diagonal 0-2 (used by both triangles).
    edges = boundary_edges([[0, 1, 2], [0, 2, 3]])
    assert sorted(edges.tolist()) == [[0, 1], [1, 2], [2, 3], [3, 0]]


def test_closed_tetrahedron_has_no_boundary() -> None:
    tet = [[0, 2, 1], [0, 1, 3], [1, 2, 3], [0, 3, 2]]
    assert boundary_edges(tet).shape == (0, 2)


def test_boundary_of_a_strip_gives_two_loops() -> None:
    n = 10
    i = np.arange(n)
    j = (i + 1) % n
    faces = np.vstack([np.column_stack([i, j, n + j]), np.column_stack([i, n + j, n + i])])
    loops = loops_from_edges(boundary_edges(faces))
    assert sorted(sorted(lp.tolist()) for lp in loops) == [list(range(n)), list(range(n, 2 * n))]
    outer = next(lp for lp in loops if lp[0] < n)
    # The outer ring keeps the faces' orientation: 0 -> 1 -> 2 ...
    assert np.array_equal(np.diff(np.append(outer, outer[0])) % n, np.ones(n))


def test_degenerate_face_edges_are_dropped() -> None:
    edges = boundary_edges([[0, 1, 2], [2, 2, 5]])
    assert [2, 2] not in edges.tolist()


# --- vector_area -------------------------------------------------------------------------------


def test_unit_square_has_unit_area_along_z() -> None:
    square = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=float)
    assert np.allclose(vector_area(square), [0, 0, 1])
    assert np.allclose(vector_area(square[::-1]), [0, 0, -1])


def test_vector_area_is_translation_invariant_far_from_origin() -> None:
    t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    circle = np.column_stack([20 * np.cos(t), 20 * np.sin(t), np.zeros_like(t)])
    near = vector_area(circle)
    far = vector_area(circle + np.array([320.0, 430.0, 195.0]))
    assert np.allclose(near, far, rtol=0, atol=1e-9)
    assert np.linalg.norm(near) == pytest.approx(np.pi * 400, rel=1e-3)


def test_norm_is_the_largest_projected_area_of_a_tilted_loop() -> None:
    t = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    flat = np.column_stack([10 * np.cos(t), 5 * np.sin(t), np.zeros_like(t)])
    angle = np.deg2rad(35)
    rot = np.array(
        [[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]]
    )
    tilted = flat @ rot.T
    va = vector_area(tilted)
    assert np.linalg.norm(va) == pytest.approx(np.pi * 50, rel=1e-3)
    assert np.allclose(va / np.linalg.norm(va), rot @ [0, 0, 1])


def test_fewer_than_three_points_have_zero_area() -> None:
    assert np.array_equal(vector_area(np.ones((2, 3))), np.zeros(3))
