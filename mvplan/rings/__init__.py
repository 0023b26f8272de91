"""The ring and band library: specs, the catalogue, geometry, meshes, stiffness and sizing.

``load_catalogue()`` reads ``rings/*.toml`` and the user's ring folder; ``family.spec(size)``
gives a :class:`RingSpec`; ``ring_centerline(spec, n)`` its centreline in the valve frame;
``ring_dimensions(spec)`` what it measures; ``segment_stiffness(spec)`` its mechanics;
``recommend_size(...)`` a size for a patient. This layer imports only ``mvplan.geometry`` and
``mvplan.errors`` (never Qt or VTK).
"""

from __future__ import annotations

from mvplan.rings.catalogue import Catalogue, load_catalogue, user_rings_dir
from mvplan.rings.geometry import (
    RingGeometry,
    ring_centerline,
    ring_dimensions,
    ring_geometry,
    ring_markers,
)
from mvplan.rings.mesh import export_ring, ring_mesh
from mvplan.rings.sizing import SizeRecommendation, SizingPolicy, parse_policy, recommend_size
from mvplan.rings.spec import RingFamily, RingSpec, SegmentSpec
from mvplan.rings.stiffness import SegmentStiffness, segment_stiffness, stiffness_profile

__all__ = [
    "Catalogue",
    "RingFamily",
    "RingGeometry",
    "RingSpec",
    "SegmentSpec",
    "SegmentStiffness",
    "SizeRecommendation",
    "SizingPolicy",
    "export_ring",
    "load_catalogue",
    "parse_policy",
    "recommend_size",
    "ring_centerline",
    "ring_dimensions",
    "ring_geometry",
    "ring_markers",
    "ring_mesh",
    "segment_stiffness",
    "stiffness_profile",
    "user_rings_dir",
]
