"""The newsroom's vocabulary: article and batch statuses, flag kinds, default verdicts. No frameworks."""
from __future__ import annotations

from enum import StrEnum

from service.domain import flag_kinds


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


# Flag kinds and subtypes are listed once, in flag_kinds.KINDS; these are views of that list.
FlagKind = StrEnum("FlagKind", {name.upper(): name for name in flag_kinds.kind_names()})

FLAG_SUBTYPES: dict[str, tuple[str, ...]] = {k.name: k.subtypes for k in flag_kinds.KINDS}

ALL_SUBTYPES: tuple[str, ...] = flag_kinds.all_subtypes()

DEFAULT_VERDICTS: tuple[str, ...] = (
    "accurate",
    "mostly-accurate",
    "misleading",
    "inaccurate",
    "unverifiable",
    "opinion",
    "needs-context",
)
