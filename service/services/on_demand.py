"""Flagging on demand (POST /flag, `claimdesk flag`): detection while the caller waits, storing nothing.

Light on purpose: `claimdesk flag` imports it and must start without the database or web stack.
"""
from __future__ import annotations

from service.services.detector import detect_flags
from service.services.errors import ContentTooLarge


def check_flag_length(text: str, max_chars: int) -> None:
    """Raise ContentTooLarge when ``text`` is over the longest one flagged on demand: that detection runs
    in a web process or the command itself, with no worker's time limit behind it."""
    if len(text) > max_chars:
        raise ContentTooLarge(
            f"The text is {len(text):,} characters; the limit for flagging on demand is {max_chars:,}. "
            "Submit it as an article (POST /api/v1/articles) to have it flagged in the background.",
            {"text": [f"Longer than {max_chars} characters."]})


def flag_text(text: str, max_chars: int) -> list[dict]:
    """The flags of ``text`` as dicts, offsets into it as given; ContentTooLarge past `max_chars`."""
    check_flag_length(text, max_chars)
    return [f.to_dict() for f in detect_flags(text)]
