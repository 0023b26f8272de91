"""VTK polydata: the Kaiser annuli, loops from shuffled cells, surfaces, clouds, bad files."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from mvplan.errors import GeometryError, InputError
from mvplan.io.vtk_polydata import read_curve_vtk

KAISER = Path(__file__).parents[2] / "assets" / "third_party" / "kaiser_heart_valves"
Writer = Callable[..., Path]


def kaiser_file(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Points (as VTK reads 'float': single precision) and LINES of a Kaiser file, parsed here."""
    lines = (KAISER / name).read_text().splitlines()
    n = int(lines[4].split()[1])
    points = np.array([row.split() for row in lines[5 : 5 + n]], dtype=np.float32)
    n_cells = int(lines[5 + n].split()[1])
    cells = np.array([row.split() for row in lines[6 + n : 6 + n + n_cells]], dtype=int)
    assert (cells[:, 0] == 2).all()
    return points.astype(np.float64), cells[:, 1:]


def loop_indices(curve_points: np.ndarray, file_points: np.ndarray) -> np.ndarray:
    """Index in the file of each curve point (the files have no exactly repeated point)."""
    lookup = {tuple(p): i for i, p in enumerate(file_points)}
    assert len(lookup) == len(file_points)
    return np.array([lookup[tuple(p)] for p in curve_points])


def steps(points: np.ndarray) -> np.ndarray:
    return np.linalg.norm(np.diff(np.vstack([points, points[:1]]), axis=0), axis=1)


# --- real files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "n"),
    [
        ("normal_1_annulus.vtk", 450),
        ("hcm_d_annulus.vtk", 537),
        ("hcm_d_annulus_early_systole.vtk", 537),
    ],
)
def test_kaiser_annulus_is_one_loop_along_the_lines_cells(name: str, n: int) -> None:
    curve = read_curve_vtk(KAISER / name)
    file_points, cells = kaiser_file(name)
    assert curve.points.shape == (n, 3)
    assert curve.ordered is True
    assert curve.units is None
    assert curve.source == name
    # Every file point once, and consecutive loop points are exactly the file's LINES cells.
    idx = loop_indices(curve.points, file_points)
    assert sorted(idx.tolist()) == list(range(n))
    walk = {frozenset(e) for e in zip(idx, np.roll(idx, -1), strict=True)}
    assert walk == {frozenset(c) for c in cells.tolist()}
    assert steps(curve.points).max() < 2.0  # mm: a traced contour, no jumps across the valve


def test_normal_1_is_a_flat_contour_of_about_120_mm() -> None:
    points = read_curve_vtk(KAISER / "normal_1_annulus.vtk").points
    centred = points - points.mean(axis=0)
    singular = np.linalg.svd(centred, compute_uv=False)
    assert singular[2] < 0.05  # planar, as the README says
    assert steps(points).sum() == pytest.approx(120.5, abs=0.5)


def test_hcm_d_phases_share_the_point_order() -> None:
    first = read_curve_vtk(KAISER / "hcm_d_annulus.vtk").points
    second = read_curve_vtk(KAISER / "hcm_d_annulus_early_systole.vtk").points
    idx1 = loop_indices(first, kaiser_file("hcm_d_annulus.vtk")[0])
    idx2 = loop_indices(second, kaiser_file("hcm_d_annulus_early_systole.vtk")[0])
    assert np.array_equal(idx1, idx2)


