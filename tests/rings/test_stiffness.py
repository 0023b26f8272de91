"""Stiffness per segment: the documented formulas, full coverage, segmental families."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mvplan.rings.spec import CoreSpec
from mvplan.rings.stiffness import core_stiffness, segment_stiffness, stiffness_profile


def test_rect_titanium_core_formulas():
    # E 110 GPa, 1.0 mm radial x 1.5 mm high: EI_in = E h w^3/12, EI_out = E w h^3/12, EA = E w h.
    ei_in, ei_out, ea = core_stiffness(CoreSpec("titanium", "rect", 1.0, 1.5), "rigid")
    assert ei_in == pytest.approx(110_000 * 1.5 * 1.0 / 12)  # 13750 N mm2
    assert ei_out == pytest.approx(110_000 * 1.0 * 3.375 / 12)  # 30937.5 N mm2
    assert ea == pytest.approx(165_000.0)


def test_flexible_core_adds_the_sheath():
    ei_in, ei_out, ea = core_stiffness(CoreSpec("silicone", "round", 2.5, 2.5), "flexible")
    rod = 5.0 * np.pi * 2.5**4 / 64
    assert ei_in == ei_out == pytest.approx(rod + 50.0)
    assert ea == pytest.approx(5.0 * np.pi * 2.5**2 / 4 + 300.0)


def test_classes_are_ordered(catalogue):
    values = {}
    for fid in ("classic-like", "future-ring-like", "ancore-ring-like"):
        (seg,) = segment_stiffness(catalogue[fid].spec(catalogue[fid].sizes_mm[0]))
        values[seg.stiffness_class] = seg
        assert seg.assumed and (seg.u_start, seg.u_end) == (0.0, 1.0)
    assert values["rigid"].ei_in_plane_n_mm2 > values["flexible"].ei_in_plane_n_mm2 * 50
    assert values["semi-rigid"].ei_out_of_plane_n_mm2 > values["flexible"].ei_out_of_plane_n_mm2
    assert values["rigid"].ea_n > values["semi-rigid"].ea_n > values["flexible"].ea_n


@pytest.mark.parametrize("family_id", ["physio-like", "memo-3d-like"])
def test_segmental_ring_is_softer_posteriorly(catalogue, family_id):
    spec = catalogue[family_id].spec(30)
    segs = segment_stiffness(spec)
    assert [s.name for s in segs] == ["body", "posterior"]
    body, post = segs
    # The posterior segment runs from ALC to PMC through P: u from ALC's parameter to 1.
    from mvplan.rings.geometry import ring_geometry

    u = ring_geometry(spec).marker_u
    assert post.u_start == pytest.approx(u["ALC"])
    assert post.u_end == pytest.approx(1.0)
    assert body.u_start == 0.0 and body.u_end == pytest.approx(u["ALC"])
    assert post.ei_out_of_plane_n_mm2 < body.ei_out_of_plane_n_mm2 / 5
    prof = stiffness_profile(spec, [u["A"], u["P"]])
    assert prof[0, 1] == body.ei_out_of_plane_n_mm2
    assert prof[1, 1] == post.ei_out_of_plane_n_mm2


def test_every_family_is_covered_end_to_end(catalogue):
    for fam in catalogue.families:
        segs = segment_stiffness(fam.spec(fam.sizes_mm[0]))
        assert segs[0].u_start == 0.0 and segs[-1].u_end == pytest.approx(1.0)
        for a, b in itertools.pairwise(segs):
            assert a.u_end == pytest.approx(b.u_start)
        prof = stiffness_profile(fam.spec(fam.sizes_mm[0]), np.linspace(0, 1, 50))
        assert np.all(prof > 0), fam.id
