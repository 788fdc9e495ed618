"""A request's access to the app's wiring (service/bootstrap.py): its session, its public address."""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from contextlib import suppress
from urllib.parse import urlsplit

from flask import Response, current_app, g, has_request_context, request, stream_with_context
from sqlalchemy.orm import Session

from service.bootstrap import Runtime
from service.services.errors import ServiceError
from service.unit_of_work import Unit


def runtime() -> Runtime:
    return current_app.extensions["claimdesk"]


def public_url() -> str:
    """The service's public address, for absolute links in what it sends out: CLAIMDESK_PUBLIC_URL, or
    else the address the request was made at if its host is allowed (see `Settings.public_url`)."""
    settings = runtime().settings
    if settings.public_url:
        return settings.public_url
    if not _allowed(request.host, settings.allowed_hosts):
        raise ServiceError("This export links back to the desk, and the host this request was made at is "
                           "not one it may link to. Ask the administrator to set CLAIMDESK_PUBLIC_URL to "
                           "the desk's public address (or to add the host to CLAIMDESK_ALLOWED_HOSTS).")
    return request.url_root.rstrip("/")


def _allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """Whether the name or address of `host` (a Host header werkzeug has checked the form of: maybe a port,
    maybe empty) is on `allowed`, as `Settings.allowed_hosts` writes them. Not werkzeug's `host_is_trusted`:
    it cuts each entry at its first ':', so no IPv6 address would ever match."""
    try:
        name = urlsplit(f"//{host}").hostname  # lower case, no port, no brackets
    except ValueError:  # brackets around something that is no IPv6 address
        return False
    if not name:
        return False
    with suppress(ValueError):
        name = str(ipaddress.ip_address(name))  # the short form, as the settings keep it
    return any(name == entry or (entry.startswith(".") and f".{name}".endswith(entry)) for entry in allowed)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def db_session() -> Session:
    """The request's session, opened on first use and closed when the request ends: the request's unit
    of work (see `end_unit`). GET and HEAD get one that cannot write, without a transaction around its
    statements (autocommit: see `Database.reader`)."""
    if "db_session" not in g:
        database = runtime().database
        reading = has_request_context() and request.method in SAFE_METHODS
        g.db_session = (database.reader if reading else database.sessionmaker)()
    return g.db_session


def end_unit(response: Response) -> None:
    """Commit what the request changed, if it succeeded (its effects follow the commit: see
    service/unit_of_work.py); an error answer leaves it to be rolled back when the session closes."""
    session: Session | None = g.get("db_session")
    if session is not None and not session.info.get("read_only") and response.status_code < 400:
        session.commit()


def writer_unit() -> Unit:
    """A short unit of its own, for what a request that only reads must still record (a token's use)."""
    return Unit(runtime().database)


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def streamed(chunks: Iterable[str], mimetype: str) -> Response:
    """A response whose body is read while it is sent, after the view has returned and the request has
    been torn down, and which takes the request's session with it.

    Left with the request, the session would be closed by the teardown before the first chunk; the body
    would then open a new connection on it that no one closes, one pooled connection lost per download
    until the garbage collector happened by (under load the pool ran dry and every request failed).
    So the body owns the session and closes it when it ends or fails, and the response closes it when
    the server lets go of it: a client that hangs up mid-way or before the first chunk.
    """
    session: Session | None = g.pop("db_session", None)

    def close() -> None:
        if session is not None:
            session.close()

    def body() -> Iterator[str]:
        try:
            yield from chunks
        finally:
            close()

    response = Response(stream_with_context(body()), mimetype=mimetype)
    response.call_on_close(close)
    return response
