"""Attributions: who a sentence credits (source) and with which words (cue), and how identified they are."""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from .layout import Layout
from .lexicon import (
    ANONYMOUS_HEADS,
    ANONYMOUS_MARKERS,
    AUXILIARIES,
    BELIEF_VERBS,
    CAPITALISED_FUNCTION,
    DETERMINERS,
    EVIDENCE_HEADS,
    EVIDENCE_VERBS,
    GROUP_ADJECTIVES,
    LABEL_STOP,
    NEWSROOM_HEADS,
    NOUN_LIKE,
    PARTICIPLES_AFTER,
    PARTICLE_CUES,
    PERSON_ONLY,
    PERSONAL_PRONOUNS,
    PRONOUNS,
    REPORT_NOUN_BEFORE,
    SINGULAR_PERSON_HEADS,
    SPEECH_VERBS,
    STOP_WORDS,
    TIME_WORDS,
    VAGUE_DETERMINERS,
    VAGUE_HEADS,
    verb_forms,
    word_regex,
)
from .quotes import QuoteSpan

_SPEECH = verb_forms(SPEECH_VERBS)
_EVIDENCE = verb_forms(EVIDENCE_VERBS)
_BELIEF = verb_forms(BELIEF_VERBS)
_FORMS = {**_BELIEF, **_EVIDENCE, **_SPEECH}
_BE = frozenset(("is", "was", "were", "are", "be", "been", "being"))
_HAVE = frozenset(("has", "have", "had"))
_MODALS = frozenset(("will", "would", "could", "might", "may", "can", "should", "must", "did", "do", "does",
                     "n't", "not", "to"))
_POSSESSIVES = frozenset(("his", "her", "their", "its", "our", "my", "your"))
_REFUSING = frozenset(("declined", "declines", "decline", "refused", "refuses", "refuse"))

_VAGUE_PHRASE = (
    r"\b(?:[Rr]eportedly|[Aa]llegedly|[Pp]urportedly)\b"
    r"|\b[Ii]t (?:is|was|has been|had been) (?:widely )?(?:(?:understood|believed|thought|alleged|rumou?red"
    r"|feared)(?=[ ,])|(?:said|claimed|reported|suggested|expected)(?= that| to))"
    r"|\b(?:is|are|was|were) (?:widely )?(?:said|reported|believed|thought|understood|alleged|rumou?red)"
    r"(?= to)"
)
_LABEL = r"(?:^|(?<=\n))[ \t\xa0]*[\"“]?[A-Z][\w.’'-]*(?:[ \xa0][A-Z][\w.’'-]*){0,4}:(?=[ \xa0])"
_CUE = re.compile(
    r"(?P<according>\b[Aa]ccording to\b)"
    rf"|(?P<vague>{_VAGUE_PHRASE})"
    rf"|(?<![\w’'-])(?P<verb>{word_regex([*_FORMS, *(f.capitalize() for f in _FORMS)])})(?![\w’'-])"
    rf"|(?P<label>{_LABEL})"
    r"|(?<=[”\"])[ \t\xa0]*(?P<dash>[―—–]|--)[ \t\xa0]*(?=[A-Z])"
)
_WITHHELD = re.compile(
    r"[ \xa0]+(?:not to be|that (?:his|her|their) name|for anonymity|on condition|anonymously)")
_PARTICLE = re.compile(r"[ \xa0]*(\w+|:)")
_QUOTE_AHEAD = re.compile(r"[,:]?[ \xa0]*[\"“‘']")
_AFTER_QUOTE = re.compile(r"[,?!][\"”’'][ \xa0]+\S+[ \xa0]+$")
# "2,300" is one token: a thousands separator is no clause comma ("The firm, which employs 2,300 staff,").
_TOKEN = re.compile(r"[\w$][\w.’'&/-]*(?:(?<=\d),\d{3}(?!\d))*|--|[^\w\s]")
# How a role before a name opens: "The chancellor, Rachel Moore,", "Its director, Paul Kerr,".
_ROLE_OPENERS = frozenset(("the", "its", "his", "her", "their", "our"))
_REFLEXIVE_AFTER = re.compile(r"\s+(?:itself|himself|herself|themselves|ourselves|myself)\b")
# A US legislator's party and state after the name: "R-Ky.", "D-N.Y.", "I-Vt."
_PARTY_AND_STATE = re.compile(r"[DRI]-[A-Z][A-Za-z.]{1,6}")
# ", Sarah Jones," after a source: the person is named right after the role.
_APPOSITIVE_NAME = re.compile(
    r",[ \xa0]+(?:(?:Dr|Mr|Mrs|Ms|Prof)\.?[ \xa0]+)?[A-Z][\w'’-]+(?:[ \xa0][A-Z][\w'’.-]+){1,3}(?=[,.;:])")
