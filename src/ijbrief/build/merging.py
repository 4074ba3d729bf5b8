"""A dossier's laid-out parts merged into one PDF: in this process, or in a long-lived process's
merger, which keeps the parts and their open PDFs for its next merge."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ijbrief.build.assemble import PartStore
from ijbrief.errors import RenderError
from ijbrief.heap import freeze
from ijbrief.writers.layout import PartLayout

if TYPE_CHECKING:  # the writers import the engines: only when a merge is made
    from ijbrief.writers.pdf_merge import Merging


# The parts each dossier was last merged from, kept open in a long-lived process.
_OPENED: dict[str, Any] = {}


def _release_merges() -> None:
    """Free what this process's merges left behind."""
    for opened in _OPENED.values():
        opened.release()


def _settle_merger() -> None:
    """In the merger, between builds: free what its merges left behind, and keep the collector
    off what it holds (the parts and their open PDFs)."""
    _release_merges()
    gc.collect()
    freeze()


def _merge_begin(
    stem: str, folder: Path, keys: list[str], ahead: list[str], footer_key: str
) -> None:
    """Start merging a dossier with the parts placed ahead and the leading parts already laid
    out, while the rest are (runs in the merger; ``_merge_stored`` goes on from there if its
    parts are the same)."""
    store = PartStore(folder)
    try:
        merging = _fresh_merging(stem, store, footer_key, ahead)
    except RenderError:
        return  # not laid out yet: the merge starts when they are
    for key in keys:
        layout = store.get(key)
        if layout is None:
            break
        merging.add(key, layout)
    _MERGING[stem] = (footer_key, merging)


def _merge_stored(
    stem: str, folder: Path, keys: list[str], footer_key: str, ahead: list[str]
) -> tuple[bytes, list[str]]:
    """Merge a dossier's parts as stored, the last of them (``ahead``) placed ahead (runs in a
    long-lived process's merger, which keeps them in memory, and their PDFs open, for its next
    merge)."""
    store = PartStore(folder)
    begun_with, merging = _MERGING.pop(stem, (None, None))
    if (
        merging is None
        or begun_with != footer_key
        or merging.ahead != ahead
        or keys[: len(merging.keys)] != merging.keys
    ):
        merging = _fresh_merging(stem, store, footer_key, ahead)
    for key in keys[len(merging.keys) :]:
        merging.add(key, _stored(stem, store, key))
    merged = merging.finish(store)
    _MERGED_FROM[stem] = {*keys, footer_key}
    store.keep_loaded(set().union(*_MERGED_FROM.values()))
    return merged


def _fresh_merging(stem: str, store: PartStore, footer_key: str, ahead: list[str]) -> Merging:
    """A merge of a dossier begun afresh: its footer sample, and the parts it places ahead."""
    merging = _new_merging(stem, _stored(stem, store, footer_key).pdf)
    for key in ahead:
        merging.place_ahead(key, _stored(stem, store, key))
    return merging


def _stored(stem: str, store: PartStore, key: str) -> PartLayout:
    layout = store.get(key)
    if layout is None:
        raise RenderError(f"{stem}: a laid-out part went missing from {store.folder}")
    return layout


def _new_merging(stem: str, footer_sample: bytes) -> Merging:
    """A merge of a dossier, with the parts this process has open for it."""
    from ijbrief.writers.pdf_merge import Merging, OpenParts

    return Merging(_OPENED.setdefault(stem, OpenParts()), footer_sample)


# Merges begun in the merger, by dossier: with which footer sample.
_MERGING: dict[str, tuple[str, Merging]] = {}
# What each dossier was last merged from, in the merger: the parts it keeps in memory.
_MERGED_FROM: dict[str, set[str]] = {}
