"""Surface meshes: the annulus is the boundary loop of largest area; refusals when unclear."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import trimesh

from mvplan.errors import GeometryError, InputError
from mvplan.geometry.topology import vector_area
from mvplan.io.meshes import annulus_loop_from_faces, read_curve_mesh

Strip = Callable[..., tuple[np.ndarray, np.ndarray]]


def export(tmp_path: Path, name: str, vertices: np.ndarray, faces: np.ndarray) -> Path:
    path = tmp_path / name
    trimesh.Trimesh(vertices=vertices, faces=faces, process=False).export(path)
    return path


def radii(points: np.ndarray) -> np.ndarray:
    return np.linalg.norm(points[:, :2], axis=1)


@pytest.mark.parametrize("suffix", [".stl", ".ply", ".obj"])
def test_leaflet_like_strip_gives_the_outer_loop(
    tmp_path: Path, ring_strip: Strip, suffix: str
) -> None:
    # Outer rim (annulus, r = 20) and inner free edge (r = 12, lower): the outer one is taken.
    vertices, faces = ring_strip(48, 20.0, 12.0, inner_z=-6.0)
    curve = read_curve_mesh(export(tmp_path, "leaflet" + suffix, vertices, faces))
    assert curve.ordered is True
    assert curve.units is None
    assert curve.source == "leaflet" + suffix
    assert curve.points.shape == (48, 3)
    assert np.allclose(radii(curve.points), 20.0, atol=1e-5)
    assert np.allclose(curve.points[:, 2], 0.0, atol=1e-6)
    # In loop order: every step is the chord of a 48-gon.
    step = np.linalg.norm(np.diff(np.vstack([curve.points, curve.points[:1]]), axis=0), axis=1)
    assert np.allclose(step, 2 * 20.0 * np.sin(np.pi / 48), atol=1e-4)


def test_loop_follows_face_orientation(ring_strip: Strip) -> None:
    vertices, faces = ring_strip(16, 20.0, 10.0)
    up = annulus_loop_from_faces(vertices, faces, "up")
    down = annulus_loop_from_faces(vertices, faces[:, ::-1], "down")
    assert vector_area(up.points)[2] > 0  # faces are counter-clockwise seen from +z
    assert vector_area(down.points)[2] < 0


def test_scene_of_two_halves_is_concatenated_and_merged(tmp_path: Path, ring_strip: Strip) -> None:
    vertices, faces = ring_strip(32, 20.0, 12.0)
    half = len(faces) // 2
    first = trimesh.Trimesh(vertices, faces[:half], process=False)
    second = trimesh.Trimesh(vertices, faces[half:], process=False)
    first.remove_unreferenced_vertices()
    second.remove_unreferenced_vertices()
    path = tmp_path / "halves.obj"
    trimesh.Scene([first, second]).export(path)
    curve = read_curve_mesh(path)
    assert curve.points.shape == (32, 3)
    assert np.allclose(radii(curve.points), 20.0, atol=1e-5)


def test_clearly_smaller_inner_loop_is_not_ambiguous(ring_strip: Strip) -> None:
    # Inner area is 0.81 of the outer: more than 10 % apart.
    vertices, faces = ring_strip(24, 20.0, 18.0)
    assert np.allclose(radii(annulus_loop_from_faces(vertices, faces, "s").points), 20.0)


@pytest.mark.parametrize("inner", [20.0, 19.5])
def test_loops_of_near_equal_area_are_ambiguous(ring_strip: Strip, inner: float) -> None:
    # inner = 20: an open tube (two equal rims); 19.5: areas 5 % apart.
    vertices, faces = ring_strip(24, 20.0, inner, inner_z=-10.0)
    with pytest.raises(InputError, match="the annulus is ambiguous") as info:
        annulus_loop_from_faces(vertices, faces, "tube.stl")
    area = 24 / 2 * 20.0**2 * np.sin(2 * np.pi / 24)  # of the outer 24-gon
    assert f"{area:.4g}" in str(info.value)
    assert info.value.source == "tube.stl"


def test_open_tube_file_is_ambiguous(tmp_path: Path) -> None:
    tube = trimesh.creation.cylinder(radius=12.0, height=8.0, sections=32)
    # Drop the caps: keep faces whose normal is horizontal.
    keep = np.abs(tube.face_normals[:, 2]) < 0.5
    path = export(tmp_path, "tube.ply", tube.vertices, tube.faces[keep])
    with pytest.raises(InputError, match="ambiguous"):
        read_curve_mesh(path)


def test_closed_sphere_has_no_annulus(tmp_path: Path) -> None:
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=15.0)
    path = export(tmp_path, "sphere.stl", sphere.vertices, sphere.faces)
    with pytest.raises(InputError, match="closed") as info:
        read_curve_mesh(path)
    assert info.value.source == "sphere.stl"


def test_loop_of_fewer_than_8_points_is_refused(tmp_path: Path) -> None:
    # A hexagon fan: one boundary loop of 6 points.
    t = np.linspace(0, 2 * np.pi, 6, endpoint=False)
    vertices = np.vstack([[0, 0, 0], np.column_stack([np.cos(t), np.sin(t), np.zeros(6)])])
    faces = np.array([[0, 1 + i, 1 + (i + 1) % 6] for i in range(6)])
    with pytest.raises(InputError, match="only 6 points"):
        read_curve_mesh(export(tmp_path, "hex.ply", vertices, faces))


def test_rim_where_two_loops_touch_is_a_geometry_error() -> None:
    vertices = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0]], dtype=float)
    faces = np.array([[0, 1, 2], [0, 3, 4]])  # two triangles sharing only vertex 0
    with pytest.raises(GeometryError, match="surface boundary: vertex 0"):
        annulus_loop_from_faces(vertices, faces, "bowtie.stl")


def test_unmerged_triangles_would_be_many_loops(ring_strip: Strip) -> None:
    # Why the reader merges vertices: with every triangle separate, each is its own loop.
    vertices, faces = ring_strip(12, 20.0, 10.0)
    soup = vertices[faces].reshape(-1, 3)
    soup_faces = np.arange(len(soup)).reshape(-1, 3)
    with pytest.raises(InputError):
        annulus_loop_from_faces(soup, soup_faces, "soup")


def test_stl_triangle_soup_is_merged_on_read(tmp_path: Path, ring_strip: Strip) -> None:
    vertices, faces = ring_strip(12, 20.0, 10.0)
    path = export(tmp_path, "soup.stl", vertices, faces)  # STL stores every corner again
    assert len(read_curve_mesh(path).points) == 12


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("garbage.stl", b"hello world, not a mesh\n" * 4, "no triangles found"),
        ("garbage.obj", b"this is not obj\n", "no triangles found"),
        ("header_only.ply", b"ply\nformat ascii 1.0\nelement vertex 3\n", "cannot read the mesh"),
        ("empty.stl", b"", "empty"),
    ],
)
def test_unreadable_meshes_are_input_errors(
    tmp_path: Path, name: str, content: bytes, pattern: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=pattern) as info:
        read_curve_mesh(path)
    assert info.value.source == name
    assert "\n" not in str(info.value)


def test_nan_vertex_is_named_by_index(tmp_path: Path) -> None:
    path = tmp_path / "nan.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv nan 1 0\nf 1 2 3\n")
    with pytest.raises(InputError, match="vertex 2 has a non-finite coordinate"):
        read_curve_mesh(path)


def test_no_faces_at_all_is_refused() -> None:
    with pytest.raises(InputError, match="no faces"):
        annulus_loop_from_faces(np.zeros((3, 3)), np.empty((0, 3), dtype=int), "x.stl")
