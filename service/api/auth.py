"""Who is calling: a bearer token or the browser's session cookie, checked before every API view."""
from __future__ import annotations

import hmac
import logging
import secrets

from flask import Response, current_app, g, request, session
from werkzeug.exceptions import Forbidden

from service.api.problems import problem
from service.domain.access import Principal
from service.runtime import db_session, runtime, writer_unit
from service.services.accounts import principal_for, record_token_use, resolve_token
from service.storage.accounts import User

log = logging.getLogger(__name__)

# Endpoints anyone may call: what a load balancer, a monitor or a would-be user needs before logging in.
PUBLIC_ENDPOINTS = frozenset({"system.Health", "system.Version", "accounts.Login"})
# POSTs that change nothing: flagging text without storing it is a read.
READ_ONLY_POSTS = frozenset({"system.FlagText", "accounts.Logout"})
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


def _password_mark(user: User) -> str:
    """Binds a browser session to the password it was opened with: changing the password (desk, API or
    CLI) ends every other session of that user. Keyed with the app's secret, since the signed session
    cookie is readable by its holder."""
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, user.password_hash.encode(), "sha256").hexdigest()[:32]


def log_in(user: User) -> None:
    session.clear()  # a fresh session on every login: no fixation
    session["user_id"] = user.id
    session["password_mark"] = _password_mark(user)
    session.permanent = True
    csrf_token()


def keep_session_after_password_change(user: User) -> None:
    """The session that changed the password stays logged in (with the same CSRF token); others end."""
    if session.get("user_id") == user.id:
        session["password_mark"] = _password_mark(user)


def log_out() -> None:
    session.clear()


def principal_from_session() -> Principal | None:
    """The logged-in user of this browser session; a deleted or disabled account, or a password changed
    since the session began, logs it out."""
    user_id = session.get("user_id")
    if user_id is None:
        return None
    user = db_session().get(User, user_id)
    if user is None or user.disabled \
            or not hmac.compare_digest(session.get("password_mark", ""), _password_mark(user)):
        session.clear()
        return None
    return principal_for(user)


def _record_use(token_id: int, moment) -> None:
    # In a unit of its own: the request's session may be a reader, which cannot write.
    with writer_unit() as session:
        record_token_use(session, token_id, moment)


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
        g.principal = resolve_token(db_session(), secret.strip(), runtime().token_cache, _record_use)
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
