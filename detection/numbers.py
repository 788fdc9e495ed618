"""Number flags: counts, percentages, money, measures, ratios and vague quantities a reviewer can check."""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from .model import Flag
from .number_words import SMALL, fraction_denominator, number_value

# --- the pattern -------------------------------------------------------------------------------------------
# Words are matched case-sensitively, each alternation grouped under its first letter in both cases: the regex
# engine then turns an ordinary word away after one character test, which IGNORECASE would defeat. The tail
# after a number (units, rates) runs rarely, so it ignores case.


def _alt(*fragments: str) -> str:
    """Regex alternatives (each opening with a lower-case letter) grouped by that letter, in either case."""
    groups: dict[str, list[str]] = {}
    for fragment in fragments:
        groups.setdefault(fragment[0], []).append(fragment[1:])
    return "(?:" + "|".join(f"[{c}{c.upper()}](?:{'|'.join(rest)})" for c, rest in groups.items()) + ")"


_TENS_WORDS = tuple(word for word, value in SMALL.items() if value >= 20)
_UNDER_TWENTY = tuple(word for word, value in SMALL.items() if value < 20)
_SMALL_WORD = _alt(
    *(rf"{tens}(?:[-\s](?:one|two|three|four|five|six|seven|eight|nine)\b)?\b" for tens in _TENS_WORDS),
    *(rf"{word}\b" for word in _UNDER_TWENTY),
)
_WORD_NUMBER = (
    rf"(?<![-'’]){_SMALL_WORD}(?:\s+hundred\b(?:\s+(?:and\s+)?{_SMALL_WORD})?)?"
    r"(?:[\s-]+and[\s-]+a[\s-]+half\b)?"
)
_DIGITS = (
    r"(?<![\w.,/:#@])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![.,]\d)(?:\s+[13]/[24](?![\d/])|[½¼¾])?"
    r"|(?<![\w.])\.\d+"
)
_SIMPLE = rf"(?:(?<![\w.,/:#@])(?:\d{{1,3}}(?:,\d{{3}})+|\d+)\b|{_SMALL_WORD})"
_SCALE_WORDS = r"(?:hundred|thousand|million|billion|trillion|dozen)\b"
_BIG_SCALE = r"(?:million|billion|trillion)\b"
# What "half a" can measure, as in "half a million", "half an hour".
_A_UNIT = r"(?:percentage|point|hour|mile|day|week|month|year|decade|century|minute|second)\b"
# "a quarter of a million", "three-quarters of a billion", "a quarter of a century": one number each, not a
# ratio and then a count (250,000, 750,000,000 and 0.25 centuries).
_OF_A = rf"\s+of\s+an?\s+(?:{_BIG_SCALE}|{_A_UNIT})"
_FRACTION_OF_SCALE = _alt(*(rf"{count}[\s-](?:quarters?|thirds?)(?={_OF_A})\s+of\s+an?"
                            for count in ("an?", "one", "two", "three")))
