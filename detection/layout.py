"""Paragraph and sentence boundaries for the quote and sourcing rules, found in one pass each."""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

# A non-blank line, matched from its start only: `^` turns every other position away at once, and the
# possessive run of leading blanks gives nothing back, so a line of spaces costs one pass (searching
# "[^\n]*[^\s][^\n]*" scanned the rest of a blank line from each of its positions: quadratic).
_PARAGRAPH = re.compile(r"^[^\S\n]*+\S[^\n]*", re.MULTILINE)
# A sentence ends at . ! ? (closing quotes and brackets may follow) before space and a capital, digit,
# quote or bracket; abbreviations ("Mr.", "U.S.", an initial "R.") are not ends. One newline always is.
_SENTENCE_END = re.compile(
    r"[.!?](?<![A-Z]\.[A-Z]\.)(?<!\b[A-Z]\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bMrs\.)"
    r"(?<!\bGov\.)(?<!\bSen\.)(?<!\bRep\.)(?<!\bGen\.)(?<!\bSgt\.)(?<!\bLt\.)(?<!\bCol\.)(?<!\bNo\.)"
    r"(?<!\bJr\.)(?<!\bSr\.)(?<!\bvs\.)(?<!\bInc\.)(?<!\bCo\.)(?<!\bProf\.)(?<!\bRev\.)(?<!\bSept\.)"
    r"(?<!\bJan\.)(?<!\bFeb\.)(?<!\bAug\.)(?<!\bOct\.)(?<!\bNov\.)(?<!\bDec\.)(?<!\bMt\.)"
    r"[\"'”’)\]]*[ \t\xa0]+(?=[\"'“‘(\[A-Z0-9])"
    r"|\n"
)


@dataclass(frozen=True, slots=True)
class Layout:
    """Where paragraphs (non-blank lines) and sentences start in one text; lookups are by offset."""

    text: str
    paragraph_starts: tuple[int, ...]
    paragraph_ends: tuple[int, ...]
    sentence_starts: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> Layout:
        paragraphs = [m.span() for m in _PARAGRAPH.finditer(text)] or [(0, 0)]
        sentences = (0, *(m.end() for m in _SENTENCE_END.finditer(text)))
        return cls(text, tuple(p[0] for p in paragraphs), tuple(p[1] for p in paragraphs), sentences)

    def paragraph_index(self, offset: int) -> int:
        """Which non-blank line holds ``offset`` (or precedes it), counting from 0."""
        return max(0, bisect_right(self.paragraph_starts, offset) - 1)

    def paragraph(self, offset: int) -> tuple[int, int]:
        """The (start, end) of the non-blank line holding ``offset``, end before its newline."""
        i = self.paragraph_index(offset)
        return self.paragraph_starts[i], self.paragraph_ends[i]

    def sentence(self, offset: int) -> tuple[int, int]:
        """The (start, end) of the sentence holding ``offset``."""
        i = bisect_right(self.sentence_starts, offset) - 1
        start = self.sentence_starts[i]
        end = self.sentence_starts[i + 1] if i + 1 < len(self.sentence_starts) else len(self.text)
        return start, end
