"""Errors a user can cause, each carrying the place (file, line, column) it points at."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file; line and column count from 1, 0 means unknown."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line and self.column:
            return f"{self.path}:{self.line}:{self.column}"
        if self.line:
            return f"{self.path}:{self.line}"
        return self.path


@dataclass(frozen=True, order=True)
class Problem:
    """One diagnostic: where, what, and whether it stops the build."""

    location: Location
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        return printable(f"{self.location}: {kind}{self.message}")


def printable(text: str) -> str:
    """``text`` with control, bidi, surrogate and other invisible characters written as escapes,
    so that a diagnostic can neither garble a terminal nor fail to encode."""
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


class IjbriefError(Exception):
    """Anything the user can fix: bad input, a bad template, an output that cannot be written."""

    def __init__(self, problems: list[Problem] | str, location: Location | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem(location or Location("ijbrief"), problems)]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class InputError(IjbriefError):
    """The corpus (seeds/, briefs/) is invalid."""


class TemplateError(IjbriefError):
    """An audience template cannot be loaded or rendered."""


class RenderError(IjbriefError):
    """A document could not be laid out or written (overflow, refused fetch, engine failure)."""


def relative(path: Path, root: Path) -> str:
    """Show ``path`` relative to the project root when it lies inside it."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except (ValueError, RuntimeError, OSError):  # outside, or a symbolic link loop
        return str(path)
