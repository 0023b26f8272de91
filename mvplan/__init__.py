"""mvplan: planning mitral valve annuloplasty.

Importing :mod:`mvplan` is cheap and headless: it pulls in neither Qt nor VTK.
The public entry points live in the sub-packages (``mvplan.io.load_annulus``,
``mvplan.geometry.measure``, ...).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
