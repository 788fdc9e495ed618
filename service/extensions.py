"""Flask extensions, created unbound and bound to the app in create_app (never at import time)."""
from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from service.runtime import SAFE_METHODS

# Storage and defaults are set per app from Settings (memory on the embedded default, Redis in
# production, so every gunicorn worker counts against the same limit).
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)

# Logging in, on the desk and the API alike: every attempt counts against the address, and every failed
# one against the account named, from whatever address (guessing one password from many addresses).
LOGINS_PER_ADDRESS = "10 per minute;100 per hour"
FAILED_LOGINS_PER_ACCOUNT = "20 per hour"


@limiter.request_filter
def _reads_are_not_limited() -> bool:
    """The limits guard logins and password changes (POST, PUT); a read skips the limiter's checks."""
    return request.method in SAFE_METHODS


def _login_account() -> str:
    """The account a login names, as usernames compare (case-insensitively), from the JSON or form body;
    a digest, so any text makes a short, plain key."""
    body = request.get_json(silent=True) if request.is_json else request.form
    username = body.get("username") if hasattr(body, "get") else None
    username = username.strip().lower() if isinstance(username, str) else ""
    return hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()


_per_address = limiter.shared_limit(LOGINS_PER_ADDRESS, scope="login", methods=["POST"])
_per_account = limiter.shared_limit(FAILED_LOGINS_PER_ACCOUNT, scope="login-account", methods=["POST"],
                                    key_func=_login_account,
                                    deduct_when=lambda response: response.status_code == 401)


def login_limits(view: Callable) -> Callable:
    """Both login limits on a login view; the desk's and the API's share them."""
    return _per_address(_per_account(view))
