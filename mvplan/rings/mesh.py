"""Tube meshes of rings with the device's cross-section, and their export.

A ring is a closed tube; a band an open tube with both ends capped, so either is watertight.
The cross-section is the family's ellipse (``width_mm`` radial in the ring plane,
``height_mm`` along the local up direction) swept along the centreline. ``.stl .ply .obj
.glb`` are written by trimesh; ``.vtp`` as VTK XML PolyData in ASCII by :func:`write_vtp`
(so the rings layer never imports VTK).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
import trimesh

from mvplan.errors import InputError
from mvplan.rings.geometry import local_frames, ring_centerline
from mvplan.rings.spec import RingSpec

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: File types :func:`export_ring` writes.
EXPORT_SUFFIXES: tuple[str, ...] = (".stl", ".ply", ".obj", ".glb", ".vtp")


def ring_mesh(spec: RingSpec, n_along: int = 256, n_around: int = 16) -> trimesh.Trimesh:
    """Watertight tube mesh of the ring in the valve frame, mm.

    Parameters
    ----------
    spec : RingSpec
    n_along : int
        Sections along the centreline.
    n_around : int
        Vertices around each elliptical section.

    Returns
    -------
    trimesh.Trimesh
        Outward-facing triangles; a band's ends are closed by flat fans.
    """
    closed = spec.closed
    centre = ring_centerline(spec, n_along)
    _, outward, up = local_frames(centre, closed)
    phi = 2.0 * np.pi * np.arange(n_around) / n_around
    a, b = 0.5 * spec.cross_section.width_mm, 0.5 * spec.cross_section.height_mm
    offsets = (
        a * np.cos(phi)[None, :, None] * outward[:, None, :]
        + b * np.sin(phi)[None, :, None] * up[:, None, :]
    )
    vertices = (centre[:, None, :] + offsets).reshape(-1, 3)
    faces = _tube_faces(n_along, n_around, closed)
    if not closed:
        vertices, faces = _cap(vertices, faces, centre, n_along, n_around)
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=True)
    if mesh.volume < 0:
        mesh.invert()
    return mesh


def _tube_faces(n_along: int, n_around: int, closed: bool) -> IntArray:
    rings = n_along if closed else n_along - 1
    i = np.arange(rings)[:, None]
    j = np.arange(n_around)[None, :]
    i1 = (i + 1) % n_along
    j1 = (j + 1) % n_around
    v00, v01 = i * n_around + j, i * n_around + j1
    v10, v11 = i1 * n_around + j, i1 * n_around + j1
    tri = np.concatenate(
        [np.stack([v00, v10, v11], -1).reshape(-1, 3), np.stack([v00, v11, v01], -1).reshape(-1, 3)]
    )
    return np.asarray(tri, dtype=np.int64)


def _cap(
    vertices: FloatArray, faces: IntArray, centre: FloatArray, n_along: int, n_around: int
) -> tuple[FloatArray, IntArray]:
    """Close both ends of an open tube with a fan around the end point of the centreline."""
    start, end = len(vertices), len(vertices) + 1
    vertices = np.vstack([vertices, centre[0], centre[-1]])
    j = np.arange(n_around)
    j1 = (j + 1) % n_around
    last = (n_along - 1) * n_around
    first_fan = np.stack([np.full(n_around, start), j, j1], -1)
    last_fan = np.stack([np.full(n_around, end), last + j1, last + j], -1)
    return vertices, np.vstack([faces, first_fan, last_fan]).astype(np.int64)


def write_vtp(mesh: trimesh.Trimesh, path: str | os.PathLike[str]) -> None:
    """Write a triangle mesh as VTK XML PolyData (ASCII), readable by ``vtkXMLPolyDataReader``."""
    points = np.asarray(mesh.vertices, dtype=float)
    faces = np.asarray(mesh.faces, dtype=np.int64)

    def rows(values: npt.NDArray[np.generic], fmt: str) -> str:
        return "\n".join(" ".join(fmt % v for v in row) for row in values)

    text = f"""<?xml version="1.0"?>
<VTKFile type="PolyData" version="0.1" byte_order="LittleEndian">
  <PolyData>
    <Piece NumberOfPoints="{len(points)}" NumberOfVerts="0" NumberOfLines="0" \
NumberOfStrips="0" NumberOfPolys="{len(faces)}">
      <Points>
        <DataArray type="Float64" NumberOfComponents="3" format="ascii">
{rows(points, "%.9g")}
        </DataArray>
      </Points>
      <Polys>
        <DataArray type="Int64" Name="connectivity" format="ascii">
{rows(faces, "%d")}
        </DataArray>
        <DataArray type="Int64" Name="offsets" format="ascii">
{" ".join(str(3 * (k + 1)) for k in range(len(faces)))}
        </DataArray>
      </Polys>
    </Piece>
  </PolyData>
</VTKFile>
"""
    Path(path).write_text(text, encoding="ascii")


def export_ring(
    spec: RingSpec, path: str | os.PathLike[str], n_along: int = 256, n_around: int = 16
) -> trimesh.Trimesh:
    """Write the ring's tube mesh to ``path`` (type from the suffix) and return the mesh.

    Raises
    ------
    InputError
        An unsupported suffix.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise InputError(
            f"cannot write {suffix or 'files without a suffix'}; "
            f"use one of {' '.join(EXPORT_SUFFIXES)}",
            source=target.name,
        )
    mesh = ring_mesh(spec, n_along, n_around)
    if suffix == ".vtp":
        write_vtp(mesh, target)
    else:
        mesh.export(target, file_type=suffix[1:])
    return mesh
