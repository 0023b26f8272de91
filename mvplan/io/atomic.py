"""Atomic file replacement: a reader sees the old file or the new one, never part of one.

The data go to a temporary file in the target's folder (so the rename stays on one file
system), are flushed and fsynced, and the temporary file is renamed over the target. The
temporary file is created with ``open(..., "x")`` rather than ``tempfile.mkstemp``, whose
files are private (mode 0600): the new file gets the permissions the user's umask gives any
file, as an ordinary write would.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(target: str | os.PathLike[str], data: bytes | str) -> Path:
    """Replace ``target`` with ``data`` (``str`` is written as UTF-8); return its path.

    Raises
    ------
    OSError
        The folder is missing or not writable, the disk is full...; ``target`` is then
        untouched and no temporary file is left behind.
    """
    path = Path(target)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    directory = path.parent if str(path.parent) else Path(".")
    temporary = directory / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        with open(temporary, "xb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
