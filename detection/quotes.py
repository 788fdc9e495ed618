"""Quoted stretches: pair quotation marks per paragraph, tell apostrophes apart, name direct or partial."""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from .layout import Layout

# Every mark that can open or close a quote; the doubled apostrophe some outlets print counts as one.
_MARK = re.compile(r"''|[\"“”„«»‘’']")
_DOUBLE_OPEN = frozenset("“„«")
_DOUBLE_CLOSE = frozenset("”»")
_OPENING_CONTEXT = frozenset(" \t\n\xa0([{—–-/:;,")
_SINGLE_OPENING_CONTEXT = frozenset(" \t\n\xa0([{—–-/")
_CLOSING_CONTEXT = frozenset(" \t\n\xa0)]}.,;:!?—–-…")
# An apostrophe that starts a word is an elision, not a quote: '90s, 'em, 'til, rock 'n' roll.
_ELISION = re.compile(
    r"\d0s\b|em\b|til\b|cause\b|n[’']|tis\b|twas\b|(?:twen|thir|for|fif|six|seven|eigh|nine)ties\b",
    re.IGNORECASE)
_WORD = re.compile(r"\w+")
_SENTENCE_PUNCT = frozenset(".!?,…")


@dataclass(frozen=True, slots=True)
class QuoteSpan:
    """One quoted stretch, marks included; ``open_end`` when its paragraph ends before it closes."""

    start: int
    end: int
    open_end: bool
    opens_paragraph: bool


def _double_role(text: str, pos: int, width: int) -> str | None:
    """'open', 'close' or None for a straight double mark, judged by the characters around it."""
    before = text[pos - 1] if pos else "\n"
    after = text[pos + width] if pos + width < len(text) else "\n"
    if before in _OPENING_CONTEXT or before in _DOUBLE_OPEN or before in "‘'":
        return None if after in " \t\n\xa0" else "open"
    return "close"


def _single_role(text: str, pos: int) -> str | None:
    """'open', 'close' or None (an apostrophe) for a straight or curly single mark."""
    before = text[pos - 1] if pos else "\n"
    after = text[pos + 1] if pos + 1 < len(text) else "\n"
    if text[pos] == "‘":
        return "open"
    if before.isalnum() and after.isalnum():
        return None  # Putin's, it's, c'est, 5'11
    if before in _SINGLE_OPENING_CONTEXT or before in _DOUBLE_OPEN or before == '"':
        if after in " \t\n\xa0" or _ELISION.match(text, pos + 1):
            return None
        return "open"
    if after in _CLOSING_CONTEXT or after in _DOUBLE_CLOSE or after == '"':
        return None if before.isdigit() else "close"
    return None


def _pair(text: str, start: int, end: int, double: bool,
          skip: tuple[tuple[int, int, bool], ...] = ()) -> list[tuple[int, int, bool]]:
    """Quotes of one family (double or single) inside ``text[start:end]``: (start, end, closed).

    Marks inside the ``skip`` spans (the other family's quotes) are passed over.
    """
    found: list[tuple[int, int, bool]] = []
    opened: int | None = None
    # The skip spans come in reading order without overlaps: a binary search finds the one that could
    # hold a mark (a scan of them all would make a paragraph of many quotes quadratic).
    skip_starts = [a for a, _, _ in skip]
    # Where the first word at or after the open mark starts (end when none): a single quote closes only
    # over a word, and searching from the open mark at every candidate close was quadratic ("‘!’ !’ !’").
    word_at = -1
    for m in _MARK.finditer(text, start, end):
        mark = m.group()
        pos = m.start()
        if skip:
            i = bisect_right(skip_starts, pos) - 1
            if i >= 0 and pos < skip[i][1]:
                continue
        if double:
            if mark in _DOUBLE_OPEN:
                role = "open"
            elif mark in _DOUBLE_CLOSE:
                role = "close"
            elif mark == '"' or mark == "''":
                role = _double_role(text, pos, len(mark))
                if role is None and opened is not None:
                    role = "close"
                if role == "close" and opened is None and pos and text[pos - 1].isdigit():
                    role = None  # an inch mark, 6'2"
            else:
                continue
        else:
            if mark in ("''", '"') or mark in _DOUBLE_OPEN or mark in _DOUBLE_CLOSE:
                continue
            role = _single_role(text, pos)
        if role == "open" and (opened is None or not double and mark == "‘"):
            # (a curly opener inside an open single quote: the first was an apostrophe)
            opened = pos
            if not double and word_at < pos:  # else no word starts before the one already found
                word = _WORD.search(text, pos, end)
                word_at = word.start() if word else end
        elif role == "close" and opened is not None:
            if not double and word_at >= pos:
                continue
            found.append((opened, m.end(), True))
            opened = None
    if opened is not None:
        found.append((opened, end, False))
    return found


def _inside(singles: list[tuple[int, int, bool]], single_starts: list[int],
            double: tuple[int, int, bool]) -> bool:
    """Whether a single quote opening before ``double`` closes at or after its end."""
    i = bisect_left(single_starts, double[0]) - 1
    return i >= 0 and double[1] <= singles[i][1]


def find_quote_spans(text: str, layout: Layout) -> list[QuoteSpan]:
    """Every quoted stretch in reading order; single-quoted ones only outside double quotes."""
    spans: list[QuoteSpan] = []
    for para_start, para_end in zip(layout.paragraph_starts, layout.paragraph_ends, strict=True):
        first = para_start + len(text[para_start:para_end]) - len(text[para_start:para_end].lstrip())
        doubles = _pair(text, para_start, para_end, double=True)
        singles = [s for s in _pair(text, para_start, para_end, double=False, skip=tuple(doubles))
                   if s[2] or s[0] == first]
        # British style nests double inside single: keep the outer single quote only.
        # The singles come in reading order without overlaps: only the last to open before a double can
        # hold it (testing every single against every double was quadratic in a paragraph of quotes).
        single_starts = [s[0] for s in singles]
        doubles = [d for d in doubles if not _inside(singles, single_starts, d)]
        for q_start, q_end, closed in sorted(doubles + singles):
            q_end = q_end if closed else q_start + len(text[q_start:q_end].rstrip())
            if q_end - q_start < 3:
                continue
            spans.append(QuoteSpan(q_start, q_end, not closed, q_start == first))
    return spans


def quote_subtype(text: str, span: QuoteSpan) -> str:
    """'direct' for a quoted utterance (a capitalised clause of three words or more), else 'partial'."""
    inner = text[span.start:span.end].strip("\"“”„«»‘’' \t\xa0")
    words = _WORD.findall(inner)
    if len(words) < 3 or not inner[:1].isupper() and not inner.startswith("…"):
        return "partial"
    before = text[max(0, span.start - 2):span.start].strip()
    if span.open_end or inner[-1:] in _SENTENCE_PUNCT or before.endswith(":") or span.opens_paragraph:
        return "direct"
    return "partial"
