"""The ring catalogue: the built-in ``rings/*.toml`` plus the user's own ring files.

Built-in files are part of mvplan: a broken one is an error. User files live in the folder
named by the environment variable ``MVPLAN_USER_RINGS`` or else in
``platformdirs.user_config_dir("mvplan")/rings``; a broken user file, or one that reuses an
id already in the catalogue, is reported (one line on stderr naming the file) and skipped:
never fatal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

import mvplan
from mvplan.errors import InputError, MvplanError
from mvplan.rings.percutaneous import PercutaneousFamily, parse_device
from mvplan.rings.schema import parse_family, read_toml
from mvplan.rings.spec import RingFamily

USER_RINGS_ENV = "MVPLAN_USER_RINGS"


def builtin_rings_dir() -> Path:
    """The built-in catalogue folder.

    In a source checkout (or an editable install) it is ``rings/`` at the repository root;
    an installed package carries a copy in ``mvplan/rings/catalogue`` (packaging copies it).
    """
    package_copy = Path(__file__).with_name("catalogue")
    if package_copy.is_dir():
        return package_copy
    return Path(mvplan.__file__).resolve().parents[1] / "rings"


def user_rings_dir() -> Path:
    """The user's ring folder: ``$MVPLAN_USER_RINGS``, else the platform's config folder."""
    override = os.environ.get(USER_RINGS_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("mvplan")) / "rings"


def _stderr(message: str) -> None:
    print(f"mvplan: warning: {message}", file=sys.stderr)


@dataclass(frozen=True)
class Catalogue(Mapping[str, RingFamily]):
    """Ring families by id, built-in first then user families, each in file-name order.

    The mapping holds the rings and bands; the percutaneous devices (coronary-sinus devices,
    transcatheter bands) are in ``devices``: they have no ring centreline, so code that walks
    the rings never meets one.

    Attributes
    ----------
    families : tuple of RingFamily
    skipped : tuple of str
        One message per user file that was skipped.
    devices : tuple of PercutaneousFamily
    """

    families: tuple[RingFamily, ...]
    skipped: tuple[str, ...] = ()
    devices: tuple[PercutaneousFamily, ...] = ()

    def __getitem__(self, family_id: str) -> RingFamily:
        for fam in self.families:
            if fam.id == family_id:
                return fam
        raise KeyError(family_id)

    def __iter__(self) -> Iterator[str]:
        return (f.id for f in self.families)

    def __len__(self) -> int:
        return len(self.families)

    def family(self, family_id: str) -> RingFamily:
        """The family ``family_id``, or an InputError listing the known ids."""
        try:
            return self[family_id]
        except KeyError:
            if any(d.id == family_id for d in self.devices):
                raise InputError(
                    f"{family_id!r} is a percutaneous device, not a ring: it takes a cinch"
                ) from None
            known = ", ".join(self)
            raise InputError(f"unknown ring family {family_id!r} (known: {known})") from None

    def is_device(self, family_id: str) -> bool:
        """True when ``family_id`` is a percutaneous device of the catalogue."""
        return any(d.id == family_id for d in self.devices)

    def device(self, family_id: str) -> PercutaneousFamily:
        """The percutaneous device ``family_id``, or an InputError listing the known ones."""
        for dev in self.devices:
            if dev.id == family_id:
                return dev
        known = ", ".join(d.id for d in self.devices) or "none"
        raise InputError(f"unknown percutaneous device {family_id!r} (known: {known})")


def load_catalogue(
    builtin_dir: Path | None = None,
    user_dir: Path | None = None,
    *,
    include_user: bool = True,
    warn: Callable[[str], None] = _stderr,
) -> Catalogue:
    """Read the built-in catalogue and the user's ring folder.

    Parameters
    ----------
    builtin_dir : Path, optional
        Folder of built-in TOML files (default :func:`builtin_rings_dir`).
    user_dir : Path, optional
        User folder (default :func:`user_rings_dir`); a missing folder is simply empty.
    include_user : bool
        False reads the built-in catalogue only.
    warn : callable
        Receives one line per skipped user file (default: printed on stderr).

    Raises
    ------
    InputError
        A broken built-in file, or a built-in folder that does not exist.
    """
    folder = builtin_dir or builtin_rings_dir()
    if not folder.is_dir():
        raise InputError(f"the ring catalogue folder {folder} does not exist")
    entries: list[RingFamily | PercutaneousFamily] = []
    for path in sorted(folder.glob("*.toml")):
        fam = load_entry_file(path)
        if fam.id in {f.id for f in entries}:
            raise InputError(f"ring id {fam.id!r} is used twice in the catalogue", source=path.name)
        entries.append(fam)
    skipped: list[str] = []
    if include_user:
        entries, skipped = _add_user(entries, user_dir or user_rings_dir(), warn)
    rings = tuple(f for f in entries if isinstance(f, RingFamily))
    devices = tuple(f for f in entries if isinstance(f, PercutaneousFamily))
    return Catalogue(rings, tuple(skipped), devices)


def load_entry_file(path: Path, *, user: bool = False) -> RingFamily | PercutaneousFamily:
    """Read one catalogue file: a ring family, or a percutaneous device (it has a ``type``)."""
    data = read_toml(path)
    if "type" in data:
        return parse_device(data, source=path.name, user=user)
    return parse_family(data, source=path.name, user=user)


def _add_user(
    entries: list[RingFamily | PercutaneousFamily], folder: Path, warn: Callable[[str], None]
) -> tuple[list[RingFamily | PercutaneousFamily], list[str]]:
    skipped: list[str] = []
    if not folder.is_dir():
        return entries, skipped
    for path in sorted(folder.glob("*.toml")):
        try:
            fam = load_entry_file(path, user=True)
            if fam.id in {f.id for f in entries}:
                raise InputError(
                    f"ring id {fam.id!r} is already in the catalogue; rename it", source=path.name
                )
        except MvplanError as exc:
            message = f"user ring file skipped: {exc}"
            skipped.append(message)
            warn(message)
            continue
        entries.append(fam)
    return entries, skipped
