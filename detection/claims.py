"""Split a stored body into claims: its headline, its standfirst and each sentence of the body."""
from __future__ import annotations

import re

from .model import Claim

# A candidate end: a line break, or terminal punctuation with its closing quotes and brackets, before white
# space and the opening of a new sentence (optional opening quote or bracket, then a letter or digit).
# Whether the letter is a capital, and whether the full stop closes an abbreviation, is checked per match.
# A run of marks is tried from its first mark only, and taken whole: tried from each mark of "......", the
# run was rescanned to its end every time (quadratic); a shorter run can never end a sentence anyway.
_CANDIDATE = re.compile(
    r"\n|(?P<end>(?<![.!?…])[.!?…]++[\"'”’»)\]]*+)(?=[^\S\n]+[\"'“‘«(\[]*(?P<next>\w))"
)
# The word a full stop follows, looked up only when a candidate ends in a full stop.
_WORD_BEFORE = re.compile(r"[\w.&'’-]*\Z")
_TAIL = 24
_WORD = re.compile(r"\w*")
_ACRONYM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")

# Never end a sentence: titles before a name, and words that a number or a name always follows.
_ABBREVIATIONS = frozenset(
    """mr mrs ms mx dr prof st sen rep gov gen col lt maj capt cmdr sgt cpl pvt adm rev fr hon pres supt
    insp det messrs mme mlle jan feb mar apr jun jul aug sep sept oct nov dec vs v e.g i.e cf approx
    est no nos vol pp fig ft mt ave blvd rd""".split()
)
# "No." is "number" only before a numeral ("No. 10"); "No. That was wrong." ends a sentence.
_BEFORE_NUMBER = frozenset({"no", "nos", "vol", "pp", "fig"})
# End a sentence only when the next word usually opens one: company suffixes, "Jr.", acronyms
# ("U.S. officials", "in the U.S. He said") and initials ("George W. Bush", "vitamin C. It").
_OFTEN_FINAL = frozenset({"inc", "corp", "co", "ltd", "llc", "plc", "jr", "sr", "bros", "esq", "etc"})
_OPENERS = frozenset(
    """a an the he she it its they we i you this that these those there but and so yet or if in on at
    as by for from to with after before when while since although though however meanwhile still then
    now his her their our my your one some many most all no not what who why how where""".split()
)


def _ends_sentence(text: str, dot: int, next_at: int) -> bool:
    """Whether the full stop at ``dot`` ends its sentence; ``next_at`` is the next word's first character."""
    before = _WORD_BEFORE.search(text, max(0, dot - _TAIL), dot)
    word = before.group().lstrip(".'’-&")
    key = word.lower()
    if not key:
        return True
    if key in _ABBREVIATIONS:
        return key in _BEFORE_NUMBER and not text[next_at].isdigit()
    if key.isdigit() and len(key) <= 2 and (before.start() == 0 or text[before.start() - 1] == "\n"):
        # "1. First item": a list number at the start of a line.
        return False
    if key in _OFTEN_FINAL or _ACRONYM.fullmatch(word) or (len(word) == 1 and word.isupper()):
        m = _WORD.match(text, next_at)
        return m.group().lower() in _OPENERS
    return True


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` in ``text``, end exclusive, trimmed of white space.

    A line break always ends a sentence, so no span crosses a paragraph.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _CANDIDATE.finditer(text):
        punct = m.group("end")
        if punct is None:
            end = m.start()
        else:
            next_at = m.start("next")
            if text[next_at].islower():
                continue
            if punct == "." and not _ends_sentence(text, m.start(), next_at):
                continue
            end = m.end()
        _append(text, start, end, spans)
        start = end
    _append(text, start, len(text), spans)
    return spans


def _append(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        spans.append((start + lead, start + lead + len(stripped)))


_BLANK_LINES = re.compile(r"\n[^\S\n]*\n\s*")
_FINAL_STOP = re.compile(r"\.[\"'”’»)\]]*$")
_HEADLINE_WORDS = 25
_STANDFIRST_WORDS = 60


def _paragraphs(body: str) -> list[tuple[int, int]]:
    """Trimmed spans of the blank-line separated paragraphs."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BLANK_LINES.finditer(body):
        _append(body, start, m.start(), spans)
        start = m.end()
    _append(body, start, len(body), spans)
    return spans


def _looks_like_headline(text: str) -> bool:
    return "\n" not in text and not _FINAL_STOP.search(text) and len(text.split()) <= _HEADLINE_WORDS


def _looks_like_standfirst(text: str) -> bool:
    return ("\n" not in text and not _FINAL_STOP.search(text) and not text.endswith(":")
            and len(text.split()) <= _STANDFIRST_WORDS)


def split_claims(body: str, title: str | None = None) -> list[Claim]:
    """Every claim of ``body`` in reading order, offsets into ``body``.

    The first paragraph is the headline (one claim) when it is ``title``, or, without a title, when it reads
    like one and something follows it; a short paragraph without a final full stop right after a headline is
    the standfirst (one claim); every other sentence is a body claim.
    """
    paragraphs = _paragraphs(body)
    claims: list[Claim] = []
    if paragraphs:
        start, end = paragraphs[0]
        first = body[start:end]
        if title is not None:
            is_headline = first.split() == title.split()
        else:
            is_headline = len(paragraphs) > 1 and _looks_like_headline(first)
        if is_headline:
            claims.append(Claim(start, end, first, "headline"))
            if len(paragraphs) > 1:
                start, end = paragraphs[1]
                if _looks_like_standfirst(body[start:end]):
                    claims.append(Claim(start, end, body[start:end], "standfirst"))
    body_from = claims[-1].end if claims else 0
    claims.extend(Claim(s, e, body[s:e], "body") for s, e in split_sentences(body) if s >= body_from)
    return claims