_CLOSING_QUOTES = frozenset(("”", '"', "''", "’", "'", "»"))
_SEPARATORS = frozenset((",", "--", "—", "–", "―", "(", ")", ";"))
# What follows an inverted cue up to the sentence end; abbreviations' dots do not end it.
# Each character's test looks only at its neighbours, so a run found from one cue ends where the run found
# from any later cue inside it ends: the cues of one sentence share one scan (see _Finder._forward_source).
_FORWARD_RUN = re.compile(r"(?:[^.;:!?\n\"“”(]|\.(?=\w)|(?<=\b[A-Z])\.|(?<=Mr|Ms|Dr|St)\.)+")
_BLANKS = re.compile(r"[ \t\xa0]*")
_NAME_AHEAD = re.compile(r"(?:[A-Z][\w.’'-]*[ \xa0]?){1,5}")
_OUTLET_AHEAD = re.compile(r"[ \xa0]+((?:the[ \xa0]+)?(?:[A-Z][\w.’'&-]*[ \xa0]?)+)")
_QUOTE_NEXT = re.compile(r"[,:]?[ \xa0]*[\"“]")
_NAMING = re.compile(r"[ \xa0]+(?:the[ \xa0]+)?[A-Z]")
_COMPLEMENT = re.compile(r"[ \xa0]*(?:that\b|[:,\"“‘])")
# What follows "added" when it adds a thing rather than words: a number or a noun phrase's first word.
_OBJECT_AHEAD = re.compile(
    r"[ \xa0]+(?:[$£€]?\d|(?:a|an|another|more|new|some|two|three|four|five|ten|hundreds|thousands|dozens"
    r"|millions|its|their|his|her|fuel|weight|value|insult)\b)", re.IGNORECASE)
_QUOTE_BEHIND = re.compile(r"[\"”’'][ \xa0]*$")
_REPORT_COMPLEMENT = re.compile(r"[ \xa0]+(that|of|suggest\w*|say\w*|said|indicat\w*|claim\w*)\b")
_SAME_CLAUSE = re.compile(r"[^.;:!?\"“”]{0,80}")
_WORD = re.compile(r"[A-Za-z][\w’'-]*")
# The longest source phrase looked at: real ones end at a comma or a full stop long before (the longest
# in the PolNeAR dev set is 131 characters), and a text of bare "according to ... according to ..." must
# not cost time quadratic in its length.
MAX_SOURCE_CHARS = 240
# The same for the source after an inverted cue ('"…," said Jane Doe, a lawyer who …'), which runs to the
# sentence end: the longest in the eval files is 257 characters; read to the end of a sentence of bare
# "x, said y" cues, each one cost time quadratic in its length.
MAX_INVERTED_CHARS = 1000
_FORWARD_CLAUSE = re.compile(r"[^,.;:!?\n\"“”()—–]+")
# Words after a source's head noun: "officials in the FBI", "a person close to", "experts I spoke to".
_HEAD_END = (STOP_WORDS - {"and", "or"}) | frozenset((
    "close", "familiar", "briefed", "involved", "interviewed", "speaking", "talking", "writing",
    "knowledgeable", "inside", "outside", "across", "near", "—", "–", "--", "(", "i",
))
_CLASS_NOUNS = SINGULAR_PERSON_HEADS | ANONYMOUS_HEADS | VAGUE_HEADS | {"democrats", "republicans"}
# "-ing" forms that attribute after a comma ("…, adding"); "asking"/"questioning" there are not speech.
_SPEECH_PARTICIPLES = frozenset(f for f, lemma in _SPEECH.items() if lemma not in PERSON_ONLY - {"call"})
_PERSON_PRONOUNS = frozenset(("he", "she", "they", "we", "i"))


@dataclass(frozen=True, slots=True)
class Attribution:
    """A source and its cue; ``start``/``end`` cover both, as the sourcing flag will."""

    start: int
    end: int
    source: str | None
    cue: str
    subtype: str


def _think_tank(word: str, following: str) -> bool:
    """"think" before "tank": the noun "think tank" ("the Resolution Foundation think tank"), not the verb."""
    return word == "think" and following in ("tank", "tanks")


# Where a clause opens: the sentence start, a comma or a semicolon, "and", "but", "while".
_CLAUSE_OPENS = re.compile(r"(?:^|[,;:—–(“”\"‘’]|\b(?:and|but|while|yet|whereas))[ \xa0]*$")
_IRREGULAR_PLURALS = frozenset(("people", "police", "men", "women", "children"))
_STANDING_FOR_PEOPLE = frozenset(("some", "many", "others", "most", "few", "several", "one", "another"))


def _plural(word: str) -> bool:
    """A plural noun: "critics" or "people", not "press", "bus", "analysis" or "Trump’s"."""
    return word.endswith("s") and not word.endswith(("ss", "us", "is", "’s", "'s")) \
        or word.lower() in _IRREGULAR_PLURALS


def _head(source: str) -> tuple[str, str, bool]:
    """(first word, head noun, head is a name) of a source phrase; "one of his aides" has head "aides"."""
    words = source.split()
    if not words:
        return "", "", False
    lows = [w.strip(",").lower() for w in words]
    if len(words) > 2 and lows[1] == "of" and (lows[0] in DETERMINERS or "-" in lows[0]):
        words, lows = words[2:], lows[2:]
    n = 0
    for k, low in enumerate(lows):
        if low in _HEAD_END and k and not _think_tank(low, lows[k + 1] if k + 1 < len(lows) else ""):
            break
        n = k
        if words[k].endswith(","):
            break  # an appositive follows: "Mike Schmidt, an adviser" is headed by Schmidt
    while n > 0 and lows[n].endswith("ed") and not words[n][:1].isupper():
        n -= 1  # "a report released last year": the head is "report"
    head = lows[n]
    named = words[n][:1].isupper() and (head not in _CLASS_NOUNS or head == "press") \
        and head.strip("s") not in GROUP_ADJECTIVES  # "the press" is vague, "the Associated Press" named
    return lows[0], head, named


