"""write_atomic: replaces the file whole, leaves nothing behind on failure, ordinary permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mvplan.io.atomic import write_atomic


def test_replaces_the_file_with_text_or_bytes(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    assert write_atomic(target, "new é") == target
    assert target.read_text(encoding="utf-8") == "new é"
    write_atomic(target, b"\x89PNG")
    assert target.read_bytes() == b"\x89PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_the_new_file_has_the_permissions_of_any_new_file(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        target = write_atomic(tmp_path / "plan.mvplan.json", "{}")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # not mkstemp's private 0600


def test_a_missing_folder_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "nope" / "out.json", "x")
