"""The newsroom's vocabulary: article statuses, flag kinds and the default verdict scale. No frameworks."""
from __future__ import annotations

from enum import StrEnum


class ArticleStatus(StrEnum):
    QUEUED = "queued"
    FLAGGING = "flagging"
    FLAGGED = "flagged"
    FAILED = "failed"


class FlagKind(StrEnum):
    QUOTE = "quote"
    NUMBER = "number"
    SOURCING = "sourcing"


FLAG_SUBTYPES: dict[str, tuple[str, ...]] = {
    FlagKind.QUOTE: ("direct", "partial"),
    FlagKind.NUMBER: ("count", "percent", "money", "measure", "ratio", "vague"),
    FlagKind.SOURCING: ("named", "anonymous", "vague"),
}

ALL_SUBTYPES: tuple[str, ...] = tuple(s for subs in FLAG_SUBTYPES.values() for s in subs)

DEFAULT_VERDICTS: tuple[str, ...] = (
    "accurate",
    "mostly-accurate",
    "misleading",
    "inaccurate",
    "unverifiable",
    "opinion",
    "needs-context",
)

CLAIM_ROLES: tuple[str, ...] = ("headline", "standfirst", "body")
