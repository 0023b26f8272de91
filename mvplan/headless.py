"""Rendering with no screen: the environment Qt and VTK need, set before either is imported.

On a machine with no display (a server, CI, ``mvplan export``), Qt must use its
``offscreen`` platform and VTK the OSMesa render window: Qt offscreen with VTK's default
(EGL) window gives black images, and Qt offscreen with ``DISPLAY`` still set makes X fail
with BadWindow (ENVIRONMENT.md). Both libraries read these variables when they create their
first application or window, so :func:`configure_headless` must run before that, and this
module imports neither of them.
"""

from __future__ import annotations

import ctypes.util
import os

__all__ = ["OSMESA_WINDOW", "configure_headless", "has_display", "osmesa_available"]

#: VTK's render window class that draws into memory with Mesa, no display needed.
OSMESA_WINDOW = "vtkOSOpenGLRenderWindow"


def has_display() -> bool:
    """True if an X11 or Wayland display is named in the environment."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def osmesa_available() -> bool:
    """True if the system's OSMesa library (``libosmesa6`` on Debian) can be found.

    VTK's OSMesa window loads it at run time and crashes (segfault) when it is missing, so
    the window is only chosen when the library is there.
    """
    return ctypes.util.find_library("OSMesa") is not None


def configure_headless(force: bool = False) -> bool:
    """Set up the environment for off-screen Qt and VTK when there is no display.

    If no display is named (no ``DISPLAY`` or ``WAYLAND_DISPLAY``), or ``force`` is true:
    set ``QT_QPA_PLATFORM=offscreen`` and ``VTK_DEFAULT_OPENGL_WINDOW=vtkOSOpenGLRenderWindow``
    and drop ``DISPLAY`` and ``WAYLAND_DISPLAY``. When the OSMesa library cannot be found,
    the VTK variable is left unset: VTK then falls back to EGL, which renders correctly
    without Qt (image export) where the OSMesa window would crash.

    Must be called before Qt or VTK is imported (or at least before the first
    ``QApplication`` or render window is created).

    Parameters
    ----------
    force : bool
        Configure off-screen rendering even when a display is available (tests, batch
        exports that must not open windows).

    Returns
    -------
    bool
        True if the environment was changed for off-screen rendering, False if a display is
        available and ``force`` is false (nothing was changed).
    """
    if has_display() and not force:
        return False
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if osmesa_available():
        os.environ["VTK_DEFAULT_OPENGL_WINDOW"] = OSMESA_WINDOW
    # Qt offscreen with DISPLAY still set talks to X anyway and dies with BadWindow.
    os.environ.pop("DISPLAY", None)
    os.environ.pop("WAYLAND_DISPLAY", None)
    return True
