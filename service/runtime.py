"""What a request needs at hand: settings, the database and the task queue, wired once per app."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g
from sqlalchemy.orm import Session

from service.config import Settings
from service.services.queue import TaskQueue
from service.storage.db import Database


@dataclass
class Runtime:
    settings: Settings
    database: Database
    queue: TaskQueue


def runtime() -> Runtime:
    return current_app.extensions["claimdesk"]


def db_session() -> Session:
    """The request's session, opened on first use and closed when the request ends."""
    if "db_session" not in g:
        g.db_session = runtime().database.sessionmaker()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
