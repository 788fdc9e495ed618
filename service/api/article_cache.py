"""GET /articles/{id} without rebuilding the article on every read.

Building the representation of a 50-claim, 150-flag article (ORM loading plus marshmallow) costs about
10 ms of CPU, and readers ask for the same article over and over while they review it. Each web process
keeps the JSON it built, keyed by the article's `revision`, which every UPDATE of the article row bumps
(see the model). Claims and current flags only change together with that row, so checking a copy costs
one small query for the revision and the annotation counts, which change with every annotation and are
spliced into the JSON rather than built into it.

On PostgreSQL the check itself is skipped while nothing has changed. Triggers NOTIFY on every UPDATE or
DELETE of an article and every change of a claim's annotation count (migration 0007); the process's
listener (service.storage.changes) then moves the cache's `generation` on, as does every commit of a
write in this process. A copy checked at the current generation is served with no query at all. So a
client sees its own writes at once on its connection (a keep-alive connection stays with one process),
and writes made elsewhere once their notification arrives, about a millisecond after the commit; a
request with `Cache-Control: no-cache` is always checked against the database. While the listener is
not connected, every read is checked.

The JSON is split where the counts go: the article's fields as an object without its closing brace, and
each claim as an object without its opening brace. The parts come from the same ArticleSchema dump the
uncached path uses, so the documented shape cannot drift.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from service.storage.changes import ARTICLES_CHANNEL, ChannelListener

_LIVE = ("annotation_count", "annotated_claims", "claims")


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class CachedArticle:
    revision: int
    etag: str
    head: bytes
    claims: tuple[tuple[int, bytes], ...]

    @classmethod
    def build(cls, revision: int, etag: str, dumped: dict[str, Any]) -> CachedArticle:
        """From an ArticleSchema dump; its counts are left out and supplied on every render."""
        head = {k: v for k, v in dumped.items() if k not in _LIVE}
        claims = tuple((c["id"], _json({k: v for k, v in c.items() if k != "annotation_count"})[1:])
                       for c in dumped["claims"])
        return cls(revision, etag, _json(head)[:-1], claims)

    @property
    def size(self) -> int:
        return len(self.head) + sum(len(part) for _, part in self.claims) + 64 * (len(self.claims) + 1)

    def render(self, counts: dict[int, int]) -> bytes:
        """The article's JSON with `counts` (annotations per claim id) filled in."""
        annotated = sum(1 for claim_id, _ in self.claims if counts.get(claim_id))
        total = sum(counts.get(claim_id, 0) for claim_id, _ in self.claims)
        parts = [self.head, b',"annotation_count":%d,"annotated_claims":%d,"claims":[' % (total, annotated)]
        for i, (claim_id, rest) in enumerate(self.claims):
            parts.append(b'%s{"annotation_count":%d,%s' % (b"," if i else b"", counts.get(claim_id, 0), rest))
        parts.append(b"]}")
        return b"".join(parts)


class ArticleCache:
    """A least-recently-used map from article id to its CachedArticle, bounded in bytes; thread-safe.

    With a `listener`, it also remembers each copy's JSON with the counts it was last checked with, and
    at which generation (see the module's docstring)."""

    def __init__(self, max_bytes: int, listener: ChannelListener | None = None) -> None:
        self.max_bytes = max_bytes
        self.listener = listener
        self._entries: OrderedDict[int, CachedArticle] = OrderedDict()
        self._checked: dict[int, tuple[int, bytes]] = {}  # id: (generation, JSON with its counts)
        self._bytes = 0
        self._generation = 0
        self._lock = threading.Lock()
        if listener is not None:
            listener.subscribe(ARTICLES_CHANNEL, self.changed)

    @property
    def generation(self) -> int:
        """Read it before checking a copy against the database, and hand it to `checked`."""
        return self._generation

    def changed(self) -> None:
        """Some article may have changed: every copy must be checked again before it is served."""
        with self._lock:
            self._generation += 1
            self._checked.clear()

    def current(self, article_id: int) -> tuple[CachedArticle, bytes] | None:
        """The copy and its JSON as last checked, if checked since the last change; None means: check it."""
        if self.listener is None or not self.listener.listening:
            return None
        with self._lock:
            checked = self._checked.get(article_id)
            entry = self._entries.get(article_id)
            if checked is None or entry is None or checked[0] != self._generation:
                return None
            self._entries.move_to_end(article_id)
            return entry, checked[1]

    def checked(self, article_id: int, entry: CachedArticle, counts: dict[int, int],
                generation: int) -> bytes:
        """`entry` and `counts` were read from the database after `generation` was: unless something has
        changed since, they are current, and the JSON rendered from them (returned) is kept for `current`."""
        body = entry.render(counts)
        with self._lock:
            if generation == self._generation and self._entries.get(article_id) is entry:
                self._checked[article_id] = (generation, body)
        return body

    def get(self, article_id: int, revision: int) -> CachedArticle | None:
        with self._lock:
            entry = self._entries.get(article_id)
            if entry is None or entry.revision != revision:
                return None
            self._entries.move_to_end(article_id)
            return entry

    def put(self, article_id: int, entry: CachedArticle) -> CachedArticle:
        size = entry.size
        if size > self.max_bytes:
            return entry
        with self._lock:
            old = self._entries.pop(article_id, None)
            if old is not None:
                self._bytes -= old.size
                if old.revision > entry.revision:  # a slower request built an older state: keep the newer
                    entry, size = old, old.size
            self._entries[article_id] = entry
            self._bytes += size
            self._checked.pop(article_id, None)
            while self._bytes > self.max_bytes:
                evicted_id, evicted = self._entries.popitem(last=False)
                self._checked.pop(evicted_id, None)
                self._bytes -= evicted.size
        return entry

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes
