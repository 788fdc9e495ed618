"""User text in the desk with its bidirectional controls made visible and inert.

An override or embedding (U+202A–U+202E), an isolate (U+2066–U+2069) or a mark (U+200E, U+200F, U+061C)
in an article or a note would reorder what the reviewer reads; each is shown instead as a small labelled
mark (`RLO`), and user text is isolated (<bdi>) so it cannot reorder the page around it.
"""
from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup, escape

CONTROLS = {"\u202a": "LRE", "\u202b": "RLE", "\u202c": "PDF", "\u202d": "LRO", "\u202e": "RLO",
            "\u2066": "LRI", "\u2067": "RLI", "\u2068": "FSI", "\u2069": "PDI",
            "\u200e": "LRM", "\u200f": "RLM", "\u061c": "ALM"}
_CONTROL = re.compile("[" + "".join(CONTROLS) + "]")


def _mark(match: re.Match) -> str:
    char = match.group()
    return (f'<span class="bidi-control" title="U+{ord(char):04X} {unicodedata.name(char)}">'
            f"{CONTROLS[char]}</span>")


def marked(text: str) -> Markup:
    """`text` escaped, each bidirectional control replaced by its visible mark."""
    return Markup(_CONTROL.sub(_mark, str(escape(text))))


def isolated(text: object) -> Markup:
    """A Jinja filter: user text in a <bdi> (its direction its own), controls shown as marks."""
    return Markup("<bdi>") + marked("" if text is None else str(text)) + Markup("</bdi>")
