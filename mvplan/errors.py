"""Exceptions that mvplan raises for problems a user can act on.

Every error here carries a one-line message that names the input and what is
wrong with it; the command line prints that line and exits with the error's
``exit_code``. Programming errors stay ordinary Python exceptions.
"""

from __future__ import annotations


class MvplanError(Exception):
    """Base of the errors a user can act on (exit code 2: bad input)."""

    exit_code = 2

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.source = source
        text = " ".join(str(message).split())  # always one line
        super().__init__(f"{source}: {text}" if source else text)

    def __reduce__(self) -> tuple[object, ...]:
        # Subclasses take other arguments than their message (``Cancelled(message,
        # result)``), so rebuild from the message and the attributes, not by calling
        # ``__init__`` again: errors cross process boundaries (parallel work).
        return (_rebuilt_error, (type(self), str(self), self.__dict__))


def _rebuilt_error(
    cls: type[MvplanError], message: str, attributes: dict[str, object]
) -> MvplanError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(attributes)
    return error


class InputError(MvplanError):
    """A file, an option or a value that cannot be used as given."""


class GeometryError(InputError):
    """Geometry that is readable but not a usable annulus (too few points, self-crossing...)."""


class ConvergenceError(MvplanError):
    """A solve that did not converge; carries its best state (exit code 3)."""

    exit_code = 3
