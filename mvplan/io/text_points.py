"""Point lists in text files: CSV (comma, semicolon or tab) and whitespace-separated columns.

What the reader accepts, so that files from spreadsheets, MATLAB and scripts load as written:

- an optional header line; without one the first three numeric columns are x, y, z;
- the delimiter is sniffed: tab, semicolon or comma when every data line has it, else runs of
  whitespace; with a semicolon, tab or whitespace delimiter a decimal comma (``1,5``) is read
  as a decimal point;
- coordinate columns by name, case-insensitive: ``x``/``y``/``z`` (also ``pos_x``,
  ``x_coord`` ...), or ``R``/``A``/``S``, or ``L``/``P``/``S`` — the last are LPS coordinates and
  are turned into RAS (x and y negated) like Slicer's markups, so every reader returns one
  handedness. A unit after the name (``x_mm``, ``x (cm)``, ``x [m]``) sets ``units``;
- a label column: a header such as ``label``/``name``/``id``, else the first non-numeric column;
- a frame column (header ``frame``, ``phase``, ``time``, ``timepoint`` or ``t``): a file of
  several frames of one moving annulus, the rows of each frame together in curve order and the
  frames in time order (:func:`read_curve_frames_text`). A curve file holds one frame; a
  multi-frame file is read as a cycle (``mvplan measure FILE``);
- blank lines and lines starting with ``#`` are skipped. Line numbers in messages count every
  line of the file, from 1.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass

import numpy as np

from mvplan.errors import InputError
from mvplan.io._common import LandmarkCollector, check_file, landmark_key
from mvplan.io.types import CurveRead, FloatArray, PointsRead

__all__ = [
    "CURVE_READERS",
    "POINTS_READERS",
    "read_curve_frames_text",
    "read_curve_text",
    "read_points_text",
]

_DELIMITERS = ("\t", ";", ",")  # in order of precedence: ';' or tab beats a decimal comma
_SNIFF_LINES = 50
_AXES = ("x", "y", "z")

_UNIT_RE = re.compile(
    r"^(?P<name>.*?)\s*(?:[_\-\s]\s*(?P<u1>mm|cm|m)|[(\[]\s*(?P<u2>mm|cm|m)\s*[)\]])$"
)
_XYZ_RE = re.compile(r"(?:pos|position|coord|coordinate|point)?([xyz])(?:coord|coordinate)?")
# Anatomical axis letters: RAS as is, LPS negated on x and y.
_ANATOMICAL = {"r": (0, 1.0), "a": (1, 1.0), "s": (2, 1.0), "l": (0, -1.0), "p": (1, -1.0)}
_LABEL_NAMES = {"label", "name", "id", "landmark", "point", "pointid", "tag", "marker"}
_FRAME_NAMES = {"frame", "frames", "phase", "time", "timepoint", "t"}
_DECIMAL_COMMA_RE = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class _Table:
    points: FloatArray  # (n, 3)
    labels: tuple[str | None, ...]
    line_numbers: tuple[int, ...]
    units: str | None
    source: str
    frames: tuple[str, ...] | None = None  # each row's frame, when there is a frame column
    frame_column: str | None = None


@dataclass(frozen=True)
class _Columns:
    coords: tuple[int, int, int]
    signs: tuple[float, float, float]
    names: tuple[str, str, str]
    label: int | None
    units: str | None
    frame: int | None = None
    frame_name: str | None = None


def _decode(raw: bytes, source: str) -> str:
    if b"\x00" in raw:
        raise InputError("not a text file (it holds binary data)", source=source)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Old exports in a legacy code page: the numbers are ASCII either way.
        return raw.decode("latin-1")


def _sniff(lines: list[str]) -> str | None:
    """The delimiter that every sampled line has (None: runs of whitespace)."""
    for delim in _DELIMITERS:
        if all(delim in line for line in lines):
            return delim
    return None


def _split(line: str, delim: str | None) -> list[str]:
    if delim is None:
        return [f.strip("\"'") for f in line.split()]
    return [f.strip() for f in next(csv.reader([line], delimiter=delim, skipinitialspace=True))]


def _number(field: str, delim: str | None) -> float | None:
    """The field as a float, or None when it is not a number (NaN and inf are numbers here)."""
    text = field.strip()
    if delim != "," and _DECIMAL_COMMA_RE.fullmatch(text):
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def _split_unit(header: str) -> tuple[str, str | None]:
    """('x_mm' -> ('x', 'mm')); the name comes back lower-cased."""
    text = header.strip().lower()
    m = _UNIT_RE.match(text)
    if m and m.group("name"):
        return m.group("name"), m.group("u1") or m.group("u2")
    return text, None


def _axis_of(name: str) -> tuple[int, float] | None:
    """(axis index, sign) that a header name stands for, or None."""
    key = re.sub(r"[^a-z]", "", name)
    m = _XYZ_RE.fullmatch(key)
    if m:
        return _AXES.index(m.group(1)), 1.0
    return _ANATOMICAL.get(key)


def _is_label_name(name: str) -> bool:
    key = re.sub(r"[^a-z]", "", name.lower())
    return key in _LABEL_NAMES or "label" in key or key.endswith("name")


def _columns_from_header(
    header: list[str], first: list[str], delim: str | None, line: int, source: str
) -> _Columns:
    found: dict[int, tuple[int, float, str, str | None]] = {}
    label: int | None = None
    frame: int | None = None
    for col, field in enumerate(header):
        name, unit = _split_unit(field)
        axis = _axis_of(name)
        if frame is None and re.sub(r"[^a-z]", "", name) in _FRAME_NAMES:
            frame = col  # before the axes: "t" is no axis, but keep the order of checks clear
        elif axis is not None and axis[0] not in found:
            found[axis[0]] = (col, axis[1], field, unit)
        elif label is None and _is_label_name(name):
            label = col
    frame_name = None if frame is None else header[frame].strip()
    if found and len(found) < 3:
        have = ", ".join(_AXES[a] for a in sorted(found))
        missing = ", ".join(a for i, a in enumerate(_AXES) if i not in found)
        raise InputError(
            f"line {line}: the header names columns for {have} but none for {missing}",
            source=source,
        )
    if found:
        x, y, z = found[0], found[1], found[2]
        unit_set = {x[3], y[3], z[3]}
        if len(unit_set) > 1:
            raise InputError(
                f"line {line}: the coordinate columns give different units"
                f" ({x[2]}, {y[2]}, {z[2]})",
                source=source,
            )
        coords = (x[0], y[0], z[0])
        skip = coords if frame is None else (*coords, frame)
        if label is None:
            label = _first_text_column(first, delim, exclude=skip)
        return _Columns(
            coords, (x[1], y[1], z[1]), (x[2], y[2], z[2]), label, unit_set.pop(), frame,
            frame_name,
        )  # fmt: skip
    # A header that names no axis: fall back to the first three numeric columns.
    numeric = first if frame is None else [f if i != frame else "" for i, f in enumerate(first)]
    coords = _numeric_columns(numeric, delim, line, source)
    skip = coords if frame is None else (*coords, frame)
    if label is None:
        label = _first_text_column(first, delim, exclude=skip)
    x_name, y_name, z_name = (
        header[c] if c < len(header) and header[c] else _AXES[k] for k, c in enumerate(coords)
    )
    return _Columns(
        coords, (1.0, 1.0, 1.0), (x_name, y_name, z_name), label, None, frame, frame_name
    )


def _numeric_columns(
    first: list[str], delim: str | None, line: int, source: str
) -> tuple[int, int, int]:
    numeric = [i for i, f in enumerate(first) if _number(f, delim) is not None]
    if len(numeric) < 3:
        if len(first) == 3:
            bad = next(f for f in first if _number(f, delim) is None)
            raise InputError(f"line {line}: {bad!r} is not a number", source=source)
        raise InputError(
            f"line {line}: expected three numeric columns (x, y, z), found {len(numeric)}",
            source=source,
        )
    return numeric[0], numeric[1], numeric[2]


def _first_text_column(first: list[str], delim: str | None, exclude: tuple[int, ...]) -> int | None:
    for i, f in enumerate(first):
        if i not in exclude and f and _number(f, delim) is None:
            return i
    return None


def _parse_rows(
    rows: list[tuple[int, list[str]]], cols: _Columns, delim: str | None, source: str
) -> tuple[FloatArray, tuple[str | None, ...]]:
    need = max(cols.coords) + 1
    points = np.empty((len(rows), 3), dtype=np.float64)
    labels: list[str | None] = []
    # A whitespace-separated label after the coordinates may hold spaces ("AL commissure").
    label_to_end = delim is None and cols.label is not None and cols.label > max(cols.coords)
    for r, (line, fields) in enumerate(rows):
        if len(fields) < need:
            raise InputError(
                f"line {line}: expected at least {need} columns, found {len(fields)}"
                " (truncated line?)",
                source=source,
            )
        for k, (col, name) in enumerate(zip(cols.coords, cols.names, strict=True)):
            text = fields[col]
            if not text:
                raise InputError(f"line {line}: no value for {name}", source=source)
            value = _number(text, delim)
            if value is None:
                raise InputError(f"line {line}: {text!r} is not a number ({name})", source=source)
            if not np.isfinite(value):
                raise InputError(f"line {line}: {name} is not finite ({text!r})", source=source)
            points[r, k] = value * cols.signs[k]
        label = ""
        if cols.label is not None and cols.label < len(fields):
            label = " ".join(fields[cols.label :]) if label_to_end else fields[cols.label]
        labels.append(label.strip() or None)
    return points, tuple(labels)


def _read_table(path: str | os.PathLike[str]) -> _Table:
    p, source = check_file(path)
    text = _decode(p.read_bytes(), source)
    content = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not content:
        raise InputError("no data: only blank or comment lines", source=source)
    delim = _sniff([line for _, line in content[:_SNIFF_LINES]])
    rows = [(number, _split(line, delim)) for number, line in content]

    # A header is a first line without a single number in it.
    header: tuple[int, list[str]] | None = None
    if all(_number(f, delim) is None for f in rows[0][1]):
        header = rows.pop(0)
    if not rows:
        raise InputError(f"no data rows after the header on line {content[0][0]}", source=source)
    first_line, first = rows[0]
    if header is not None:
        cols = _columns_from_header(header[1], first, delim, header[0], source)
    else:
        coords = _numeric_columns(first, delim, first_line, source)
        label = _first_text_column(first, delim, exclude=coords)
        cols = _Columns(coords, (1.0, 1.0, 1.0), _AXES, label, None)
    points, labels = _parse_rows(rows, cols, delim, source)
    frames = None
    if cols.frame is not None:
        frames = tuple(_frame_value(fields, cols.frame, line, source) for line, fields in rows)
    return _Table(
        points, labels, tuple(n for n, _ in rows), cols.units, source, frames, cols.frame_name
    )


def _frame_value(fields: list[str], column: int, line: int, source: str) -> str:
    value = fields[column].strip() if column < len(fields) else ""
    if not value:
        raise InputError(f"line {line}: no value in the frame column", source=source)
    return value


def read_points_text(path: str | os.PathLike[str]) -> PointsRead:
    """Read labelled points (landmarks, papillary tips) from a CSV or whitespace text file.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    PointsRead
        ``points`` (m, 3) float in file units, one label per row (None where there is none),
        ``units`` from a header unit suffix (``x_mm``), else None.

    Raises
    ------
    InputError
        Empty file, no data rows, a row with too few columns, a value that is not a number or
        not finite (the message names the line).
    """
    table = _read_table(path)
    return PointsRead(
        points=table.points, labels=table.labels, source=table.source, units=table.units
    )


def read_curve_text(path: str | os.PathLike[str]) -> CurveRead:
    """Read an annulus curve from a CSV or whitespace text file, one point per row, in order.

    Rows labelled with a landmark name (A, P, ALC, PMC, ALT, PMT; case-insensitive) also become
    ``landmarks``; they stay in the curve too.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    CurveRead
        ``points`` (m, 3) float in file units, ``ordered=True`` (the row order), ``units``
        from a header unit suffix or None.

    Raises
    ------
    InputError
        As :func:`read_points_text`; also fewer than 3 rows, or a landmark given twice.
    """
    table = _read_table(path)
    groups = _frame_groups(table)
    if len(groups) > 1:
        raise InputError(
            f"holds {len(groups)} frames (column {table.frame_column!r}) of a moving annulus: "
            "read it as a cycle with mvplan measure FILE, or open it with File > Open cycle",
            source=table.source,
        )
    return _curve_of(table, np.arange(len(table.points)), table.source)


def read_curve_frames_text(path: str | os.PathLike[str]) -> list[CurveRead] | None:
    """The frames of a multi-frame text file, in order of first appearance; None for a file
    without a frame column or with one frame only.

    Each frame's rows must be contiguous (a frame is one curve, in order); each frame is a
    :class:`CurveRead` named ``FILE[frame=VALUE]``.

    Raises
    ------
    InputError
        As :func:`read_curve_text`; also a frame whose rows are split by another frame's.
    """
    table = _read_table(path)
    groups = _frame_groups(table)
    if len(groups) < 2:
        return None
    return [
        _curve_of(table, rows, f"{table.source}[{table.frame_column}={value}]")
        for value, rows in groups.items()
    ]


def _frame_groups(table: _Table) -> dict[str, np.ndarray]:
    """Row indices of each frame, in order of first appearance (one group without frames)."""
    if table.frames is None:
        return {"": np.arange(len(table.points))}
    groups: dict[str, list[int]] = {}
    last = None
    for row, value in enumerate(table.frames):
        if value != last and value in groups:
            raise InputError(
                f"line {table.line_numbers[row]}: the rows of frame {value!r} are not together "
                "(each frame's points must follow one another, in curve order)",
                source=table.source,
            )
        groups.setdefault(value, []).append(row)
        last = value
    return {k: np.asarray(v) for k, v in groups.items()}


def _curve_of(table: _Table, rows: np.ndarray, source: str) -> CurveRead:
    if len(rows) < 3:
        raise InputError(
            f"a curve needs at least 3 points, {source} has {len(rows)}", source=source
        )
    landmarks = LandmarkCollector(source)
    for r in rows:
        key = landmark_key(table.labels[r])
        if key is not None:
            landmarks.add(key, table.points[r], f"line {table.line_numbers[r]}")
    return CurveRead(
        points=table.points[rows],
        ordered=True,
        source=source,
        landmarks=landmarks.points,
        units=table.units,
    )


CURVE_READERS = {".csv": read_curve_text, ".tsv": read_curve_text, ".txt": read_curve_text}
POINTS_READERS = {".csv": read_points_text, ".tsv": read_points_text, ".txt": read_points_text}
