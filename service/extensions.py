"""Flask extensions, created unbound and bound to the app in create_app (never at import time)."""
from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# Storage and defaults are set per app from Settings (memory on the embedded default, Redis in
# production, so every gunicorn worker counts against the same limit).
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
