"""What changed between two versions of an article, word by word (`newsarchive history`, the web
app's article page)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    """One change: the words around it, the words removed and the words added."""

    lead: str
    removed: str
    added: str
    tail: str

    def line(self) -> str:
        """The change on one line: …lead [-removed-] {+added+} tail…"""
        parts = (
            "…" + self.lead if self.lead else "",
            f"[-{self.removed}-]" if self.removed else "",
            f"{{+{self.added}+}}" if self.added else "",
            self.tail + "…" if self.tail else "",
        )
        return " ".join(part for part in parts if part)


def word_changes(before: str, after: str, context: int = 4) -> list[Change]:
    """Each change between two texts, with `context` words either side; whitespace is not a change."""
    old, new = before.split(), after.split()
    changes = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag != "equal":
            changes.append(
                Change(
                    " ".join(old[max(0, i1 - context) : i1]),
                    " ".join(old[i1:i2]),
                    " ".join(new[j1:j2]),
                    " ".join(old[i2 : i2 + context]),
                )
            )
    return changes