# A group is identified by the body its members belong to (FLAGGING.md: "Democrats on the committee said"
# is named), not by a topic ("experts on North Korea") or a quantifier ("some members").
_MEMBER_HEADS = frozenset((
    "members", "democrats", "republicans", "researchers", "scientists", "economists", "analysts",
    "experts", "academics", "lawmakers", "legislators", "leaders", "prosecutors", "lawyers", "doctors",
    "teachers",
))
_OF_A_BODY = re.compile(
    r"\b(?:of|on|at|from|for|with|in)[ \xa0]+(?:[Tt]he[ \xa0]+)?(?:[A-Z][\w.&'’-]*[ \xa0]+){0,6}"
    r"(?i:committee|panel|board|council|commission|court|caucus|university|college|institute|school"
    r"|hospital|department|ministry|agency|bank|party|office|foundation|cent(?:re|er)|trust|society"
    r"|association|union|fund|authority|company|firm|campaign|administration|senate|house|assembly"
    r"|parliament|congress|lab|laboratory|organi[sz]ation)\b"
    # "economists at Capital Economics", "researchers at MIT": what follows "at" is the body's name
    r"|\bat[ \xa0]+(?:[Tt]he[ \xa0]+)?[A-Z][\w.&'’-]*")
# "economists polled by Reuters", "voters surveyed by YouGov": people identified by the poll that asked them.
_POLLED_BY = re.compile(
    r"\b(?:polled|surveyed|questioned|canvassed)[ \xa0]+by[ \xa0]+(?:[Tt]he[ \xa0]+)?[A-Z]")


def classify(source: str) -> str:
    """'anonymous', 'vague' or 'named' for a non-pronoun source phrase."""
    first, head, named = _head(source)
    if named:
        return "named"
    if ANONYMOUS_MARKERS.search(source):
        return "anonymous"
    if head == "executive" and "chief executive" in source.lower() \
            and first not in ("a", "an", "one", "another"):
        return "named"  # "the charity's chief executive": a post one person holds
    if head in SINGULAR_PERSON_HEADS and first in ("a", "an", "one", "another"):
        return "anonymous"
    if head in ANONYMOUS_HEADS and head not in ("democrat", "republican"):
        return "anonymous"
    if head in _MEMBER_HEADS and first not in VAGUE_DETERMINERS and _OF_A_BODY.search(source):
        return "named"  # "Democrats on the committee", "researchers at Oxford University": identified
    if first not in VAGUE_DETERMINERS and _POLLED_BY.search(source):
        return "named"
    if head in VAGUE_HEADS or first in VAGUE_DETERMINERS:
        return "vague"
    return "named"


def _is_name(token: str) -> bool:
    return token[:1].isupper() and token.lower() not in CAPITALISED_FUNCTION


def _bracketed_tag(tokens: list[re.Match], i: int) -> bool:
    """True when ``tokens[i]`` closes a short tag in brackets right after a word: an organisation's short
    name, "the Office for National Statistics (ONS)", or a legislator's party and state, "Paul (R-Ky.)"."""
    if i < 3 or tokens[i].group() != ")" or tokens[i - 2].group() != "(":
        return False
    short = tokens[i - 1].group()
    return short[:1].isupper() and sum(c.isupper() for c in short) >= 2 \
        and tokens[i - 3].group()[:1].isalnum()


def _noun_phrase(tokens: list[re.Match], i: int) -> int | None:
    """Index of the first token of the noun phrase ending at ``tokens[i]``, or None if none ends there."""
    word = tokens[i].group()
    low = word.lower()
    if not (word[0].isalnum() or word[0] == "$") or low in STOP_WORDS and low not in DETERMINERS:
        return None
    if word[0].isupper() and low in CAPITALISED_FUNCTION and low not in DETERMINERS:
        return None
    j = i
    while j > 0 and i - j < 9:
        prev = tokens[j - 1].group()
        low = prev.lower()
        by_evidence = low == "by" and j >= 2 and tokens[j - 2].group().lower() in EVIDENCE_HEADS
        if tokens[j].group().lower() in DETERMINERS and not by_evidence:
            break  # "a 2019 study by the institute" runs on past its inner determiner
        if _bracketed_tag(tokens, j - 1) and tokens[j - 4].group()[:1].isupper():
            j -= 4  # "the Institute for Fiscal Studies (IFS) think tank": over the tag in brackets
            continue
        if not (prev[0].isalnum() or prev[0] == "$"):
            break
        if prev[0].isupper():
            if low in CAPITALISED_FUNCTION and low not in DETERMINERS:
                break
        elif low in ("of", "and", "&", "for", "de", "van", "von", "al", "bin", "at", "by"):
            names = j - 2 >= 0 and tokens[j - 2].group()[:1].isupper() and tokens[j].group()[:1].isupper() \
                and low != "by" or by_evidence
            plurals = low == "and" and j - 2 >= 0 and tokens[j - 2].group()[-1:] == "s" \
                and tokens[j].group()[-1:] == "s" and tokens[j].group().islower()
            if not (names or plurals):
                break
        elif _think_tank(low, tokens[j].group().lower()):
            pass
        elif low in STOP_WORDS and low not in DETERMINERS or low in _FORMS \
                or low.endswith("ed") and tokens[j].group()[:1].isupper():
            break  # "recalled Mr. Obama": a verb before a name ends the phrase
        j -= 1
    return _post_modified(tokens, j)


