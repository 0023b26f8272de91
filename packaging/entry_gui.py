"""Frozen entry point of the windowed ``mvplan-gui`` executable (Windows and macOS builds)."""

import sys

from mvplan.cli import gui_main

sys.exit(gui_main())