# "a million" and "half a dozen" are numbers; a lone "a" is not, so a scale or a unit must follow.
_NUMBER = (
    rf"(?P<num>{_FRACTION_OF_SCALE}|{_DIGITS}|{_WORD_NUMBER}|"
    + _alt(
        rf"an?(?=\s+{_SCALE_WORDS})",
        rf"half\s+an?(?=\s+(?:{_SCALE_WORDS}|{_A_UNIT}))",
    )
    + rf")(?P<scale>(?:[\s-]+{_SCALE_WORDS})+|(?<=\d)(?:million|billion|trillion)\b"
    r"|(?<=\d)(?i:bn|mn|tn|m|k|b)\b)?(?P<plus>\+|-plus\b|-odd\b)?"
)
_HEDGE_WORDS = _alt(
    "about", "around", "approximately", r"approx\.", "roughly", "nearly", "almost", "some", "over", "under",
    r"more\s+than", r"less\s+than", r"fewer\s+than", r"greater\s+than", r"higher\s+than", r"lower\s+than",
    r"longer\s+than", r"at\s+least", r"at\s+most", r"up\s+to", r"no\s+(?:more|fewer|less)\s+than",
    r"as\s+(?:many|much|few|little|high|low|long|large|big|great)\s+as", r"close\s+to", r"upwards\s+of",
    r"in\s+excess\s+of", "above", "below", r"an\s+estimated", r"an\s+average\s+of", "estimated", "perhaps",
    "possibly", "maybe", "circa", "barely", r"just\s+(?:over|under|about)", r"well\s+(?:over|above|below)",
)
_CURRENCY = r"(?P<cur>(?:US|U\.S\.|A|AU|C|CA|NZ|HK|S)?\$|£|€|¥|₹|\b(?:USD|GBP|EUR)\s?)"
_BIG_PLURAL = r"(?:thousands|millions|billions)"
_VAGUE = (
    "(?P<vague>" + _alt(
        rf"tens\s+of\s+{_BIG_PLURAL}", rf"hundreds\s+of\s+{_BIG_PLURAL}", rf"many\s+{_BIG_PLURAL}",
        *(rf"{word}(?:\s+(?:and|upon|or)\s+(?:hundreds|{_BIG_PLURAL}))?\b"
          for word in ("dozens", "hundreds", "thousands", "millions", "billions", "trillions")),
        r"scores(?=\s+of\s)", r"a\s+couple(?=\s+of\s)",
        r"a\s+(?:couple|few)\s+(?:dozen|hundred|thousand|million|billion)\b",
        r"several\s+(?:hundred|thousand|million|billion)\b", r"double[\s-]digits?\b", r"single[\s-]digits?\b",
        r"triple[\s-]digits?\b",
    ) + r")(?P<vof>\s+of\s+(?:(?:the|its|their|his|her|our|your|these|those)\s+)?[a-z][\w'’-]*"
    # A noun before the counted one stays in the span: "thousands of care homes", "hundreds of young people".
    r"(?:(?<![s’'])\s+(?:[a-z][\w-]*s|people|children|men|women|staff|police)\b)?)?"
)
_FRACTION = r"(?:halves|half|thirds?|quarters?|fifths?|sixths?|sevenths?|eighths?|ninths?|tenths?)\b"
_RATIO = (
    rf"(?P<ratio>(?P<rn>{_SIMPLE})(?:\s+|-)(?:in|out\s+of|of\s+every)(?:\s+|-)(?:every\s+)?"
    rf"(?!(?:1[5-9]|20)\d\d\b)(?P<rd>{_SIMPLE})"
    rf"|(?P<fn>{_alt('an?')}|{_SMALL_WORD}|\d+)[\s-](?P<fd>{_FRACTION})(?!{_OF_A})"
    rf"|[Oo]ne\s+(?:[a-z-]+\s+){{1,2}}(?:per(?:\s+every)?|for\s+every)\s+(?P<pd>{_SIMPLE})"
    "|(?P<mult>" + _alt(
        "twice", "thrice", "doubled", "doubling", "double", "tripled", "tripling", "triple", "trebled",
        "quadrupled", "quadrupling", "quadruple", "halved", "halving",
        *(rf"{word}-?fold" for word in ("two", "three", "four", "five", "ten")),
    ) + r"|\d+-?fold)\b)"
)
_TIME_UNITS = (
    r"seconds?|minutes?|mins|hours?|hrs?|days?|nights?|weeks?|months?|years?|yrs?|decades?|century|centuries"
)
_MEASURE_UNITS = (
    rf"{_TIME_UNITS}|miles?|kilomet(?:re|er)s?|kms?|met(?:re|er)s?|feet|foot|ft|inch(?:es)?|yards?|cm|mm"
    r"|nautical\s+miles|acres?|hectares?|square\s+(?:miles?|feet|foot|met(?:re|er)s?|kilomet(?:re|er)s?|km"
    r"|yards?)|sq\s?(?:ft|km|mi|m)|tonnes?|tons?|kilograms?|kilos?|kg|grams?|lbs?|ounces?|oz|lit(?:re|er)s?"
    r"|gallons?|barrels?|cubic\s+(?:feet|met(?:re|er)s?)|mph|km/h|kph|knots|(?:kilo|mega|giga)?watts?|kw|mw"
    r"|gw|kwh|mwh|gwh|twh|volts?|calories|degrees(?:\s+(?:celsius|fahrenheit))?|(?:kilo|mega|giga|tera)bytes"
    r"|gb|tb"
)
# Hyphenated words after a number that make a name or an idiom, not a count ("four-star general").
_NOT_COUNTED = (
    r"star|alarm|way|sided|faced|off|liner|dimensional|state|party|shot|nil|to|in|on|and|or|of|for|by"
)
_UNIT = (
    r"(?i:(?:(?P<pct>\s?%|\s?per[\s-]?cent\b|[\s-]?percent\b|\s?pc\b|\s?pct\b)"
    r"|(?P<pp>[\s-]+percentage[\s-]+points?\b|[\s-]+basis[\s-]+points?\b|\s?bps\b)"
    r"|(?P<age>\s*-\s*(?:year|month|week|day)s?-old\b|\s+(?:year|month|week|day)s?\s+old\b"
    r"|\s+years?\s+of\s+age\b)"
    r"|(?P<money>\s+(?:(?:US|U\.S\.|American|Canadian|Australian|Hong\s+Kong|New\s+Zealand)\s+)?(?:dollars?"
    r"|pounds?(?:\s+sterling)?|euros?|cents?|pence|yuan|renminbi|yen|rupees?|roubles?|rubles?|pesos?)\b"
    r"|(?<=\d)p\b)"
    r"|(?P<times>\s+times\b)"
    r"|(?P<points>[\s-]points?\b)"
    rf"|(?P<meas>(?:\s+|-)?(?:{_MEASURE_UNITS})\b|\s?°[cf]?|(?-i:[CF])\b)"
    rf"|(?P<hyph>-(?!(?:{_NOT_COUNTED})\b)[a-z]+(?![\w-])))?"
    r"(?P<rate>[\s-]+(?:a|an|per|each|every)[\s-]+(?:second|minute|hour|day|night|week|month|year|annum)\b"
    r"|\s?/\s?(?:hr|h|day|yr|year|month|week)\b)?)"
)
_UNIT_GROUPS = ("pct", "pp", "age", "money", "times", "points", "meas", "hyph")
_PATTERN = re.compile(
    rf"(?<![\w$£€])(?P<hedge>{_HEDGE_WORDS}\s+)?"
    rf"(?:{_VAGUE}|{_RATIO}|(?:{_CURRENCY}\s?)?{_NUMBER}{_UNIT}(?!\w)|(?P<half>[Hh]alf)\b)"
)
# Tried at every word the full pattern is slow, so a lean one finds the words a number can start with (hedges
# aside) and the full one runs only there, from the hedge just before when there is one.
_TRIGGER = re.compile(
    r"(?<![\w$£€])(?:\d|\.\d|[½¼¾$£€¥₹]|(?:US|U\.S\.|AU|CA|NZ|HK|A|C|S)\$|(?:USD|GBP|EUR)\b|" + _alt(
        *_TENS_WORDS, *_UNDER_TWENTY, "half",
        r"an?\s+(?:couple|few|dozen|hundred|thousand|million|billion|trillion|half|third|quarter|fifth|sixth"
        r"|seventh|eighth|ninth|tenth)",
        "tens", "hundreds", "thousands", "millions", "billions", "trillions", "dozens", "scores", "several",
        "many", "double", "single", "triple", "twice", "thrice", "doubl", "tripl", "trebl", "quadrupl",
        "halv",
    ) + ")"
)
_HEDGE_BEFORE = re.compile(rf"\b{_HEDGE_WORDS}\s+$")

