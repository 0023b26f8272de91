"""Tube meshes and their files: watertight, the right size, readable back."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from mvplan.errors import InputError
from mvplan.rings.geometry import ring_dimensions
from mvplan.rings.mesh import export_ring, ring_mesh


@pytest.mark.parametrize("family_id", ["physio-like", "cosgrove-band-like", "etlogix-like"])
def test_mesh_is_watertight_with_the_tube_volume(catalogue, family_id):
    spec = catalogue[family_id].spec(catalogue[family_id].sizes_mm[1])
    mesh = ring_mesh(spec, n_along=400, n_around=24)
    assert mesh.is_watertight and mesh.is_winding_consistent
    length = ring_dimensions(spec)["arc_length_mm"]
    cs = spec.cross_section
    # Pappus: section area x centreline length (polygonal section, small curvature terms).
    expected = np.pi * cs.width_mm * cs.height_mm / 4 * length
    assert mesh.volume == pytest.approx(expected, rel=0.03)


@pytest.mark.parametrize("suffix", [".stl", ".ply", ".obj", ".glb"])
def test_trimesh_round_trip(catalogue, tmp_path, suffix):
    spec = catalogue["physio-ii-like"].spec(30)
    path = tmp_path / f"ring{suffix}"
    mesh = export_ring(spec, path)
    back = trimesh.load(path, force="mesh")
    assert np.allclose(back.bounds, mesh.bounds, atol=1e-4)
    assert back.volume == pytest.approx(mesh.volume, rel=1e-4)


def test_vtp_is_read_by_vtk(catalogue, tmp_path):
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkIOXML import vtkXMLPolyDataReader

    spec = catalogue["future-band-like"].spec(30)
    path = tmp_path / "band.vtp"
    mesh = export_ring(spec, path)
    reader = vtkXMLPolyDataReader()
    reader.SetFileName(str(path))
    reader.Update()
    poly = reader.GetOutput()
    assert poly.GetNumberOfPoints() == len(mesh.vertices)
    assert poly.GetNumberOfPolys() == len(mesh.faces)
    pts = vtk_to_numpy(poly.GetPoints().GetData())
    assert np.allclose(pts, mesh.vertices, atol=1e-6)


def test_unsupported_suffix(catalogue, tmp_path):
    with pytest.raises(InputError, match=r"ring\.step: cannot write \.step"):
        export_ring(catalogue["physio-like"].spec(30), tmp_path / "ring.step")