# Prepositions that attach a phrase to the source before it: "a source close to the talks",
# "a spokesperson for the police", "people familiar with the plan".
_POST_MODIFIER = frozenset(("to", "with", "for", "of", "in", "at", "from", "inside", "within", "on"))


# Participles that tie a document to where or by whom it came out: "a study published in The Lancet",
# "figures released by the ONS" (the one place "by" links a phrase to the source before it).
_PUBLISHED = frozenset(("published", "released", "issued", "conducted", "commissioned", "compiled",
                        "produced", "obtained", "seen", "leaked"))
# "economists polled by Reuters": people asked in a poll, and who asked them.
_POLLED = frozenset(("polled", "surveyed", "questioned", "canvassed"))
_LINKS = _POST_MODIFIER | {"by"}
_BY_LINKED = _PUBLISHED | _POLLED
# "a source speaking to Fox News said": whom the source spoke to, not who spoke.
_TALKING = frozenset(("speaking", "talking", "writing"))


def _post_modified(tokens: list[re.Match], j: int) -> int:
    """Extend a noun phrase starting at ``tokens[j]`` back over "NOUN PREPOSITION" links, twice at most."""
    for _ in range(2):
        if j < 2 or tokens[j - 1].group().lower() not in _LINKS:
            break
        if tokens[j - 1].group().lower() == "by" and tokens[j - 2].group().lower() not in _BY_LINKED:
            break
        before = tokens[j - 2].group()
        low = before.lower()
        if low in _TALKING and tokens[j - 1].group().lower() == "to" and j >= 3:
            k = _noun_phrase(tokens, j - 3)  # "another intelligence source speaking to Fox News": the source
            if k is None or tokens[k].group().lower() not in DETERMINERS \
                    and not tokens[k].group()[:1].isupper():
                break
            j = k
            continue
        # "a study published in The Lancet", "figures released by the ONS", "economists polled by Reuters"
        if j >= 3 and (low in _PUBLISHED and tokens[j - 3].group().lower() in EVIDENCE_HEADS
                       or low in _POLLED and tokens[j - 1].group().lower() == "by"):
            k = _noun_phrase(tokens, j - 3)
            if k is None:
                break
            j = k
            continue
        if not before[0].isalnum() or low in STOP_WORDS and low not in ("close",) or low in _FORMS \
                or low.endswith(("ed", "ing", "ly")) and low not in ("briefed",):
            break
        k = _noun_phrase(tokens, j - 2)
        if k is None or low not in ("close", "familiar", "briefed") and tokens[k].group().lower() not in \
                DETERMINERS and not tokens[k].group()[:1].isupper():
            break
        j = k
    return j


