"""The output formats, as the pages that list them see them (``compose/site``, ``compose/screen``,
``web/serve``): a name, a file suffix, a label, a media type, whether a browser shows the file.

Formats are added in one place, ``build/formats.py``, where each is a ``Writer`` (this
description and the function that writes it) and ``register`` puts its description here: the
compose stage may not import the writers, so it holds only what it shows of them."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class Format(Protocol):
    """What is shown of an output format."""

    @property
    def name(self) -> str: ...  # what --format, the manifest and serve's form call it

    @property
    def suffix(self) -> str: ...  # its files' suffix, with the dot

    @property
    def label(self) -> str: ...  # e.g. "Word (DOCX)"

    @property
    def media_type(self) -> str: ...  # what serve sends it as

    @property
    def in_browser(self) -> bool: ...  # a browser shows it (else a link to it downloads)


# In the order a build makes them and the pages list them; filled by build/formats.register.
_FORMATS: dict[str, Format] = {}


def describe(fmt: Format) -> None:
    _FORMATS[fmt.name] = fmt


def forget(name: str) -> None:
    _FORMATS.pop(name, None)


def formats() -> tuple[Format, ...]:
    """Every format a build can make, in order."""
    return tuple(_FORMATS.values())


def names() -> tuple[str, ...]:
    return tuple(_FORMATS)


def named(name: str) -> Format | None:
    return _FORMATS.get(name)


def output_path(stem: Path, name: str) -> Path:
    """The file a document's ``stem`` (relative to out/, no suffix) is written to in a format."""
    fmt = _FORMATS.get(name)
    return stem.with_name(stem.name + (fmt.suffix if fmt else f".{name}"))
