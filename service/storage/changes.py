"""Changes made by other processes, as PostgreSQL notifications: a thread LISTENs on some channels.

Triggers NOTIFY when a row that web processes keep copies of changes, whoever changes it: the API, the
desk, the CLI, a worker or a hand-written UPDATE. PostgreSQL delivers a notification when the
transaction that sent it commits, and only to sessions listening at that moment.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

import psycopg

from service.storage.db import libpq_url

log = logging.getLogger(__name__)

# Tokens' scopes, expiry, revocation; users' names, roles, disabling; deletions of either (migration 0007).
AUTH_CHANNEL = "claimdesk_auth"
# Any UPDATE or DELETE of articles, and any change of a claim's annotation count (migration 0007).
ARTICLES_CHANNEL = "claimdesk_articles"
APPLICATION_NAME = "claimdesk listener"  # in pg_stat_activity


class ChannelListener:
    """Calls a channel's subscribers on every notification on it, and every subscriber whenever it
    connects or loses its connection, since a notification sent while nobody listens is lost for good.

    `listening` says whether a change would reach it now: whoever keeps copies of rows must not serve
    them while it is False. The thread starts on first use in each process (a fork copies no threads),
    reconnects with a growing pause, and checks the connection every `check_every` seconds of quiet.
    """

    def __init__(self, database_url: str, channels: tuple[str, ...], check_every: float = 5.0) -> None:
        self.conninfo = libpq_url(database_url)
        self.channels = channels
        self.check_every = check_every
        self._subscribers: dict[str, list[Callable[[], None]]] = {channel: [] for channel in channels}
        self._listening = threading.Event()
        self._stop = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def subscribe(self, channel: str, callback: Callable[[], None]) -> None:
        self._subscribers[channel].append(callback)

    @property
    def listening(self) -> bool:
        self._ensure_started()
        return self._listening.is_set()

    def _ensure_started(self) -> None:
        if self._pid == os.getpid() or self._stop.is_set():
            return
        with self._start_lock:
            if self._pid == os.getpid():
                return
            self._listening.clear()  # a forked child inherits the flag, not the thread
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="claimdesk listener", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout=5)

    def _changed(self, channel: str | None = None) -> None:
        """A notification on `channel`, or on None: anything may have changed."""
        for name, callbacks in self._subscribers.items():
            if channel is None or name == channel:
                for callback in callbacks:
                    callback()

    def _run(self) -> None:
        pause = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5,
                                     application_name=APPLICATION_NAME) as connection:
                    for channel in self.channels:
                        connection.execute(f"LISTEN {channel}")
                    self._changed()  # whatever changed before LISTEN took effect went unheard
                    self._listening.set()
                    pause = 0.5
                    checked = time.monotonic()
                    while not self._stop.is_set():
                        for notification in connection.notifies(timeout=1.0):  # wakes each second
                            self._changed(notification.channel)
                        if time.monotonic() - checked >= self.check_every:
                            connection.execute("SELECT 1")  # a dead peer shows here, not in a quiet wait
                            checked = time.monotonic()
            except Exception as exc:  # any failure: stop trusting copies, then reconnect
                if not self._stop.is_set():
                    log.warning("not listening for changes (%s); retrying in %.1f s", exc, pause)
            finally:
                self._listening.clear()
                self._changed()
            self._stop.wait(pause)
            pause = min(pause * 2, 10.0)