def test_importing_mvplan_io_loads_no_vtk_nor_trimesh() -> None:
    code = (
        "import sys, mvplan.io\n"
        "heavy = sorted(m for m in sys.modules\n"
        "               if m.split('.')[0] in {'vtk', 'vtkmodules', 'trimesh'})\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == ""


# --- synthetic line files ----------------------------------------------------------------------


def circle(n: int, radius: float = 15.0) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.column_stack([radius * np.cos(t), radius * np.sin(t), 0.1 * np.sin(2 * t)])


def test_shuffled_two_point_lines_give_the_ordered_loop(write_vtk: Writer) -> None:
    rng = np.random.default_rng(7)
    n = 40
    curve_pts = circle(n)
    store = rng.permutation(n)  # file point i is curve point store[i]
    where = np.argsort(store)  # curve point k is file point where[k]
    cells = [[where[k], where[(k + 1) % n]] for k in rng.permutation(n)]
    cells = [c[::-1] if rng.random() < 0.5 else c for c in cells]

    curve = read_curve_vtk(write_vtk("shuffled.vtk", curve_pts[store], lines=cells))

    chord = 2 * 15.0 * np.sin(np.pi / n)
    assert curve.points.shape == (n, 3)
    assert np.allclose(steps(curve.points), chord, atol=0.01)


def test_polyline_split_into_several_cells(write_vtk: Writer) -> None:
    n = 30
    cells = [list(range(0, 11)), list(range(10, 21)), [*range(20, 30), 0]]
    curve = read_curve_vtk(write_vtk("split.vtk", circle(n), lines=cells))
    assert curve.points.shape == (n, 3)
    assert np.array_equal(curve.points, circle(n))  # walked from point 0 along cell order


def test_single_closed_polyline(write_vtk: Writer) -> None:
    curve = read_curve_vtk(write_vtk("closed.vtk", circle(24), lines=[[*range(24), 0]]))
    assert np.array_equal(curve.points, circle(24))


def test_of_several_loops_the_largest_is_taken(write_vtk: Writer) -> None:
    small = circle(10, radius=3.0) + np.array([40.0, 0.0, 0.0])
    big = circle(20, radius=15.0)
    points = np.vstack([small, big])
    cells = [[i, (i + 1) % 10] for i in range(10)] + [
        [10 + i, 10 + (i + 1) % 20] for i in range(20)
    ]
    curve = read_curve_vtk(write_vtk("two.vtk", points, lines=cells))
    assert np.array_equal(curve.points, big)


def test_open_polyline_is_a_geometry_error(write_vtk: Writer) -> None:
    with pytest.raises(GeometryError, match="open end") as info:
        read_curve_vtk(write_vtk("open.vtk", circle(12), lines=[list(range(12))]))
    assert info.value.source == "open.vtk"


def test_branching_lines_are_a_geometry_error(write_vtk: Writer) -> None:
    points = np.vstack([circle(12), [[0.0, 0.0, 0.0]]])
    cells = [[*range(12), 0], [0, 12], [12, 6]]
    with pytest.raises(GeometryError, match="branches"):
        read_curve_vtk(write_vtk("branch.vtk", points, lines=cells))


def test_line_cell_to_a_missing_point_is_an_input_error(write_vtk: Writer) -> None:
    with pytest.raises(InputError, match="refers to point 7"):
        read_curve_vtk(write_vtk("oor.vtk", circle(3), lines=[[0, 1], [1, 2], [2, 7]]))


# --- surfaces and clouds -----------------------------------------------------------------------


def test_polygon_surface_uses_the_mesh_rim(write_vtk: Writer, ring_strip: Callable) -> None:
    vertices, faces = ring_strip(24, 20.0, 12.0, inner_z=-5.0)
    curve = read_curve_vtk(write_vtk("strip.vtk", vertices, polys=faces.tolist()))
    assert curve.ordered is True
    assert curve.points.shape == (24, 3)
    assert np.allclose(np.linalg.norm(curve.points[:, :2], axis=1), 20.0)


def test_quad_polygons_are_handled(write_vtk: Writer, ring: Callable) -> None:
    n = 16
    vertices = np.vstack([ring(n, 20.0), ring(n, 10.0)])
    i = np.arange(n)
    quads = np.column_stack([i, (i + 1) % n, n + (i + 1) % n, n + i])
    curve = read_curve_vtk(write_vtk("quads.vtk", vertices, polys=quads.tolist()))
    assert np.allclose(np.linalg.norm(curve.points[:, :2], axis=1), 20.0)
    assert len(curve.points) == n


def test_vertices_only_are_an_unordered_cloud(write_vtk: Writer) -> None:
    pts = circle(9)
    curve = read_curve_vtk(write_vtk("cloud.vtk", pts, verts=[[i] for i in range(9)]))
    assert curve.ordered is False
    assert np.array_equal(curve.points, pts)


def test_points_without_cells_are_an_unordered_cloud(write_vtk: Writer) -> None:
    curve = read_curve_vtk(write_vtk("bare.vtk", circle(5)))
    assert curve.ordered is False
    assert len(curve.points) == 5


def test_xml_vtp_with_lines(tmp_path: Path) -> None:
    from vtkmodules.util.numpy_support import numpy_to_vtk
    from vtkmodules.vtkCommonCore import vtkPoints
    from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
    from vtkmodules.vtkIOXML import vtkXMLPolyDataWriter

    n = 18
    pts = circle(n)
    vpoints = vtkPoints()
    vpoints.SetData(numpy_to_vtk(pts, deep=True))
    lines = vtkCellArray()
    for k in [5, 2, 11, 0, 17, 8, 3, 14, 1, 9, 16, 4, 12, 6, 10, 15, 7, 13]:
        lines.InsertNextCell(2, [(k + 1) % n, k])
    poly = vtkPolyData()
    poly.SetPoints(vpoints)
    poly.SetLines(lines)
    writer = vtkXMLPolyDataWriter()
    writer.SetFileName(str(tmp_path / "c.vtp"))
    writer.SetInputData(poly)
    assert writer.Write() == 1

    curve = read_curve_vtk(tmp_path / "c.vtp")
    assert curve.ordered is True
    assert curve.points.shape == (n, 3)
    assert np.allclose(np.sort(steps(curve.points)), np.sort(steps(pts)))


# --- bad files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "pattern"),
    [
        ("\n", "VTK cannot read the file: Error reading ascii data"),
        # Without the final newline VTK itself reads zeros for the missing points, silently.
        ("", r"the POINTS section is cut short: 1350 values declared, 885 found"),
    ],
)
def test_truncated_real_file_is_an_input_error(
    tmp_path: Path, capfd: pytest.CaptureFixture, end: str, pattern: str
) -> None:
    path = tmp_path / "cut.vtk"
    lines = (KAISER / "normal_1_annulus.vtk").read_text().splitlines()[:300]
    path.write_text("\n".join(lines) + end)
    with pytest.raises(InputError, match=pattern) as info:
        read_curve_vtk(path)
    assert "\n" not in str(info.value)
    assert str(tmp_path) not in str(info.value)  # base names only
    assert "ERR" not in capfd.readouterr().err  # VTK's own report is kept off the terminal


