"""The VTK modules every rendering needs loaded, and the off-screen render window.

Importing VTK by module (``vtkmodules.vtkRenderingCore``) instead of ``import vtk`` keeps
bundles small, but then nothing registers the OpenGL implementations of the abstract
rendering classes, the interactor styles, or the FreeType text renderer: a window renders
nothing and text is blank (ENVIRONMENT.md). Every module of :mod:`mvplan.render` that makes
VTK objects imports this one first.
"""

from __future__ import annotations

# Imported for their side effect: they register the OpenGL, interaction and text factories.
import vtkmodules.vtkInteractionStyle
import vtkmodules.vtkRenderingFreeType
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401
from vtkmodules.vtkRenderingCore import vtkRenderer, vtkRenderWindow

__all__ = ["new_offscreen_window"]


def new_offscreen_window(size: tuple[int, int]) -> tuple[vtkRenderWindow, vtkRenderer]:
    """An off-screen render window of ``size`` (width, height) pixels with one renderer.

    The window draws into memory (no screen, no interactor). The caller finalises it
    (``window.Finalize()``) when done so its OpenGL context is released at once rather than
    when Python collects it.
    """
    window = vtkRenderWindow()
    window.SetOffScreenRendering(1)
    window.SetSize(int(size[0]), int(size[1]))
    # Multisampling is not available in every off-screen context; FXAA (set on the renderer
    # by the scene style) smooths edges everywhere.
    window.SetMultiSamples(0)
    renderer = vtkRenderer()
    window.AddRenderer(renderer)
    return window, renderer
