"""The one list of flag kinds: each kind's subtypes and how the desk draws it.

Detection's output, the API's enums, the desk's legend, icons, highlight styles and messages all come
from here (a test checks detection produces exactly these kinds and subtypes). It imports nothing of
Claimdesk, so anything may import it. A new kind is one entry here, next to its detection rules.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FlagKindSpec:
    name: str
    subtypes: tuple[str, ...]
    plural: str  # "quotes": what the desk's messages count
    colour: str  # ink of the icon and the underline (the Okabe-Ito palette, safe for colour-blind readers)
    background: str  # the highlight behind a flagged span
    underline: str  # a CSS text-decoration-style of its own, so colour is never the only cue
    glyph: str  # the icon before a count


KINDS: tuple[FlagKindSpec, ...] = (
    FlagKindSpec("quote", ("direct", "partial"), "quotes", "#0072b2", "rgba(0, 114, 178, 0.13)", "solid",
                 "❝"),
    FlagKindSpec("number", ("count", "percent", "money", "measure", "ratio", "vague"), "numbers", "#a35d00",
                 "rgba(230, 159, 0, 0.22)", "double", "#"),
    FlagKindSpec("sourcing", ("named", "anonymous", "vague"), "sourcing", "#9e3d74",
                 "rgba(204, 121, 167, 0.22)", "wavy", "☞"),
)


def kind_names() -> tuple[str, ...]:
    return tuple(k.name for k in KINDS)


def all_subtypes() -> tuple[str, ...]:
    """Every subtype once, in registry order (two kinds may share one, e.g. "vague")."""
    return tuple(dict.fromkeys(s for k in KINDS for s in k.subtypes))


def pairs() -> frozenset[tuple[str, str]]:
    """Every (kind, subtype) a flag may carry."""
    return frozenset((k.name, s) for k in KINDS for s in k.subtypes)
