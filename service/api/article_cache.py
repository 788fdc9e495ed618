"""GET /articles/{id} without rebuilding the article on every read.

Building the representation of a 50-claim, 150-flag article (ORM loading plus marshmallow) costs about
10 ms of CPU, and readers ask for the same article over and over while they review it. Each web process
keeps the JSON it built, keyed by the article's `revision`, which every UPDATE of the article row bumps
(see the model). Claims and current flags only change together with that row, so a read costs one
small query for the revision and one for the annotation counts, which change with every annotation and
are therefore spliced in fresh rather than cached.

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
    """A least-recently-used map from article id to its CachedArticle, bounded in bytes; thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[int, CachedArticle] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

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
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size
        return entry

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes
