"""Running ``mvplan`` in-process as a test would type it: exit code, stdout, stderr, JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mvplan.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``mvplan ARGV``: its exit code and what it printed on stdout and stderr."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    """``mvplan ARGV --json``, which must succeed: its JSON output."""
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def one_line_error(err: str) -> str:
    """``err`` checked to be one ``mvplan: error: ...`` line, no traceback."""
    err = err.strip()
    assert err.count("\n") == 0, err
    assert err.startswith("mvplan: error: "), err
    assert "Traceback" not in err
    return err
