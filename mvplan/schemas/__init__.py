"""JSON schemas mvplan validates against (3D Slicer markups; see LICENSE-3D-Slicer.txt)."""
