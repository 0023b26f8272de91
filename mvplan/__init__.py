"""mvplan: planning mitral valve annuloplasty.

Importing :mod:`mvplan` is cheap and headless: it pulls in neither Qt nor VTK.
The public entry points live in the sub-packages (``mvplan.io.load_annulus``,
``mvplan.geometry.measure``, ...).
"""

import copyreg
import types

__version__ = "0.1.0"


def _mapping_proxy(items: dict[str, object]) -> types.MappingProxyType[str, object]:
    return types.MappingProxyType(items)


# mvplan keeps read-only mappings (landmarks, fit weights) in MappingProxyType, which pickle
# refuses; plans must pickle to reach worker processes started cleanly (forkserver, spawn), as
# the sweep's are. Pickle them as the dict they show, read-only again when loaded.
copyreg.pickle(types.MappingProxyType, lambda proxy: (_mapping_proxy, (dict(proxy),)))

__all__ = ["__version__"]
