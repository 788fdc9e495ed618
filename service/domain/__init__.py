"""The newsroom's vocabulary: article and batch statuses, flag kinds, default verdicts. No frameworks."""
from __future__ import annotations

from enum import StrEnum


class ArticleStatus(StrEnum):
    QUEUED = "queued"
    FLAGGING = "flagging"
    FLAGGED = "flagged"
    FAILED = "failed"


class BatchKind(StrEnum):
    IMPORT = "import"
    REFLAG = "reflag"


class BatchStatus(StrEnum):
    QUEUED = "queued"  # accepted; its input is still being read
    RUNNING = "running"  # every article is stored and queued; workers are flagging them
    FINISHED = "finished"
    CANCELLED = "cancelled"


# The status_reason of an article whose batch was cancelled before a worker reached it; the flagging
# task skips such articles.
BATCH_CANCELLED = "batch cancelled"


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
