"""mvplan.gui: the PySide6 desktop application (the only package that imports Qt).

Importing this package is cheap and loads no Qt: :func:`run` imports the application when it
is called, so ``mvplan gui`` can set up off-screen rendering first
(:func:`mvplan.headless.configure_headless`). Layout:

- :mod:`~mvplan.gui.document`: the Qt-free document (plan, history, preview state);
- :mod:`~mvplan.gui.worker`: the Qt-free latest-only background worker;
- :mod:`~mvplan.gui.preview`: live re-solves of the annuloplasty off the GUI thread;
- :mod:`~mvplan.gui.main_window` and the panels and 3D view it holds;
- :mod:`~mvplan.gui.app`: the application object, batch screenshots.
"""

from __future__ import annotations

from pathlib import Path


def run(
    file: str | Path | None = None,
    *,
    screenshot: str | Path | None = None,
    exit_after: bool = False,
    size: tuple[int, int] = (1280, 800),
    landmarks: str | Path | None = None,
    papillary: str | Path | None = None,
) -> int:
    """Start the desktop application (see :func:`mvplan.gui.app.run`)."""
    from mvplan.gui.app import run as run_app

    return run_app(
        file,
        screenshot=screenshot,
        exit_after=exit_after,
        size=size,
        landmarks=landmarks,
        papillary=papillary,
    )


__all__ = ["run"]