# --- context checks, run only around a match ---------------------------------------------------------------
_MONTH = (
    r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?|January|February|March|April|May|June|July"
    r"|August|September|October|November|December"
)
# "Sept. 19", and the end of a span of days: "Sept. 16-19", "Sept. 19 to 22".
_MONTH_BEFORE = re.compile(rf"\b(?:{_MONTH})\s+(?:\d{{1,2}}(?:st|nd|rd|th)?\s*(?:[-–]|to|through|and)\s*)?$")
_MONTH_AFTER = re.compile(rf"\s+(?:{_MONTH})\b")
_CLOCK_AFTER = re.compile(r":\d|\s?[ap]\.?m\b|\s+o['’]clock", re.IGNORECASE)
_FEET_OR_DECADE_AFTER = re.compile(r"['’′]\d|['’]s\b")  # 6'3", the 90's
# Words that make the next numeral a label: "Article 21", "page 5", "No. 1", "number one".
_LABEL_BEFORE = re.compile(
    r"(?:\b(?:page|pages|pp?|section|sections|chapter|article|paragraph|clause|verse|room|flight|route|exit|no"
    r"|nos|number|ward|district|precinct|gate|platform|channel|episode|season|game|grade|level|phase|stage"
    r"|category|tier|version|highway|interstate|amendment|title|rule|figure|table|vol|volume|model|apartment"
    r"|apt|suite|terminal|question|proposition|prop|item|junction|bus)\.?\s*|[#+])$",
    re.IGNORECASE,
)
_CAPITAL_BEFORE = re.compile(r"[A-Z][\w&.'’-]*\s+$")
_POSSESSIVE_ENDS = ("'s", "’s", "s'", "s’")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]['\"”’)\]]*\s+|\n\s*|[\"“‘'(\[—–]\s*)$")
# "Covid-19", "F-16", "2004-5"; a lower-case word before the hyphen makes a compound: "can't-win-36-to-40".
_NAME_HYPHEN_BEFORE = re.compile(r"(?:\b[\w'’]*[A-Z][\w'’]*|\bcovid|\d{4})-$")
_ADDRESS_AFTER = re.compile(
    r"\s+(?:[A-Z][a-z]+\.?\s+|\d+(?:st|nd|rd|th)\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane"
    r"|Drive|Place|Way|Court|Square|Terrace|Parkway)\b"
)
_PHONE_AFTER = re.compile(r"\)?[-.\s]\d{3}[-.]\d{4}\b|[-.]\d{4}\b")  # "555-0134", "(202) 555-0134"
# The later groups of a telephone number: "0800 123 4567", "+44 20 7946 0000" (and "555-0134" below).
_PHONE_BEFORE = re.compile(r"(?:\b0\d{2,4}[\s-]+(?:\d{3,4}[\s-]+)?|\+\d{1,3}[\s-]*(?:\d+[\s-]+)*)$")
_PHONE_LINE_BEFORE = re.compile(r"\b\d{3}[-.]$")
_LIST_MARKER_AFTER = re.compile(r"[.)]\s")
_COMPOUND_AFTER = re.compile(r"-[a-z]", re.IGNORECASE)
_CONNECTOR_HYPHEN_AFTER = re.compile(r"-(?:to|and|or|in|of|for|by)[-\s]", re.IGNORECASE)
_PRONOUN_AFTER = re.compile(
    r"\s+(?:have|had|are|were|will|would|can|could|should|met|did|do|agreed|share|shared|of\s+(?:them|us|you))"
    r"\b",
    re.IGNORECASE,
)
# Ages: "Rawlings, 59, of Ashton", "the victim, 19, was named", "aged 45", "who is 70".
_AGE_NAME_BEFORE = re.compile(
    r"(?:\b[A-Z][\w.'’-]*|\b(?:man|woman|boy|girl|suspect|victim|driver|mother|father|son|daughter|wife"
    r"|husband|teenager|pensioner|student|officer|soldier|worker|resident|patient|partner))\s*,\s+$"
)
_AGE_AFTER_NAME = re.compile(r",|\s*[―—–]\s")
_AGE_WORD_BEFORE = re.compile(
    r"\b(?:turned|turns|turning|aged|ages?(?:\s+of)?|who\s+(?:is|was))\s+$", re.IGNORECASE
)
# A stretch of time that places an event rather than measures something: "three months ago", "the past two
# weeks", "every four years".
_PLACING_AFTER = re.compile(
    r"\s+(?:ago|later|earlier|before|after|from\s+now|away|prior|previously|hence|into|since|back|to\s+go|until"
    r"|till|beforehand|in\s+advance|out)\b",
    re.IGNORECASE,
)
_RECENT_BEFORE = re.compile(
    r"\b(?:past|last|next|coming|previous|first|final|following|recent|initial|opening|closing|remaining)\s+$",
    re.IGNORECASE,
)
_EVERY_BEFORE = re.compile(r"\bevery\s+$", re.IGNORECASE)
# A sign before a temperature or a rate: "minus 12C", "a fall of -0.3%" (not the hyphen of "2-3").
_SIGN_BEFORE = re.compile(r"(?:(?<=[\s(])|^)(?:minus\s+|[-−])$", re.IGNORECASE)
_SHORT_SPANS = frozenset({"seconds", "minutes", "hours", "days", "nights", "weeks", "months"})
# "every four years" is a schedule, "every 72 minutes" a rate worth checking.
_CYCLES = frozenset({"years", "decades", "centuries"})
_TIME_SPANS = _SHORT_SPANS | _CYCLES
# A sum naming a deal or a wrong: "jailed over £3m fraud", "a row over a $5m contract" ("over" means about).
_DEAL_AFTER = re.compile(
    r"\s+(?:fraud|scam|deal|contract|row|dispute|loan|debt|payout|bonus|donation|grant|fine|theft|heist|bribe"
    r"|lawsuit|settlement|sale|takeover|bid|overspend|shortfall|scheme|project|bill|claim|pay\s+(?:rise|deal))\b")
# What joins the members of a range or tally: "55 to 65", "19-15", "2-to-1", "three, four and even five".
_CONNECTOR = re.compile(
    r"\s*(?:[-–—]\s*(?:to\s*-?)?|(?:,\s*)?(?:to|or|and|through)\s+(?:(?:even|perhaps|possibly|maybe)\s+)?|,\s*)",
    re.IGNORECASE,
)
_RANGE_WORD = re.compile(r"\s*(?:[-–—]|to\b|through\b)", re.IGNORECASE)
_PUNCTUATION_AFTER = re.compile(r"\s*(?:[,.;:)]|$)")
_POINTS_LEAD_AFTER = re.compile(
    r"\s+(?:lead|ahead|behind|margin|advantage|edge|gap|deficit|swing|drop|jump|lower|higher)\b",
    re.IGNORECASE,
)
_SCORING_BEFORE = re.compile(
    r"\b(?:scored?|scores|scoring|Dow|index|Nasdaq|S&P|FTSE|Jones)\b[^.]{0,30}$", re.IGNORECASE
)
_BY_BEFORE = re.compile(r"\bby\s+$", re.IGNORECASE)
_COMPARISON_AFTER = re.compile(
    r"\s+(?:as|more|less|fewer|higher|lower|larger|bigger|greater|faster|slower|longer|the|that|what|than|over"
    r"|its|their|his|her|our)\b",
    re.IGNORECASE,
)
_VERB_BEFORE = re.compile(
    r"\b(?:to|will|would|could|might|may|can|did|does|do|must|should|nearly|almost|than|roughly)\s+$",
    re.IGNORECASE,
)
_DOUBLED_IDIOM_AFTER = re.compile(r"[\s-]+(?:down|up|over)\b|\s+(?:standards?|agents?|digits?)|-", re.I)
_HALF_IDIOM_BEFORE = re.compile(
    r"\b(?:first|second|third|fourth|last|latter|former|other|back|front|top|bottom|better|lower|upper"
    r"|northern|southern|eastern|western)\s+$",
    re.IGNORECASE,
)
_HALF_IDIOM_AFTER = re.compile(
    r"-|\s+(?:time|way|hearted|truths?|measures?|brother|sister|life|baked|court|hour|mast)\b", re.IGNORECASE
)
# "a third" is a fraction in "a third of voters", "a third said no" or "up by a fifth since 2021", an
# ordinal in "a third term".
_FRACTION_AFTER = re.compile(
    r"\s+(?:of|in|to|more|less|fewer|as|among|percent|point|since|on|over|from|compared|last|this"
    r"|said|say|says|were|are|have|had|would|will|backed|opposed|supported|voted|agreed|disagreed"
    r"|thought|think|believe|believed|wanted|want|expect|expected|reported)\b|\s*(?:[,.;:—–)]|$)",
    re.IGNORECASE,
)
_RHETORIC_AFTER = re.compile(
    r"\s+(?:wrong|right|sure|certain|correct|true|false|behind|committed|confident|convinced|accurate|honest"
    r"|serious|clear|focused|done|supportive|with|on\s+board|against|for|guaranteed|safe|responsible|innocent"
    r"|guilty|fake)\b",
    re.IGNORECASE,
)
_RHETORIC_BEFORE = re.compile(
    r"\b(?:agree|agreed|agrees|support|supports|supported|back|backs|disagree|give|gave|gives|giving)\s+$",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"\s*(?:[,.;:!?)\]\"”’—]|$)")
_CHANGE_BEFORE = re.compile(r"\b(?:by|to|from|of|at|than|nearly|almost)\s+$", re.IGNORECASE)
_MONEY_VERB_BEFORE = re.compile(
    r"\b(?:spend|spends|spent|spending|raise|raises|raised|raising|make|makes|made|making|earn|earns|earned"
    r"|earning|pay|pays|paid|paying|cost|costs|costing|owe|owes|owed|donate|donated|give|gave|given|lose|lost"
    r"|invest|invested|collect|collected|worth|save|saved|funnel|funneled|funnelled|pour|poured)\s+$",
    re.IGNORECASE,
)
_MONEY_AFTER = re.compile(r"['\"”’]?\s+(?:in|on|worth)\b", re.IGNORECASE)

_CURRENCY_CODES = {
    "$": "USD", "us$": "USD", "u.s.$": "USD", "a$": "AUD", "au$": "AUD", "c$": "CAD", "ca$": "CAD",
    "nz$": "NZD", "hk$": "HKD", "s$": "SGD", "£": "GBP", "€": "EUR", "¥": "JPY", "₹": "INR", "usd": "USD",
    "gbp": "GBP", "eur": "EUR", "dollar": "USD", "pound": "GBP", "euro": "EUR", "yuan": "CNY",
    "renminbi": "CNY", "yen": "JPY", "rupee": "INR", "rouble": "RUB", "ruble": "RUB", "peso": "MXN",
    "canadian dollar": "CAD", "australian dollar": "AUD", "hong kong dollar": "HKD",
    "new zealand dollar": "NZD",
}
_UNIT_NAMES = {
    "hour": "hours", "hr": "hours", "hrs": "hours", "mins": "minutes", "yr": "years", "yrs": "years",
    "century": "centuries", "km": "km", "kms": "km", "kilometre": "km", "kilometres": "km",
    "kilometer": "km", "kilometers": "km", "metre": "metres", "meter": "metres", "meters": "metres",
    "foot": "feet", "ft": "feet",
    "inch": "inches", "cm": "cm", "mm": "mm", "kg": "kg", "kilo": "kg", "kilos": "kg", "kilogram": "kg",
    "kilograms": "kg", "lb": "pounds", "lbs": "pounds", "oz": "ounces", "liter": "litres", "liters": "litres",
    "litre": "litres", "mph": "mph", "km/h": "km/h", "kph": "km/h", "kw": "kW", "mw": "MW", "gw": "GW",
    "kwh": "kWh", "mwh": "MWh", "gwh": "GWh", "twh": "TWh", "gb": "GB", "tb": "TB", "°": "degrees",
    "°c": "degrees Celsius", "°f": "degrees Fahrenheit", "c": "degrees Celsius",
    "f": "degrees Fahrenheit", "sq ft": "square feet", "sqft": "square feet",
    "sq km": "square km", "sq mi": "square miles", "sq m": "square metres",
}
_AGE_UNITS = {"year": "years of age", "month": "months of age", "week": "weeks of age", "day": "days of age"}


_Reading = tuple[str | None, str | None, float]  # subtype, unit, value


@dataclass(slots=True)
class _Candidate:
    """A number being read; the members of a range or tally ("55 to 65") share one unit."""

    start: int
    end: int
    subtype: str
    value: float | None
    unit: str | None
    approximate: bool
    bare: bool = False  # a numeral with nothing after it: it may take the unit of its range partner
    scale: float = 1.0
    lone_one: bool = False  # "one" counts only in a range, with a hedge or with a unit ("at least one")


def find_numbers(text: str) -> list[Flag]:
    """Every checkable quantity in ``text`` as a ``number`` flag (rules: FLAGGING.md, "number")."""
    currency = "GBP" if text.count("£") > text.count("$") else "USD"  # for "millions" with no currency named
    candidates = []
    end = 0
    for trigger in _TRIGGER.finditer(text):
        at = trigger.start()
        if at < end:
            continue  # inside the previous match
        hedge = _HEDGE_BEFORE.search(text, max(end, at - 30), at)
        match = hedge and _PATTERN.match(text, hedge.start()) or _PATTERN.match(text, at)
        if match is None:
            continue
        end = match.end()
        if match["vague"]:
            candidate = _vague(text, match, currency)
        elif match["ratio"]:
            candidate = _ratio(text, match)
        elif match["num"]:
            candidate = _numeral(text, match, currency)
        else:
            candidate = _half(text, match)
        if candidate is not None:
            candidates.append(candidate)
    flags = []
    for c in _resolve_ranges(text, candidates):
        start, value = c.start, c.value
        sign = _SIGN_BEFORE.search(text, max(0, start - 7), start)
        if sign is not None and value and c.subtype in ("percent", "measure"):
            start, value = sign.start(), -value  # "minus 12C", "growth of -0.3%"
        flags.append(Flag("number", c.subtype, start, c.end, text[start:c.end],
                          {"value": value, "unit": c.unit, "approximate": c.approximate}))
    return flags


def _before(text: str, index: int) -> str:
    return text[max(0, index - 40):index]


def _is_sentence_start(text: str, index: int) -> bool:
    return _SENTENCE_START.search(_before(text, index)) is not None


def _capital_mid_sentence(text: str, index: int) -> bool:
    return text[index].isupper() and not _is_sentence_start(text, index)


def _inside_name(text: str, index: int) -> bool:
    """A capitalised word mid-sentence just before a numeral makes it part of a name, unless it is a
    possessive: the number belongs to it ("the Premier League's 20 clubs"), not to a name ("Boeing 737")."""
    capital = _CAPITAL_BEFORE.search(_before(text, index))
    return capital is not None and not capital.group(0).rstrip().endswith(_POSSESSIVE_ENDS) \
        and not _is_sentence_start(text, index - len(capital.group(0)))


def _vague(text: str, match: re.Match, currency: str) -> _Candidate | None:
    start, end = match.start(), match.end()
    if _capital_mid_sentence(text, match.start("vague")):
        return None  # a title: "Millions Missing"
    words = match["vague"].lower()
    noun = (match["vof"] or "").split()[-1:]
    unit = None
    if noun:
        if _unit_name(noun[0]) in _TIME_SPANS and _PLACING_AFTER.match(text, end):
            return None  # "a couple of days before the debate"
        unit = _CURRENCY_CODES.get(noun[0].lower().rstrip("s"))  # "millions of dollars"
    elif words.endswith(("millions", "billions", "trillions")) and (
        _MONEY_AFTER.match(text, end) or _MONEY_VERB_BEFORE.search(_before(text, start))
    ):
        unit = currency  # "spent millions on ads", "millions in donations"
    elif "digit" in words and _BY_BEFORE.search(_before(text, start)):
        unit = "percentage points"  # "win by double digits"
    return _Candidate(start, end, "vague", None, unit, True)


def _ratio(text: str, match: re.Match) -> _Candidate | None:
    start, end, hedged = match.start(), match.end(), match["hedge"] is not None
    if match["rd"] or match["pd"]:
        # "one in five", "one polling place per every 21,000 voters"
        numerator = number_value(match["rn"]) if match["rd"] else 1.0
        denominator = number_value(match["rd"] or match["pd"])
        if not denominator:
            return None
        value, unit = numerator / denominator, "fraction"
    elif match["fd"]:
        numerator, fraction = match["fn"].lower(), match["fd"]
        if numerator in ("a", "an") and not _FRACTION_AFTER.match(text, end):
            return None
        if fraction.endswith("s") and text[match.end("fn")] != "-" and not text.startswith(" of ", end):
            return None  # "two quarters" of a year
        value, unit = number_value(numerator) / fraction_denominator(fraction), "fraction"
    else:
        word = match["mult"].lower()
        if word in ("double", "triple", "quadruple") and not _VERB_BEFORE.search(
            _before(text, match.start("mult"))
        ):
            return None  # "a double standard"; "would double the cost" passes
        if word.startswith(("doubl", "tripl", "trebl", "quadrupl")) and _DOUBLED_IDIOM_AFTER.match(text, end):
            return None  # "doubled down"
        if word in ("twice", "thrice") and not hedged and not _COMPARISON_AFTER.match(text, end):
            # "won twice" counts occasions
            return _Candidate(start, end, "count", 2.0 if word == "twice" else 3.0, None, False)
        value, unit = _multiplier(word), "times"
    return _Candidate(start, end, "ratio", float(f"{value:.4g}"), unit, hedged)


def _multiplier(word: str) -> float:
    if word.startswith(("twice", "doubl")):
        return 2.0
    if word.startswith(("thrice", "tripl", "trebl")):
        return 3.0
    if word.startswith("quadrupl"):
        return 4.0
    if word.startswith("halv"):
        return 0.5
    return number_value(word.replace("fold", "").strip("-"))  # "threefold", "10-fold"


def _half(text: str, match: re.Match) -> _Candidate | None:
    start = match.start("half")
    if _capital_mid_sentence(text, start):
        return None
    if _HALF_IDIOM_BEFORE.search(_before(text, start)) or _HALF_IDIOM_AFTER.match(text, match.end()):
        return None  # "the second half", "half-hearted"
    return _Candidate(match.start(), match.end(), "ratio", 0.5, "fraction", match["hedge"] is not None)


def _numeral(text: str, match: re.Match, currency: str) -> _Candidate | None:
    if _not_a_quantity(text, match):
        return None
    number, hedged = match["num"], match["hedge"] is not None
    start, end = match.start(), match.end()
    scale = number_value(match["scale"]) if match["scale"] else 1.0
    # 15 significant digits drop binary rounding's tail: "£8.2bn" is 8200000000.0, not 8199999999.999999.
    value = float(f"{number_value(number) * scale:.15g}")
    subtype, unit, value = _describe(text, match, value, currency)
    if subtype is None:
        return None
    if match["rate"]:
        if subtype in ("money", "measure"):
            period = re.split(r"[\s/-]+", match["rate"])[-1].lower()
            unit = f"{unit} per {'year' if period == 'annum' else period}"  # "60 hours a week", "$12 an hour"
        else:
            end = match.start("rate")
    if hedged and match["hedge"].lower().startswith("over") and unit in _TIME_SPANS:
        start, hedged = match.start("num"), False  # "$374 billion over 10 years": "over" means during
    elif hedged and match["hedge"].strip().lower() == "over" and subtype == "money" \
            and _DEAL_AFTER.match(text, end):
        start, hedged = match.start("cur") if match["cur"] else match.start("num"), False  # "over £3m fraud"
    described = _described(match)
    return _Candidate(
        start, end, subtype, round(value, 6), unit,
        approximate=hedged or match["plus"] is not None,  # "15-plus years"
        bare=not described and unit is None,
        scale=scale,
        lone_one=number.lower() == "one" and not hedged and not match["scale"]
        and (unit in (None, "days") or match["points"] is not None),  # "one day", "at one point"
    )


def _described(match: re.Match) -> bool:
    """Whether anything beyond the bare numeral was matched: a currency, scale, "-plus" or unit."""
    return bool(match["cur"] or match["scale"] or match["plus"] or any(match[g] for g in _UNIT_GROUPS))


def _not_a_quantity(text: str, match: re.Match) -> bool:
    """Numerals and number words that are dates, times, codes, labels, names or idioms."""
    number, num_start, num_end = match["num"], match.start("num"), match.end("num")
    before = _before(text, num_start)
    described = _described(match)
    if match["cur"]:
        return False
    if _LABEL_BEFORE.search(before):
        return True
    if not (number[0].isdigit() or number[0] == "."):
        if _capital_mid_sentence(text, num_start) or _CLOCK_AFTER.match(text, num_end):
            return True  # "Air Force One", "the Big Ten", "three o'clock"
        if not described and before.lower().endswith("the ") and _PRONOUN_AFTER.match(text, match.end()):
            return True  # "the two have a shared view": people counted already
        return not described and not match["hedge"] and _hyphen_idiom(text, num_end)
    plain = number.isdigit()
    if plain and len(number) > 1 and number[0] == "0":
        return True  # "08:40", telephone and postal codes
    if before.endswith(":") or _CLOCK_AFTER.match(text, num_end):
        return True
    if _FEET_OR_DECADE_AFTER.match(text, num_end):
        return True
    if text.startswith(("/", "("), num_end):
        return True  # "9/11", "24/7", "401(k)"
    if before.endswith("-") and _NAME_HYPHEN_BEFORE.search(before):
        return True  # "Covid-19", "G-20", "2004-5"
    if plain and len(number) == 2 and before.endswith(("'", "’", "‘")):
        return True  # "'16"
    if _MONTH_BEFORE.search(before) or _MONTH_AFTER.match(text, num_end):
        return True
    if described:
        return False
    if plain and (len(number) == 4 and 1500 <= int(number) <= 2099 or len(number) >= 7):
        return True  # a year; an identifier or timestamp
    if before.endswith("=") or before.endswith('="'):
        return True  # markup
    if _inside_name(text, num_start):
        return True  # "Patriot 125", "Boeing 737"
    if _ADDRESS_AFTER.match(text, num_end) or plain and _is_phone_part(text, number, num_end, before):
        return True
    if len(number) <= 2 and _LIST_MARKER_AFTER.match(text, num_end):  # "1) Unlike Cruz", "2. Taxes"
        closing_bracket = text.startswith(")", num_end) and not before.endswith("(")
        return closing_bracket or _is_sentence_start(text, num_start)
    return not match["hedge"] and _hyphen_idiom(text, num_end)


def _is_phone_part(text: str, number: str, num_end: int, before: str) -> bool:
    return (
        len(number) == 3 and _PHONE_AFTER.match(text, num_end) is not None
        or _PHONE_BEFORE.search(before) is not None
        or len(number) == 4 and _PHONE_LINE_BEFORE.search(before) is not None
    )


def _hyphen_idiom(text: str, num_end: int) -> bool:
    """A bare number in a hyphenated word the pattern does not count: "four-star general", "five-alarm"."""
    return bool(_COMPOUND_AFTER.match(text, num_end)) and not _CONNECTOR_HYPHEN_AFTER.match(text, num_end)


def _describe(text: str, match: re.Match, value: float, currency: str) -> _Reading:
    """Subtype, unit and value of a numeral from what follows it (or what precedes it, for ages); a subtype
    of None when it turns out not to be a quantity."""
    start, number = match.start(), match["num"]
    if match["cur"]:
        return "money", _CURRENCY_CODES.get(match["cur"].strip().lower(), currency), value
    if match["pct"]:
        if value in (100.0, 110.0, 1000.0) and _is_rhetoric(text, start, match.end()):
            return None, None, value
        return "percent", "%", value
    if match["pp"]:
        return "percent", "basis points" if "b" in match["pp"].lower() else "percentage points", value
    if match["age"]:
        age = re.search(r"year|month|week|day", match["age"].lower()).group(0)
        return "measure", _AGE_UNITS[age], value
    if match["money"]:
        return _money_suffix(match, value, currency)
    if match["times"]:
        if number.lower().startswith("a") and not match["hedge"]:
            return None, None, value  # "a million times" is rhetoric
        if _COMPARISON_AFTER.match(text, match.end("times")):
            return "ratio", "times", value  # "three times the rate"
        return "count", None, value  # "shot at 41 times"
    if match["points"]:
        # A lead of "7 points" is percentage points, a "five-point plan" counts, a game or an index scores.
        if match["points"][0] == "-" and not _POINTS_LEAD_AFTER.match(text, match.end("points")):
            return "count", None, value
        if value <= 100 and not _SCORING_BEFORE.search(_before(text, start)):
            return "percent", "percentage points", value
        return "measure", "points", value
    if match["meas"]:
        return "measure", _unit_name(match["meas"]), value
    before = _before(text, match.start("num"))
    if not match["hyph"] and not match["scale"] and number[0].isdigit() and value <= 120 and (
        _AGE_WORD_BEFORE.search(before)
        or not match["hedge"] and _AGE_NAME_BEFORE.search(before) and _AGE_AFTER_NAME.match(text, match.end())
    ):
        return "measure", "years of age", value
    return "count", None, value


def _is_rhetoric(text: str, start: int, end: int) -> bool:
    """ "100 percent wrong", "I agree 100 percent", "he gave 100 percent." but not "rose by 100 percent"."""
    if _RHETORIC_AFTER.match(text, end) or _RHETORIC_BEFORE.search(_before(text, start)):
        return True
    return _CLAUSE_END.match(text, end) is not None and not _CHANGE_BEFORE.search(_before(text, start))


def _money_suffix(match: re.Match, value: float, currency: str) -> tuple[str, str, float]:
    words = re.sub(r"\s+", " ", match["money"].strip().lower())
    if words == "p" or words.startswith(("cent", "pence")):
        return "money", "GBP" if words[0] == "p" else currency, value / 100
    if words.startswith("pound") and "sterling" not in words and not match["scale"] and currency != "GBP":
        return "measure", "pounds", value  # "lost 20 pounds" in an American paper is a weight
    name = words.replace("u.s. ", "").replace("us ", "").replace(" sterling", "")
    name = name[:-1] if name.endswith("s") else name
    return "money", _CURRENCY_CODES.get(name, _CURRENCY_CODES.get(name.split()[-1], name)), value


def _unit_name(raw: str) -> str:
    word = re.sub(r"\s+", " ", raw.strip(" -\u00a0").lower())
    if word in _UNIT_NAMES:
        return _UNIT_NAMES[word]
    return word if word.endswith("s") or word == "feet" else word + "s"


def _resolve_ranges(text: str, candidates: list[_Candidate]) -> list[_Candidate]:
    """Share units across ranges and tallies, drop time spans that place an event, drop a lone "one"."""
    kept = []
    i = 0
    while i < len(candidates):
        j = i
        while j + 1 < len(candidates) and _joined(text, candidates[j], candidates[j + 1]):
            j += 1
        group = candidates[i:j + 1]
        i = j + 1
        _share_unit(text, group)
        if not _places_event(text, group):
            kept.extend(c for c in group if not (c.lone_one and len(group) == 1))
    return kept


def _joined(text: str, left: _Candidate, right: _Candidate) -> bool:
    return (left.bare or right.bare) and _CONNECTOR.fullmatch(text, left.end, right.start) is not None


def _share_unit(text: str, group: list[_Candidate]) -> None:
    """A bare member takes the unit of the member after it ("one to two years", "three, four and five
    hours"), or of the one before it in a true range ("ages 55 to 65") or a closed phrase ("aged 19 and 23,").
    """
    pairs = list(pairwise(group))
    for left, right in reversed(pairs):
        if left.bare and not right.bare:
            _borrow(left, right)
    for left, right in pairs:
        if right.bare and not left.bare and (
            _RANGE_WORD.match(text, left.end) or _PUNCTUATION_AFTER.match(text, right.end)
        ) and "," not in text[left.end:right.start]:
            _borrow(right, left)


def _borrow(member: _Candidate, source: _Candidate) -> None:
    member.subtype, member.unit, member.bare = source.subtype, source.unit, False
    if member.scale == 1.0 and source.scale > 1.0 and member.value is not None and member.value < 1000:
        member.scale = source.scale  # "between 2 and 3 million"
        member.value = round(member.value * source.scale, 6)


def _places_event(text: str, group: list[_Candidate]) -> bool:
    unit = group[-1].unit
    if unit not in _TIME_SPANS:
        return False
    before = _before(text, group[0].start)
    if unit in _CYCLES and _EVERY_BEFORE.search(before) or _PLACING_AFTER.match(text, group[-1].end):
        return True
    return unit in _SHORT_SPANS and _RECENT_BEFORE.search(before) is not None
