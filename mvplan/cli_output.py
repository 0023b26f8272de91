"""What every ``mvplan`` command prints the same way: exit codes, warnings, units of keys."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from mvplan.errors import InputError

#: Exit codes: success, bad input (a one-line error), a solve that did not converge.
EXIT_OK, EXIT_BAD_INPUT, EXIT_NOT_CONVERGED = 0, 2, 3


def warn_all(messages: Iterable[str], source: str) -> None:
    """Print each message as ``mvplan: warning: SOURCE: MESSAGE`` on standard error."""
    for message in messages:
        print(f"mvplan: warning: {source}: {message}", file=sys.stderr)


def unit_of(key: str) -> str:
    """The unit a measurement key names by its suffix (``_mm``, ``_mm2``, ...), or ``""``."""
    for suffix, unit in (("_mm2", "mm2"), ("_mm", "mm"), ("_deg", "deg"), ("_percent", "%")):
        if key.endswith(suffix):
            return unit
    return ""


def pixel_size(minimum: int = 16, maximum: int = 8192) -> Callable[[str], tuple[int, int]]:
    """An argparse ``type`` reading ``WIDTHxHEIGHT`` in pixels, each side within the bounds."""

    def parse(text: str) -> tuple[int, int]:
        width, sep, height = text.lower().partition("x")
        try:
            size = (int(width), int(height))
        except ValueError:
            size = (0, 0)
        if not sep or not all(minimum <= v <= maximum for v in size):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a size WIDTHxHEIGHT (e.g. 1280x800) with sides of "
                f"{minimum} to {maximum} pixels"
            )
        return size

    return parse


def output_path(text: str) -> Path:
    """A file to write; its folder must exist (said plainly, not as a temp-file error)."""
    path = Path(text)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"cannot write {path.name}: the folder {folder} does not exist")
    if path.is_dir():
        raise InputError(f"cannot write {text}: it is a folder")
    return path


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_NOT_CONVERGED",
    "EXIT_OK",
    "output_path",
    "pixel_size",
    "unit_of",
    "warn_all",
]
