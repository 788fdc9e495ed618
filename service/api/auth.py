"""Who is calling: a bearer token or the browser's session cookie, checked before every API view."""
from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from flask import Response, g, request, session
from werkzeug.exceptions import Forbidden

from service.api.problems import problem
from service.domain.access import Principal
from service.runtime import db_session, runtime, writer_unit
from service.services import accounts
from service.services.accounts import record_token_use, resolve_token
from service.storage.accounts import User

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# Endpoints anyone may call: what a load balancer, a monitor or a would-be user needs before logging in.
PUBLIC_ENDPOINTS = frozenset({"system.Health", "system.Version", "accounts.Login"})
# POSTs that change nothing: flagging text without storing it is a read.
READ_ONLY_POSTS = frozenset({"flags.FlagText", "accounts.Logout"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "X-CSRF-Token"


def unauthorized(detail: str) -> Response:
    """401 with the challenge RFC 9110 requires: how the caller may authenticate."""
    return problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="claimdesk"'})


def csrf_token() -> str:
    """The session's CSRF token, made on first use; pages and cookie-based API calls echo it back."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def log_in(user: User) -> None:
    """Open a server-side session for `user`: the cookie carries its secret, the database its digest."""
    session.clear()  # a fresh session on every login: no fixation
    session["sid"] = accounts.open_session(db_session(), user)
    session.permanent = True
    csrf_token()


def session_secret() -> str | None:
    """This browser session's secret (None without one), e.g. to keep it through a password change."""
    return session.get("sid")


def log_out() -> None:
    """End this browser session in the database, not only in this browser: a copy of the cookie is
    refused from now on. The user's other sessions (another browser, a phone) stay logged in."""
    secret = session_secret()
    if secret:
        accounts.end_session(db_session(), secret)
    session.clear()


def principal_from_session() -> Principal | None:
    """The logged-in user of this browser session; a session logged out, ended by a password change or
    unused too long, or of a deleted or disabled account, logs the browser out."""
    secret = session_secret()
    if not secret:
        return None  # not logged in (a cookie from before sessions were kept server-side is not either)
    principal = accounts.resolve_session(db_session(), secret, _in_writer(accounts.record_session_use))
    if principal is None:
        session.clear()
    return principal


def _in_writer(record: Callable[[Session, int, datetime], None]) -> Callable[[int, datetime], None]:
    """`record` (a token's or a browser session's use) in a unit of its own: the request's session may be
    a reader, which cannot write."""

    def run(row_id: int, moment: datetime) -> None:
        with writer_unit() as writer:
            record(writer, row_id, moment)

    return run


def authenticate() -> Response | None:
    """Set `g.principal` for API requests; answer 401 where a caller is needed and missing."""
    g.principal = None
    if not request.path.startswith("/api/v1/"):
        return None
    header = request.headers.get("Authorization")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return unauthorized("Send an API token as `Authorization: Bearer <token>`.")
        g.principal = resolve_token(db_session(), secret.strip(), runtime().token_cache,
                                    _in_writer(record_token_use))
        if g.principal is None:
            log.warning("rejected an unknown, revoked or expired token from %s", request.remote_addr)
            return unauthorized("The token is unknown, revoked or expired.")
    else:
        g.principal = principal_from_session()
        if g.principal is not None and request.method in UNSAFE_METHODS \
                and request.endpoint not in PUBLIC_ENDPOINTS:
            # A cookie rides along on cross-site requests; a header the page read from the session
            # cannot, so it proves the request came from Claimdesk's own pages.
            sent = request.headers.get(CSRF_HEADER, "")
            # bytes: compare_digest rejects non-ASCII str, and a header is whatever the client sends.
            if not hmac.compare_digest(sent.encode(), session.get("csrf", "").encode()):
                return problem(403, "Forbidden", f"Missing or wrong {CSRF_HEADER} header.")
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if g.principal is None:
        return unauthorized("Log in or send an API token.")
    if not g.principal.can_read():
        return problem(403, "Forbidden", "This token has no `read` scope.")
    if request.method in UNSAFE_METHODS and request.endpoint not in READ_ONLY_POSTS \
            and not g.principal.can_write():
        return problem(403, "Forbidden", "This token has no `write` scope.")
    return None


def current() -> Principal:
    """The authenticated caller of this request (views run only after `authenticate` let them in)."""
    principal = g.get("principal")
    if principal is None:
        raise Forbidden("No authenticated caller.")
    return principal


def require(allowed: bool, detail: str) -> None:
    if not allowed:
        raise Forbidden(detail)


def set_principal(principal: Principal) -> None:
    g.principal = principal
