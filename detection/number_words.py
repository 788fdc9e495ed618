"""English number words and their values, so the number detector can read "twenty-five" or "2.4bn"."""
from __future__ import annotations

import re

SMALL = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
# Multipliers written after a number; the short forms are how British and business copy writes them.
SCALES = {
    "hundred": 100.0, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "dozen": 12.0,
    "k": 1e3, "m": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9, "tn": 1e12,
}
# Denominators of fraction words ("two-thirds", "a quarter").
FRACTIONS = {
    "half": 2, "halves": 2, "third": 3, "quarter": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10,
}
_VULGAR = {"½": 0.5, "¼": 0.25, "¾": 0.75}
_TOKEN = re.compile(r"\d/\d|\d[\d,]*(?:\.\d+)?|\.\d+|[½¼¾]|[a-z]+")


def fraction_denominator(word: str) -> int:
    """4 for "quarter" or "quarters", 3 for "thirds"."""
    word = word.lower()
    return FRACTIONS.get(word) or FRACTIONS[word[:-1]]


def number_value(phrase: str) -> float:
    """The value of a numeral or number-word phrase: "1,351", "4 1/2", "two hundred and fifty thousand",
    "four-and-a-half", "half a million", "three quarters of a million", "two dozen", "3.5bn"."""
    total = current = 0.0
    for token in _TOKEN.findall(phrase.lower()):
        if token[0].isdigit() and "/" in token:
            numerator, denominator = token.split("/")
            current += int(numerator) / int(denominator)
        elif token[0].isdigit() or token[0] == ".":
            current += float(token.replace(",", ""))
        elif token in _VULGAR:
            current += _VULGAR[token]
        elif token in SMALL:
            current += SMALL[token]
        elif token == "half":
            current += 0.5
        elif token.rstrip("s") in FRACTIONS:
            current = (current or 1.0) / fraction_denominator(token)  # "a quarter of a million"
        elif token in ("a", "an"):
            # "a million" is one million; in "half a million" and "four and a half" the "a" adds nothing.
            current = current or 1.0
        elif token in ("hundred", "dozen"):
            current = (current or 1.0) * SCALES[token]
        elif token in SCALES:
            total += (current or 1.0) * SCALES[token]
            current = 0.0
    return total + current
