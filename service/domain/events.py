"""The events a webhook can subscribe to. No frameworks: the CLI builds its options from them cheaply."""
from __future__ import annotations

EVENTS = ("article.flagged", "annotation.created", "annotation.updated", "annotation.deleted",
          "batch.finished")
