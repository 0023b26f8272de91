"""mvplan.gui: the PySide6 desktop application (the only package that imports Qt).

Importing this package is cheap and loads no Qt; :mod:`~mvplan.gui.app` does, so ``mvplan gui``
imports ``mvplan.gui.app.run`` inside its function, after setting up off-screen rendering
(:func:`mvplan.headless.configure_headless`). Layout:

- :mod:`~mvplan.gui.document`: the Qt-free document (plan, history, preview and closure state);
- :mod:`~mvplan.gui.worker`: the Qt-free latest-only background worker;
- :mod:`~mvplan.gui.preview`: live re-solves of the annuloplasty off the GUI thread;
- :mod:`~mvplan.gui.closure`: the leaflet closure, solved on request off the GUI thread;
- :mod:`~mvplan.gui.closure_panel` and :mod:`~mvplan.gui.sweep_panel`: the closure's
  figures and controls, and the ring-size sweep;
- :mod:`~mvplan.gui.main_window` and the panels and 3D view it holds;
- :mod:`~mvplan.gui.app`: the application object, batch screenshots.
"""
