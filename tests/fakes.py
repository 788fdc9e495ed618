"""Fakes for the service's ports: a task queue that records what it was asked and a keyword detector."""
from __future__ import annotations

import re
from collections.abc import Callable

from detection import Flag


class RecordingQueue:
    """A TaskQueue that remembers every article id; `accept=False` is a broker that is down.

    `on_enqueue` runs at the moment of enqueueing, so a test can look at what the database holds then.
    """

    def __init__(self, accept: bool = True, on_enqueue: Callable[[int], None] | None = None) -> None:
        self.accept = accept
        self.on_enqueue = on_enqueue
        self.article_ids: list[int] = []
        self.refused: list[int] = []
        self.messages: list[list[int]] = []
        self.refused_messages: list[list[int]] = []
        self.deliveries: list[tuple[int, float | None]] = []

    def flag_article(self, article_id: int) -> bool:
        if self.on_enqueue is not None:
            self.on_enqueue(article_id)
        if not self.accept:
            self.refused.append(article_id)
            return False
        self.article_ids.append(article_id)
        return True

    def flag_articles(self, article_ids: list[int]) -> bool:
        """One message for many articles: `messages` has it; `article_ids`/`refused` each of its ids."""
        for article_id in article_ids:
            if self.on_enqueue is not None:
                self.on_enqueue(article_id)
        if not self.accept:
            self.refused.extend(article_ids)
            self.refused_messages.append(list(article_ids))
            return False
        self.messages.append(list(article_ids))
        self.article_ids.extend(article_ids)
        return True

    def deliver_webhook(self, delivery_id: int, countdown: float | None = None) -> bool:
        """Webhook deliveries asked for, as (id, countdown) in `deliveries`."""
        if not self.accept:
            return False
        self.deliveries.append((delivery_id, countdown))
        return True


class KeywordDetector:
    """Flags every whole-word occurrence of the given words, so tests know exactly what to expect."""

    def __init__(self, words: dict[str, tuple[str, str]]) -> None:
        self.words = words

    def __call__(self, text: str) -> list[Flag]:
        flags = [
            Flag(kind, subtype, m.start(), m.end(), m.group(), {"word": word})
            for word, (kind, subtype) in self.words.items()
            for m in re.finditer(rf"\b{re.escape(word)}\b", text)
        ]
        return sorted(flags, key=lambda f: (f.start, f.end))


def failing_detector(text: str) -> list[Flag]:
    raise RuntimeError("rule exploded")


class Listener:
    """A stand-in for ChannelListener: `changed(channel)` is a notification on it."""

    def __init__(self) -> None:
        self.listening = True
        self.subscribers: dict[str, list] = {}

    def subscribe(self, channel: str, callback) -> None:
        self.subscribers.setdefault(channel, []).append(callback)

    def changed(self, channel: str = "claimdesk_auth") -> None:
        for callback in self.subscribers.get(channel, []):
            callback()
