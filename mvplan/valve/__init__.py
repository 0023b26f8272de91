"""Leaflet and chordae model built on an annulus (DESIGN.md section 1).

Modules (imported on demand; this package imports nothing itself):

* :mod:`mvplan.valve.leaflets`: :class:`~mvplan.valve.leaflets.LeafletSpec`,
  :func:`~mvplan.valve.leaflets.build_leaflets` -> :class:`~mvplan.valve.leaflets.LeafletMesh`;
* :mod:`mvplan.valve.chordae`: :class:`~mvplan.valve.chordae.ChordaeSpec`,
  :func:`~mvplan.valve.chordae.build_chordae` -> :class:`~mvplan.valve.chordae.Chordae`;
* :mod:`mvplan.valve.surface`: the stress-free reference surface (shape and its sources);
* :mod:`mvplan.valve.meshing`: the near-equilateral strip mesher.
"""