def test_cells_cut_short_are_an_input_error(tmp_path: Path) -> None:
    lines = (KAISER / "normal_1_annulus.vtk").read_text().splitlines()
    path = tmp_path / "cut_cells.vtk"
    path.write_text("\n".join(lines[:460]))
    with pytest.raises(InputError, match="VTK cannot read the file: Error reading ascii cell data"):
        read_curve_vtk(path)


@pytest.mark.parametrize(
    ("name", "text", "pattern"),
    [
        ("garbage.vtk", "this is not a VTK file\n", "not a legacy VTK POLYDATA file"),
        (
            "grid.vtk",
            "# vtk DataFile Version 3.0\nx\nASCII\nDATASET STRUCTURED_POINTS\n"
            "DIMENSIONS 2 2 2\nSPACING 1 1 1\nORIGIN 0 0 0\n",
            "not a legacy VTK POLYDATA file",
        ),
        ("garbage.vtp", '<?xml version="1.0"?>\n<VTKFile type="PolyData">\n<broken', "VTK"),
        ("text.vtp", "1 2 3\n", "VTK cannot read the file"),
        (
            "nopoints.vtk",
            "# vtk DataFile Version 3.0\nx\nASCII\nDATASET POLYDATA\nPOINTS 0 float\n",
            "no points",
        ),
    ],
)
def test_unreadable_files_are_input_errors(
    tmp_path: Path, capfd: pytest.CaptureFixture, name: str, text: str, pattern: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError, match=pattern) as info:
        read_curve_vtk(path)
    assert info.value.source == name
    assert "\n" not in str(info.value)
    assert "ERR" not in capfd.readouterr().err


def test_vtk_logging_is_restored_after_a_failed_read(tmp_path: Path) -> None:
    from vtkmodules.vtkCommonCore import vtkLogger

    before = vtkLogger.GetCurrentVerbosityCutoff()
    path = tmp_path / "bad.vtp"
    path.write_text("<broken")
    with pytest.raises(InputError):
        read_curve_vtk(path)
    assert vtkLogger.GetCurrentVerbosityCutoff() == before


def test_nan_point_is_named_by_index(write_vtk: Writer) -> None:
    pts = circle(6)
    pts[3, 1] = np.nan
    with pytest.raises(InputError, match="point 3 has a non-finite coordinate"):
        read_curve_vtk(write_vtk("nan.vtk", pts, lines=[[*range(6), 0]]))


def test_empty_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "empty.vtk").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_curve_vtk(tmp_path / "empty.vtk")