def sentence_subject(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The noun phrase opening the sentence at ``start`` when it looks like a subject."""
    tokens = list(_TOKEN.finditer(text, start, min(end, start + 160)))
    k = 0
    if tokens and tokens[0].group().lower() in STOP_WORDS | CAPITALISED_FUNCTION:
        # "During a speech on Monday, Trump …": the subject follows the opening phrase's comma.
        comma = next((n for n, t in enumerate(tokens[:15]) if t.group() == ","), None)
        if comma is not None:
            k = comma + 1
    while k < len(tokens) and tokens[k].group() in ("“", '"', "‘", "'", "''"):
        k += 1
    if k >= len(tokens):
        return None
    word = tokens[k].group()
    if word.lower() in PERSONAL_PRONOUNS:
        return tokens[k].start(), tokens[k].end()
    if not (_is_name(word) or word.lower() in DETERMINERS and word[:1].isupper()):
        return None
    n = k + 1
    while n < len(tokens) and n - k < 7:
        word = tokens[n].group()
        w = word.lower()
        if not word[0].isalnum() or w in STOP_WORDS and w not in DETERMINERS or w in AUXILIARIES \
                or w in _FORMS or w.endswith("ed") and word.islower() or w.endswith("ly") and word.islower():
            break
        n += 1
    return tokens[k].start(), tokens[n - 1].end()


class _Finder:
    """One text's attribution scan; holds the text, its layout and the quotes already found."""

    def __init__(self, text: str, layout: Layout, quotes: list[QuoteSpan]) -> None:
        self.text = text
        self.layout = layout
        self.quote_ends = [q.end for q in quotes]
        self.quote_starts = [q.start for q in quotes]
        self.found: list[Attribution] = []
        self._run: tuple[int, int, int] | None = None  # (sentence end, start, end) of the last forward run

    def run(self) -> list[Attribution]:
        """Every attribution, in reading order, from one scan of the cue regex."""
        for m in _CUE.finditer(self.text):
            kind = m.lastgroup
            if kind == "according":
                self._according(m)
            elif kind == "vague":
                self._add(m.start(), m.end(), None, m.group(), "vague")
            elif kind == "verb":
                self._verb(m)
            elif kind == "label":
                self._label(m)
            elif kind == "dash":
                self._dash(m)
        self.found.sort(key=lambda a: (a.start, a.end))
        return self.found

    # -- shapes -------------------------------------------------------------------------------------

    def _according(self, m: re.Match) -> None:
        """"according to X": the source runs to the end of the clause."""
        clause = _FORWARD_CLAUSE.match(self.text, m.end(), m.end() + MAX_SOURCE_CHARS)
        if clause is None or not clause.group().strip():
            return
        source = clause.group()
        if clause.end() == m.end() + MAX_SOURCE_CHARS:
            source = source.rsplit(None, 1)[0]  # no clause end in reach: stop at the last whole word
        end = clause.start() + len(source.rstrip())
        source = source.strip()
        if source.split()[0].lower() in ("to", "the") and len(source.split()) == 1:
            return
        subtype = "vague" if _head(source)[1] in ("reports", "report", "media", "rumours", "rumors") \
            else classify(source)
        if subtype != "named" and _APPOSITIVE_NAME.match(self.text, end):
            subtype = "named"  # "according to the charity's chief executive, Sarah Jones, ..."
        self._add(m.start(), end, source, "according to", subtype)

    def _label(self, m: re.Match) -> None:
        """"Pence: …" opening a line (headlines, transcripts) credits the short name before the colon."""
        start = m.start() + len(m.group()) - len(m.group().lstrip(" \t\xa0\"“"))
        label = self.text[start:m.end() - 1]
        words = label.split()
        if label.lower() in LABEL_STOP or words[-1].lower() in LABEL_STOP or len(words) > 3 \
                or any(w.lower() in CAPITALISED_FUNCTION for w in words):
            return
        self._add(start, m.end(), label, ":", classify(label))

    def _dash(self, m: re.Match) -> None:
        """'“…” ― Jane Doe': a name after a dash that follows a quote signs it."""
        name = _NAME_AHEAD.match(self.text, m.end(), m.end() + 80)
        if name is None:
            return
        source = name.group().strip()
        self._add(m.start("dash"), m.end() + len(source), source, m.group("dash"), classify(source))

    def _verb(self, m: re.Match) -> None:
        """A reporting verb: find its subject by the shape of the words before it."""
        text = self.text
        form = m.group("verb")
        low = form.lower()
        lemma = _FORMS[low]
        if form[0].isupper() and not self._headline(m.start()) \
                and low not in ("speaking", "talking", "writing"):
            return
        cue_end = m.end()
        particles = PARTICLE_CUES.get(lemma)
        if lemma == "continue":
            # "She continued, “…" and "…,” she continued." are speech; "the trend continued," is not.
            if not (_QUOTE_AHEAD.match(text, cue_end) or _AFTER_QUOTE.search(text, max(0, m.start() - 40),
                                                                             m.start())):
                return
        elif particles:
            nxt = _PARTICLE.match(text, cue_end)
            if nxt is None or nxt.group(1).lower() not in particles:
                return
            cue_end = nxt.end()
        if lemma in ("ask", "request", "speak") and _WITHHELD.match(text, cue_end):
            return  # "who asked not to be named" withholds a name; it credits nobody
        if lemma == "add" and _OBJECT_AHEAD.match(text, cue_end) \
                and not _QUOTE_BEHIND.search(text, max(0, m.start() - 4), m.start()):
            return  # "the economy added 150,000 jobs" is not speech; '…," added a Democrat' is
        sent_start, sent_end = self.layout.sentence(m.start())
        tokens = list(_TOKEN.finditer(text, max(sent_start, m.start() - 300), m.start()))
        if low in ("reports", "report") and self._report_noun(m, tokens):
            return
        i = len(tokens) - 1
        skipped: set[str] = set()
        while i >= 0:
            word = tokens[i].group()
            w = word.lower()
            if w in AUXILIARIES or w in TIME_WORDS or (word.endswith("ly") and word.islower() and len(w) > 4):
                skipped.add(w)
                i -= 1
                continue
            if w == "to" and i > 0 and tokens[i - 1].group().lower() in _REFUSING and lemma in _SPEECH:
                skipped.add("to")  # "Kendall declined to comment": PolNeAR and reviewers count the refusal
                i -= 2
                continue
            break
        ing = low.endswith("ing")
        progressive = ing and bool(skipped & _BE)
        if skipped & _BE and not ing and not skipped & _HAVE:
            return  # passive: "he was told" names the listener, not the source
        cue = text[m.start():cue_end]
        if i < 0:
            if ing and lemma in ("speak", "talk", "write"):
                self._speaking_to(m, cue_end)
            return
        word = tokens[i].group()
        w = word.lower()
        if ing and not progressive:
            if w in PARTICIPLES_AFTER and low in _SPEECH_PARTICIPLES:
                self._participle(m, cue_end, sent_start)
                return
            if not (_is_name(word) and _QUOTE_NEXT.match(text, cue_end)):
                return  # "footage of Clinton asking, “…”" is an attribution; "a promising start" is not
        if word in _CLOSING_QUOTES or (word == "," and i > 0 and tokens[i - 1].group() in _CLOSING_QUOTES):
            if lemma in _SPEECH:
                self._inverted(m, cue_end, sent_end)
            return
        if _bracketed_tag(tokens, i):
            # "the Office for National Statistics (ONS) said", "Rand Paul (R-Ky.) said": the name speaks.
            j = _noun_phrase(tokens, i - 3)
            if j is not None:
                self._credit(tokens[j].start(), tokens[i - 3].end(), cue_end, cue, lemma, low, skipped)
            return
        if word in _SEPARATORS:
            if word in ("(", ";"):
                return
            subject = self._appositive(tokens, i)
            if subject is None:
                if word == "," and lemma in _SPEECH:
                    self._inverted(m, cue_end, sent_end, quoted=False)
                return
            self._credit(subject[0], subject[1], cue_end, cue, lemma, low, skipped, span_start=subject[2])
            return
        if w in PRONOUNS or w.rstrip("’'s") in PRONOUNS and ("’" in w or "'" in w):
            if lemma not in _SPEECH and not (lemma in _EVIDENCE and w in ("it", "which")):
                return
            if low == lemma and w in ("he", "she", "it") and not skipped & _MODALS:
                return  # "he say" is not English; "it state" is a noun misread
            self._pronoun(tokens[i].start(), tokens[i].end(), cue_end, cue, tokens, i)
            return
        if w in ("and", "but", "then"):
            if lemma in _SPEECH:
                self._participle(m, cue_end, sent_start)
            return
        relative = self._relative_subject(tokens, i)
        if relative is not None:
            self._credit(relative, tokens[i].end(), cue_end, cue, lemma, low, skipped)
            return
        j = _noun_phrase(tokens, i)
        if j is None:
            return
        self._credit(tokens[j].start(), tokens[i].end(), cue_end, cue, lemma, low, skipped)

    def _relative_subject(self, tokens: list[re.Match], i: int) -> int | None:
        """Start of "a senior official who asked not to be named" when that subject ends at ``tokens[i]``."""
        for r in range(i - 1, max(-1, i - 14), -1):
            word = tokens[r].group()
            if word in _SEPARATORS or word in _CLOSING_QUOTES or word in ("“", "‘"):
                return None
            if word.lower() == "who" and r > 0:
                k = _noun_phrase(tokens, r - 1)
                return tokens[k].start() if k is not None else None
        return None

    def _credit(self, src_start: int, src_end: int, cue_end: int, cue: str, lemma: str, form: str,
                skipped: set[str], span_start: int | None = None) -> None:
        """An attribution to the noun phrase ``text[src_start:src_end]`` if the verb suits the subject; the
        flag starts at ``span_start`` when the source's role comes before it ("Its director, Paul Kerr,")."""
        source = self.text[src_start:src_end].strip(" ,\xa0")
        words = source.split()
        if not words or all(w.lower() in DETERMINERS for w in words):
            self._quantifier(words, src_start, cue_end, cue, lemma, form)
            return
        first, head, named = _head(source)
        if first in STOP_WORDS and first not in DETERMINERS:
            return
        last = words[-1]
        plural = _plural(last)
        # "critics in the Labour Party say", "figures released by the ONS show": a plural head before a
        # modifier agrees with the verb too (not with "state" or "report", nouns as often as verbs).
        plural_head = head != last.lower() and _plural(head) \
            and (lemma in _SPEECH or lemma in _EVIDENCE or lemma in _BELIEF) and f"{form}s" not in NOUN_LIKE
        # "Mr. Grassley and Mr. Leahy say": two sources joined are plural, whatever the last one's ending.
        joined = lemma in _SPEECH and "and" in words[1:-1]
        if form == lemma and form != "put" and not (
                plural or plural_head or joined or skipped & _MODALS or first in ("i", "we", "you")):
            return  # a bare "state" or "report" after a singular noun is a noun: "Kim's mental state"
        # A capitalised last word is a name's, not a plural noun: "the Commission on Presidential Debates
        # says", "the United States says".
        plural_noun = plural and not last[:1].isupper()
        if form.endswith("s") and form != lemma and (plural_noun or first in _POSSESSIVES):
            return  # "his comments on", "their estimates": plural nouns, not verbs
        if form in NOUN_LIKE and not self._verb_follows(cue_end) and (
                not last[:1].isupper() or last.lower() in GROUP_ADJECTIVES or "’" in source or "'" in source):
            return
        if first == "that" or self.text[max(0, src_start - 5):src_start].endswith("that "):
            return  # "… that Trump called": the reported claim, not the article's sourcing
        subtype = classify(source)
        if not named and ANONYMOUS_MARKERS.search(self.text, src_end, cue_end - len(cue)):
            subtype = "anonymous"  # "a teacher, who cannot be named for legal reasons, told"
        elif subtype == "vague" and head in _MEMBER_HEADS and first not in VAGUE_DETERMINERS \
                and _OF_A_BODY.search(self.text[src_end:cue_end - len(cue)]):
            subtype = "named"  # "The researchers, from the London School of Hygiene, found": identified
        # A body's initials find and estimate as its name does: "the CBO found", "the ONS estimates".
        evidence = head in EVIDENCE_HEADS or last.isupper() and 2 <= len(last.rstrip(".")) <= 6
        if lemma == "find" and _REFLEXIVE_AFTER.match(self.text, cue_end):
            return  # "the NHS found itself stretched"
        if lemma == "understand" and head not in NEWSROOM_HEADS:
            return  # "Sky News understands that …" is sourcing; "scientists now understand how …" is not
        if lemma not in _SPEECH and not (lemma == "put" and self.text.startswith(" it", cue_end)):
            if lemma in _EVIDENCE and not evidence:
                return
            if lemma in _BELIEF and lemma not in _EVIDENCE and subtype == "named" \
                    and head not in _MEMBER_HEADS:
                return  # "he expects to win"; "economists polled by Reuters forecast" attributes
        if form == "called" and last[:1].islower() and _NAMING.match(self.text, cue_end):
            return  # "a group called the Fund": naming, not speaking
        self._add(src_start if span_start is None else span_start, cue_end, source, cue, subtype)

    def _quantifier(self, words: list[str], src_start: int, cue_end: int, cue: str, lemma: str,
                    form: str) -> None:
        """"Some say", "others said", "another said": a quantifier alone stands for people. Those are
        unspecified (vague), one of them an unnamed individual (anonymous, as "one official said")."""
        alone = words[0].lower() if len(words) == 1 else None
        if alone not in _STANDING_FOR_PEOPLE or lemma not in _SPEECH and lemma not in _BELIEF:
            return
        singular = alone in ("one", "another")
        if form == lemma if singular else form != lemma and form.endswith("s"):
            return  # "one say", "many says": not a subject and its verb
        sent_start = self.layout.sentence(src_start)[0]
        if not _CLAUSE_OPENS.search(self.text[max(sent_start, src_start - 8):src_start]):
            return  # "no one said", "the one said to be", "only one said": not a subject on its own
        self._add(src_start, cue_end, words[0], cue, "anonymous" if singular else "vague")

    def _verb_follows(self, cue_end: int) -> bool:
        """True when the words after a cue read as its complement: "that", a colon, a comma or a quote."""
        return _COMPLEMENT.match(self.text, cue_end) is not None

    def _pronoun(self, start: int, end: int, cue_end: int, cue: str, tokens: list[re.Match], i: int) -> None:
        """"he said" credits "he"; "…, who said" credits the phrase "who" stands for."""
        pronoun = self.text[start:end]
        low = pronoun.lower().split("’")[0].split("'")[0]
        source = pronoun
        subtype = "named"
        if low in ("who", "which"):
            j = i - 1
            if j >= 0 and tokens[j].group() == ",":
                j -= 1
            k = _noun_phrase(tokens, j) if j >= 0 else None
            if k is not None:
                source = self.text[tokens[k].start():tokens[j].end()]
                subtype = classify(source)
        else:
            subtype = self._inherit(start, low)
        self._add(start, cue_end, source, cue, subtype)

    def _inherit(self, pos: int, pronoun: str) -> str:
        """A pronoun source takes the subtype of the last attribution it can refer back to."""
        default = "vague" if pronoun == "they" else "named"
        for prior in reversed(self.found):
            if prior.start >= pos:
                continue
            if pos - prior.end > 600:
                break
            if prior.source is None or prior.source.lower() in PRONOUNS:
                continue
            plural = prior.source.rstrip(",").endswith("s")
            if prior.subtype == "anonymous" and (pronoun == "they") == plural:
                return "anonymous"
            return default
        return default

    def _appositive(self, tokens: list[re.Match], i: int) -> tuple[int, int, int | None] | None:
        """Source span for "X, who ..., said" and "X, a lawyer, said": the name before the appositives;
        third, where the flag starts when the name's role comes first ("The chancellor, Rachel Moore,")."""
        parts: list[tuple[int, int]] = []
        end = i
        j = i - 1
        while j >= 0 and len(parts) < 4:
            word = tokens[j].group()
            if word in _SEPARATORS or word in _CLOSING_QUOTES or word in ("“", "‘", ":"):
                parts.append((j + 1, end))
                if word not in _SEPARATORS:
                    break
                end = j
            j -= 1
        if j < 0:
            parts.append((0, end))
        parts = [p for p in parts if p[1] > p[0]]
        if len(parts) < 2:
            return None
        for n, (a, b) in enumerate(parts):
            words = [t.group() for t in tokens[a:b]]
            if all(w.isdigit() for w in words) or len(words) == 1 and _PARTY_AND_STATE.fullmatch(words[0]):
                continue  # "Mrs Jones, 72, from Leeds, told", "Sen. Rand Paul, R-Ky., said": the name's
            bare_name = all(_is_name(w) or w.lower() in ("of", "and", "&", "de") for w in words)
            if bare_name and n > 0:
                return tokens[a].start(), tokens[b - 1].end(), None
            if bare_name and len(parts) > 1 and n == 0 and len(words) <= 4:
                return tokens[a].start(), tokens[b - 1].end(), self._role_before(tokens, parts[1])
            if n > 0:
                k = _noun_phrase(tokens, b - 1)
                if k is not None and k >= a:
                    return tokens[k].start(), tokens[b - 1].end(), None
                return None
        return None

    @staticmethod
    def _role_before(tokens: list[re.Match], part: tuple[int, int]) -> int | None:
        """Where "The chancellor" or "Clinton's attorney" starts when the whole part before a name is that
        role (a determiner or a possessive, then a short noun phrase), else None."""
        a, b = part
        opening = tokens[a].group()
        if b - a > 6 or not (opening.lower() in _ROLE_OPENERS or opening.endswith(("'s", "’s"))):
            return None
        return tokens[a].start() if _noun_phrase(tokens, b - 1) == a else None

    def _inverted(self, m: re.Match, cue_end: int, sent_end: int, quoted: bool = True) -> None:
        """'"…," said Jane Doe, a lawyer.': the source follows the cue."""
        after = self._forward_source(cue_end, sent_end)
        if after is None:
            return
        phrase_start, phrase_end = after
        phrase = self.text[phrase_start:min(phrase_end, phrase_start + MAX_INVERTED_CHARS)]
        if phrase_end - phrase_start > MAX_INVERTED_CHARS:
            phrase = phrase.rsplit(None, 1)[0]  # no sentence end in reach: stop at the last whole word
        first = phrase.split()[0] if phrase.split() else ""
        fl = first.lower()
        if not (_is_name(first) or first[:1].isdigit() or fl in _PERSON_PRONOUNS
                or fl in DETERMINERS and fl not in ("that", "this", "these", "those")):
            return
        if not quoted and len(phrase.split()) > 12:
            return
        source = phrase.split(",")[0].strip()
        if fl in _PERSON_PRONOUNS:
            source = first
            phrase = first
        end = phrase_start + len(phrase.rstrip(" ,\xa0"))
        subtype = self._inherit(m.start(), fl) if source == first and fl in PRONOUNS else classify(phrase)
        self._add(m.start(), end, source, m.group("verb"), subtype)

    def _forward_source(self, cue_end: int, sent_end: int) -> tuple[int, int] | None:
        """Where the words after an inverted cue run, up to the sentence end: blanks, then the longest run
        of _FORWARD_RUN (or, when none follows, the last blank alone). The run is kept, and a later cue of
        the same sentence inside it ends where it ends, so a sentence is scanned once, not once a cue."""
        words_at = _BLANKS.match(self.text, cue_end, sent_end).end()
        if words_at == cue_end:
            return None
        run = self._run
        if run is not None and run[0] == sent_end and run[1] <= words_at < run[2]:
            return words_at, run[2]
        found = _FORWARD_RUN.match(self.text, words_at, sent_end)
        if found is not None:
            self._run = (sent_end, words_at, found.end())
            return words_at, found.end()
        # Nothing after the blanks belongs to a source: a blank given back is the whole of it.
        return (words_at - 1, words_at) if words_at - cue_end >= 2 else None

    def _participle(self, m: re.Match, cue_end: int, sent_start: int) -> None:
        """"X did this, adding that …", "X beamed and asked": the source is the sentence's subject.

        "X said, adding …" extends X's attribution rather than adding a second one over the same words.
        """
        prior = self.found[-1] if self.found else None
        if prior is not None and sent_start <= prior.start and prior.source is not None \
                and self.text[prior.start:prior.start + 6].lower().split(" ")[0] not in ("who", "which") \
                and _SAME_CLAUSE.fullmatch(self.text, prior.end, m.start()):
            self.found[-1] = Attribution(prior.start, cue_end, prior.source, prior.cue, prior.subtype)
            return
        subject = sentence_subject(self.text, sent_start, m.start())
        if subject is not None:
            source = self.text[subject[0]:subject[1]]
            subtype = self._inherit(subject[0], source.lower()) if source.lower() in PRONOUNS \
                else classify(source)
            self._add(m.start(), cue_end, source, m.group("verb"), subtype)
            return
        prior = next((a for a in reversed(self.found) if sent_start <= a.start < m.start()), None)
        if prior is not None:
            self._add(m.start(), cue_end, prior.source, m.group("verb"), prior.subtype)

    def _speaking_to(self, m: re.Match, cue_end: int) -> None:
        """"Speaking to Sky News, …": the outlet spoken to is credited with what follows."""
        name = _OUTLET_AHEAD.match(self.text, cue_end, cue_end + 80)
        if name is None:
            return
        source = name.group(1).strip()
        self._add(m.start(), name.start(1) + len(source), source, self.text[m.start():cue_end],
                  classify(source))

    # -- helpers ------------------------------------------------------------------------------------

    def _report_noun(self, m: re.Match, tokens: list[re.Match]) -> bool:
        """"after reports that …" is a vague source; True when ``m`` is that noun, flagged or not."""
        before = tokens[-1].group().lower() if tokens else ""
        if before not in REPORT_NOUN_BEFORE:
            return False
        nxt = _REPORT_COMPLEMENT.match(self.text, m.end())
        if nxt is not None and m.group("verb").lower() == "reports":
            self._add(m.start(), nxt.end(1), "reports", self.text[m.start():nxt.end(1)], "vague")
        return True

    def _headline(self, pos: int) -> bool:
        """True when ``pos`` sits on a short title-case line, where verbs are capitalised too."""
        start, end = self.layout.paragraph(pos)
        if end - start > 200:
            return False  # before reading the line: each capitalised cue of a long paragraph would rescan it
        words = _WORD.findall(self.text, start, end)
        if len(words) < 3:
            return False
        return sum(w[0].isupper() for w in words) >= 0.7 * len(words)

    def _add(self, start: int, end: int, source: str | None, cue: str, subtype: str) -> None:
        """Keep an attribution unless it sits inside a quote (see below)."""
        i = bisect_left(self.quote_starts, end)
        # A cue inside a quoted stretch is the speaker's own account, not the article's sourcing, unless it
        # is a fixed phrase that withholds a source ("according to our sources") or a transcript's "NAME:".
        if i and self.quote_starts[i - 1] < start and self.quote_ends[i - 1] > end \
                and not (subtype != "named" and (cue == "according to" or source is None)) and cue != ":":
            return
        self.found.append(Attribution(start, end, source, cue, subtype))


def find_attributions(text: str, layout: Layout, quotes: list[QuoteSpan]) -> list[Attribution]:
    """Every attribution in ``text`` in reading order."""
    return _Finder(text, layout, quotes).run()
