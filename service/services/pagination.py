"""Cursor pagination, newest first, the one way every list in the API pages."""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from service.services.errors import InvalidInput
from service.storage.models import MAX_ID


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        # Past MAX_ID no cursor was ever handed out, and PostgreSQL would refuse it as an integer.
        if prefix != "id" or not value.isdigit() or int(value) > MAX_ID:
            raise ValueError(raw)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("The cursor is not one this API handed out.",
                           {"cursor": ["Invalid cursor."]}) from None


def newest_first(session: Session, query: Select, id_column: InstrumentedAttribute, limit: int,
                 cursor: str | None) -> Page:
    """One page of `query`'s rows by descending id; the cursor is the last id seen, so pages stay
    stable while new rows arrive."""
    query = query.order_by(id_column.desc()).limit(limit + 1)
    if cursor:
        query = query.where(id_column < decode_cursor(cursor))
    rows = list(session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1].id) if more else None)
