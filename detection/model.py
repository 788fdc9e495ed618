"""Value objects the detection pipeline produces: flags, claims and cleaned articles."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Flag:
    """A machine hint over ``text[start:end]`` (end exclusive); rules in FLAGGING.md."""

    kind: str  # "quote" | "number" | "sourcing"
    subtype: str | None
    start: int
    end: int
    text: str
    attrs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subtype": self.subtype,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "attrs": dict(self.attrs),
        }


@dataclass(frozen=True, slots=True)
class Claim:
    """One sentence of the stored body, or its headline or standfirst."""

    start: int
    end: int
    text: str
    role: str  # "headline" | "standfirst" | "body"


@dataclass(frozen=True, slots=True)
class CleanArticle:
    """What cleaning keeps of an input: the body text (headline first) and what it learnt."""

    body: str
    title: str | None = None
