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
from mvplan.rings.schema import load_family_file
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

    Attributes
    ----------
    families : tuple of RingFamily
    skipped : tuple of str
        One message per user file that was skipped.
    """

    families: tuple[RingFamily, ...]
    skipped: tuple[str, ...] = ()

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
            known = ", ".join(self)
            raise InputError(f"unknown ring family {family_id!r} (known: {known})") from None


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
    families: list[RingFamily] = []
    for path in sorted(folder.glob("*.toml")):
        fam = load_family_file(path)
        if fam.id in {f.id for f in families}:
            raise InputError(f"ring id {fam.id!r} is used twice in the catalogue", source=path.name)
        families.append(fam)
    skipped: list[str] = []
    if include_user:
        families, skipped = _add_user(families, user_dir or user_rings_dir(), warn)
    return Catalogue(tuple(families), tuple(skipped))


def _add_user(
    families: list[RingFamily], folder: Path, warn: Callable[[str], None]
) -> tuple[list[RingFamily], list[str]]:
    skipped: list[str] = []
    if not folder.is_dir():
        return families, skipped
    for path in sorted(folder.glob("*.toml")):
        try:
            fam = load_family_file(path, user=True)
            if fam.id in {f.id for f in families}:
                raise InputError(
                    f"ring id {fam.id!r} is already in the catalogue; rename it", source=path.name
                )
        except MvplanError as exc:
            message = f"user ring file skipped: {exc}"
            skipped.append(message)
            warn(message)
            continue
        families.append(fam)
    return families, skipped
