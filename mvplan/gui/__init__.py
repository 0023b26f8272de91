"""mvplan.gui: the PySide6 desktop application (the only package that imports Qt).

Importing this package is cheap and loads no Qt; :mod:`~mvplan.gui.app` does, so ``mvplan gui``
imports ``mvplan.gui.app.run`` inside its function, after setting up off-screen rendering
(:func:`mvplan.headless.configure_headless`). Layout:

- :mod:`~mvplan.gui.document`: the Qt-free document (plan, history, preview state);
- :mod:`~mvplan.gui.worker`: the Qt-free latest-only background worker;
- :mod:`~mvplan.gui.preview`: live re-solves of the annuloplasty off the GUI thread;
- :mod:`~mvplan.gui.main_window` and the panels and 3D view it holds;
- :mod:`~mvplan.gui.app`: the application object, batch screenshots.
"""
