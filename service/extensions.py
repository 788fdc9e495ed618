"""Flask extensions, created unbound and bound to the app in create_app (never at import time)."""
from __future__ import annotations

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from service.runtime import SAFE_METHODS

# Storage and defaults are set per app from Settings (memory on the embedded default, Redis in
# production, so every gunicorn worker counts against the same limit).
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


@limiter.request_filter
def _reads_are_not_limited() -> bool:
    """The limits guard logins and password changes (POST, PUT); a read skips the limiter's checks."""
    return request.method in SAFE_METHODS
