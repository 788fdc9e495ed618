"""The unit of work: one session, its commit, and what must follow the commit.

Services change the session and say what must happen once the change is committed (`after_commit`: a
task to enqueue, a webhook delivery to send); they never commit. Whoever opens the unit (a view, a task,
a command) commits it, and then the effects are published, in the order they were asked for, whichever
engine and kind of session was used. A rollback drops them: nothing is sent for a change that was not
kept. Every commit of a writer also tells the process's article cache that articles may have changed.

A read-only unit (`Unit(..., read_only=True)`, on the reader engine) cannot write: the database refuses
it (see service/storage/db.py), so a GET that writes fails in tests instead of writing unnoticed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from service.services.queue import TaskQueue

if TYPE_CHECKING:
    from service.storage.db import Database

EFFECTS = "claimdesk_after_commit"  # a key of Session.info

Effect = Callable[[TaskQueue], Any]


@dataclass(frozen=True)
class Outlets:
    """Where a process's effects go: its task queue, and what to tell when articles may have changed."""

    queue: TaskQueue
    changed: Callable[[], None] | None = None


def connect(database: Database, queue: TaskQueue, changed: Callable[[], None] | None = None) -> None:
    """Send the effects of every commit of `database`'s sessions to `queue`; call `changed` after each
    commit of a writer (the web process's article cache). service/bootstrap.py does it for each process."""
    database.outlets = Outlets(queue, changed)


def after_commit(session: Session, effect: Effect) -> None:
    """Run `effect(queue)` once the session's transaction commits; never if it rolls back."""
    session.info.setdefault(EFFECTS, []).append(effect)


def checkpoint(session: Session) -> None:
    """Commit what a long operation has done so far, publishing its effects, and go on in a new
    transaction. For the operations that are several transactions by design: flagging (a group is stored
    while the next is detected), imports (in chunks), sweeps and webhook attempts (no transaction stays
    open while a receiver is called). Everything else leaves the commit to whoever opened the unit."""
    session.commit()


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    effects = session.info.pop(EFFECTS, [])
    database = session.info.get("database")
    outlets: Outlets | None = database and database.outlets
    if outlets is None:
        return  # a session no Database made (a migration, a script): nobody to send to
    if outlets.changed is not None and not session.info.get("read_only"):
        outlets.changed()
    for effect in effects:
        effect(outlets.queue)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    # After a commit the effects have been published (after_commit runs first); after a rollback or a
    # close the change is gone, and so is what was to follow it.
    if transaction.parent is None:
        session.info.pop(EFFECTS, None)


class Unit:
    """`with Unit(database) as session:` commits on success and publishes the effects; rolls back and
    drops them on any error. `read_only`: a session of the reader engine, which refuses writes.

    A long operation inside may `checkpoint` the session (see there)."""

    def __init__(self, database: Database, *, read_only: bool = False) -> None:
        self.read_only = read_only
        self.session: Session = (database.reader if read_only else database.sessionmaker)()

    def __enter__(self) -> Session:
        return self.session

    def __exit__(self, exc_type, _exc, _tb) -> None:
        try:
            if exc_type is None and not self.read_only:
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()
