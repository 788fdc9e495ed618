"""Who an API token stands for, kept in memory for a while, so a request needs no database round trip to
authenticate.

Every API request authenticates; looking its token up cost a round trip and about a fifth of a read's CPU
under load. A copy is served only while the process listens for changes to tokens and users (see
service.storage.changes), and any such change empties the cache, so a revoked token, a disabled account
or a changed role takes effect in every process as soon as the notification arrives (milliseconds), not
after some expiry. `max_age` bounds how long any copy lives all the same.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from service.domain.access import Principal
from service.storage.changes import AUTH_CHANNEL, ChannelListener


@dataclass(frozen=True)
class _Entry:
    principal: Principal
    expires_at: datetime | None  # the token's own expiry
    stale_at: float  # time.monotonic() after which it is read again


class TokenCache:
    """Principals by token digest, least recently used first out; thread-safe."""

    def __init__(self, listener: ChannelListener, max_age: float, max_entries: int = 10_000) -> None:
        self.listener = listener
        self.max_age = max_age
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()
        listener.subscribe(AUTH_CHANNEL, self.clear)

    @property
    def generation(self) -> int:
        """Read it before looking a token up; `put` then drops the result if a change came in between."""
        return self._generation

    def get(self, digest: str, now: datetime) -> Principal | None:
        if not self.listener.listening:
            return None
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            expired = entry.expires_at is not None and entry.expires_at <= now
            if expired or time.monotonic() >= entry.stale_at:
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            return entry.principal

    def put(self, digest: str, principal: Principal, expires_at: datetime | None, generation: int) -> None:
        with self._lock:
            if generation != self._generation or not self.listener.listening:
                return  # read before a change that has since emptied the cache: it may be out of date
            self._entries[digest] = _Entry(principal, expires_at, time.monotonic() + self.max_age)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
