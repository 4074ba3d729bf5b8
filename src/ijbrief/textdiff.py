"""Word-level differences between two texts, as the "Changes since" part of a dossier and the
redline of ``ijbrief diff`` both show them. A leaf: it imports nothing of ijbrief."""

from __future__ import annotations

import difflib
from collections.abc import Sequence


def word_opcodes(old: Sequence[str], new: Sequence[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes over tokens, with a change, a run of spaces and a change joined into
    one change (``progress on`` to ``the state of``, not two changes a space apart)."""
    merged: list[tuple[str, int, int, int, int]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op in matcher.get_opcodes():
        if (
            len(merged) >= 2
            and op[0] != "equal"
            and merged[-2][0] != "equal"
            and merged[-1][0] == "equal"
            and all(t.isspace() for t in old[merged[-1][1] : merged[-1][2]])
        ):
            first = merged[-2]
            merged[-2:] = [("replace", first[1], op[2], first[3], op[4])]
        else:
            merged.append(op)
    return merged
