"""Quotes and sourcing together: each quote takes its speaker from the attribution that frames it."""
from __future__ import annotations

import re

from .layout import Layout
from .lexicon import EVIDENCE_VERBS, verb_forms
from .model import Flag
from .quotes import QuoteSpan, find_quote_spans, quote_subtype
from .sourcing import Attribution, find_attributions, sentence_subject

_PRONOUN_SOURCES = frozenset(("he", "she", "it", "they", "who", "which"))
_EVIDENCE_CUES = frozenset(verb_forms(EVIDENCE_VERBS))
_CLOSERS = "\"'”’»"
# What may sit between a quote and the attribution right after it: '," he said', '" – Peskov added'.
_JOINER = re.compile(r"[ \t\xa0,.;:!?—–-]{0,4}")


def find_quotes_and_sourcing(text: str) -> tuple[list[Flag], list[Flag]]:
    """Quote flags and sourcing flags for ``text``, offsets into ``text``, each list in reading order."""
    layout = Layout.of(text)
    spans = find_quote_spans(text, layout)
    attributions = find_attributions(text, layout, spans)
    sourcing = [
        Flag("sourcing", a.subtype, a.start, a.end, text[a.start:a.end], {"source": a.source, "cue": a.cue})
        for a in attributions
    ]
    quotes = []
    for span, (speaker, cue) in zip(spans, _speakers(text, layout, spans, attributions), strict=True):
        quotes.append(Flag("quote", quote_subtype(text, span), span.start, span.end,
                           text[span.start:span.end], {"speaker": speaker, "cue": cue}))
    return quotes, sourcing


def _speakers(text: str, layout: Layout, spans: list[QuoteSpan],
              attributions: list[Attribution]) -> list[tuple[str | None, str | None]]:
    """(speaker, cue) per quote: the attribution beside it, in its sentence or paragraph (a colon reaches
    into the next paragraph), else the speaker of the quote it continues."""
    found: list[tuple[str | None, str | None]] = []
    a_index = 0
    previous: tuple[str | None, str | None] = (None, None)
    previous_paragraph = -1
    run_open = False
    for span in spans:
        while a_index < len(attributions) and attributions[a_index].end <= span.start:
            a_index += 1
        # The attribution ending nearest before the quote: one that encloses another ("The report, which
        # Smith said was flawed, found") starts first but ends last.
        nearest = max(range(max(0, a_index - 3), a_index), key=lambda k: attributions[k].end, default=None)
        before = attributions[nearest] if nearest is not None else None
        after = next((a for a in attributions[a_index:] if a.start >= span.end), None)
        paragraph = layout.paragraph_index(span.start)
        sentence_start = layout.sentence(span.start)[0]
        sentence_end = layout.sentence(max(span.start, span.end - 1))[1]
        link: Attribution | None = None
        continues = run_open and span.opens_paragraph and paragraph == previous_paragraph + 1
        # A sentence ends inside the quote ('… fragile."') or just after it, British style ('… fragile".').
        ends_sentence = text[span.start:span.end].rstrip(_CLOSERS)[-1:] in ".!?" \
            or after is not None and any(mark in text[span.end:after.start] for mark in ".!?")
        # '… told the BBC the figures were “a turning point”, adding: “…”': "adding:" opens the next quote;
        # this one is the earlier attribution's.
        introduces_next = text.startswith(":", after.end) if after is not None else False
        if after is not None and _JOINER.fullmatch(text, span.end, after.start) \
                and not (ends_sentence and text[after.start].isupper() and not text.startswith(
                    after.cue, after.start)) \
                and not (introduces_next and before is not None and before.start >= sentence_start):
            link = after
        elif continues:
            link = None
        elif before is not None and (before.start >= sentence_start
                                     or text[before.end:span.start].rstrip().endswith(":")):
            link = _main_clause(text, attributions, nearest, sentence_start)
        elif after is not None and after.start < sentence_end:
            link = after
        elif before is not None and layout.paragraph_index(before.start) == paragraph:
            link = before
        if link is not None and link.source is not None:
            current = (link.source, link.cue)
        elif paragraph - previous_paragraph <= 1:
            current = (previous[0], None)
        else:
            current = (None, None)
        found.append(current)
        run_open = span.open_end
        if current[0] is not None:
            previous, previous_paragraph = current, paragraph
    return found


def _main_clause(text: str, attributions: list[Attribution], nearest: int,
                 sentence_start: int) -> Attribution:
    """The attribution a quote belongs to among those before it in its sentence.

    A pronoun or relative one ("Lynch said she recalled …", "told a woman who suggested …", "what he
    called …") hangs off the sentence's main clause, whose source the quote is credited to. So does a
    finding reported by a speaker ("Reyes said the figures showed “…”"): figures utter no words.
    """
    link = attributions[nearest]
    if _evidence(link):
        for k in range(nearest - 1, -1, -1):
            earlier = attributions[k]
            if earlier.start < sentence_start:
                break
            if earlier.source and not _evidence(earlier) and earlier.end <= link.start:
                return _main_clause(text, attributions, k, sentence_start)
    opening = text[link.start:link.start + 6].split(" ")[0].lower()
    if (link.source or "").lower() not in _PRONOUN_SOURCES and opening not in _PRONOUN_SOURCES:
        return link
    for k in range(nearest - 1, -1, -1):
        earlier = attributions[k]
        if earlier.start < sentence_start:
            break
        if earlier.source and earlier.source.lower() not in _PRONOUN_SOURCES:
            return earlier
    if text[max(0, link.start - 5):link.start].lower() == "what ":
        subject = sentence_subject(text, sentence_start, link.start)
        if subject is not None and text[subject[0]:subject[1]].lower() not in _PRONOUN_SOURCES:
            return Attribution(link.start, link.end, text[subject[0]:subject[1]], link.cue, link.subtype)
    return link


def _evidence(attribution: Attribution) -> bool:
    """Whether the cue reports a finding ("showed", "found"), not words someone said."""
    return attribution.cue.rsplit(" ", 1)[-1].lower() in _EVIDENCE_CUES
