"""Frozen entry point of the ``mvplan`` executable (PyInstaller runs this as ``__main__``)."""

import sys

from mvplan.cli import main

sys.exit(main())
