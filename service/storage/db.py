"""Engines and sessions for SQLite (the embedded default) and PostgreSQL (production)."""
from __future__ import annotations

import time

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import sessionmaker


def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL ("postgresql+psycopg://...") as libpq, psycopg.connect and psql take it."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_engine(url: str, autocommit: bool = False, read_only: bool = False) -> Engine:
    """An engine tuned for the backend: SQLite must share one file between web and worker processes.

    `autocommit`: its connections stay in autocommit mode, set once when each is made. `read_only`: the
    database refuses every write made through them (PostgreSQL: default_transaction_read_only; SQLite:
    PRAGMA query_only)."""
    options: dict = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **options)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            # WAL lets the web process read while the worker writes; without foreign_keys SQLite
            # would silently ignore ON DELETE CASCADE.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if read_only:
                cursor.execute("PRAGMA query_only=ON")
            cursor.close()

        return engine
    if read_only:
        options["connect_args"] = {"options": "-c default_transaction_read_only=on"}
    engine = create_engine(url, pool_size=5, max_overflow=10, **options)
    _ping_when_idle(engine)
    return engine


# A pooled connection idle this long is checked before use (see _ping_when_idle).
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """A PostgreSQL restart must not surface as a failed request on a dead pooled connection, so a
    connection that has sat in the pool is pinged before it is handed out, and replaced if dead.

    SQLAlchemy's `pool_pre_ping` does that on every checkout: one more round trip per request, which
    under load was a fifth of a read's database time. A connection back in use within the second has just
    worked; if the server dies under it, the statement fails, SQLAlchemy sees a disconnect and replaces
    every connection in the pool, as it would for a pinged one.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # a new connection, or one that has just been in use
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                # The pool discards this connection and checks out another (a fresh one if need be).
                raise DisconnectionError("the pooled connection was dead") from exc
            raise


class Database:
    """The engines (one for writes, one of read-only autocommit connections for reads) and their session
    factories; service/bootstrap.py builds one per process. Every session's `info` names its Database
    (and "read_only" for the reader's), so what follows a commit finds the process's `outlets` (see
    service/unit_of_work.py)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.outlets = None  # set by service.unit_of_work.connect
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False, info={"database": self})
        # For requests that only read. Each statement commits on its own, so a read costs no BEGIN and
        # no ROLLBACK round trip; it sees what it would have seen inside a READ COMMITTED transaction,
        # where every statement takes a fresh snapshot anyway. Its own pool of autocommit connections
        # spares switching a pooled connection to autocommit and back on every checkout.
        self.read_engine = make_engine(url, autocommit=True, read_only=True)
        self.reader = sessionmaker(self.read_engine, expire_on_commit=False,
                                   info={"database": self, "read_only": True})

    def dispose(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()
