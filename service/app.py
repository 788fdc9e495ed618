"""create_app(): the Flask app, its API and the wiring of settings, database and task queue."""
from __future__ import annotations

import logging

from flask import Flask, Response, render_template, send_from_directory
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from service.api import (
    API_PREFIX,
    accounts,
    annotations,
    articles,
    auth,
    batches,
    claims,
    exports,
    flags,
    system,
)
from service.api import webhooks as webhook_api
from service.api.article_cache import ArticleCache
from service.api.parsing import register_id_converter
from service.api.problems import ClaimdeskApi, register_error_handlers
from service.config import Settings
from service.extensions import limiter
from service.http_limits import install as install_http_limits
from service.runtime import Runtime, close_session
from service.services.accounts import SESSION_LIFETIME
from service.services.queue import CeleryQueue, TaskQueue
from service.services.token_cache import TokenCache
from service.services.webhooks import send_after_commit
from service.storage.changes import ARTICLES_CHANNEL, AUTH_CHANNEL, ChannelListener
from service.storage.db import Database
from service.web import bp as desk


def _api_docs(app: Flask) -> None:
    """The interactive docs page, with Swagger UI served from the installed package (works offline)."""
    import swagger_ui_bundle

    @app.get("/api/docs/assets/<path:filename>")
    def swagger_asset(filename: str):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=3600)

    @app.get("/api/docs")
    def api_docs():
        return render_template("api_docs.html", spec_url="/api/openapi.json")


# Scripts and styles from this origin only, never inline; no framing (clickjacking); no MIME sniffing.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _caches(settings: Settings, database: Database) -> tuple[ArticleCache, TokenCache | None]:
    """The web process's copies of articles and of who tokens stand for. Only PostgreSQL tells a process
    about changes made by the others (web processes, workers, the CLI): elsewhere there is no token cache,
    and every article read is checked against the database."""
    max_bytes = settings.article_cache_mb * 1024 * 1024
    if database.engine.dialect.name != "postgresql":
        return ArticleCache(max_bytes), None
    listener = ChannelListener(settings.database_url, (AUTH_CHANNEL, ARTICLES_CHANNEL))
    articles = ArticleCache(max_bytes, listener)
    # This process's own writes reach its article copies at commit, before the response goes out; the
    # notification comes a moment later.
    event.listen(database.sessionmaker, "after_commit", lambda _session: articles.changed())
    tokens = TokenCache(listener, settings.token_cache_seconds) if settings.token_cache_seconds > 0 else None
    return articles, tokens


def create_app(settings: Settings | None = None, queue: TaskQueue | None = None) -> Flask:
    """Build the app; tests pass their own settings and a fake queue."""
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        API_TITLE="Claimdesk API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        SECRET_KEY=settings.session_secret(),
        SESSION_COOKIE_NAME="claimdesk_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,  # the cookie lasts as long as its session
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage,
        RATELIMIT_HEADERS_ENABLED=True,
        API_SPEC_OPTIONS={
            "info": {"description": "Store articles, read the claims and flags workers put on them, "
                                    "annotate claims, and import or re-flag articles in batches. "
                                    "Every error is application/problem+json."},
            "servers": [{"url": "/"}],
        },
    )
    if queue is None:
        from workers.celery_app import make_celery

        queue = CeleryQueue(make_celery(settings))
    database = Database(settings.database_url)
    # Webhook events a request's transaction records are sent to the workers once it commits.
    send_after_commit(database, queue)
    app.extensions["claimdesk"] = Runtime(settings, database, queue, *_caches(settings, database))
    app.teardown_appcontext(close_session)
    if settings.behind_proxy:
        # Trust one proxy's X-Forwarded-* so request.is_secure and the client address are the real ones.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    install_http_limits(app)
    limiter.init_app(app)
    app.before_request(auth.authenticate)
    app.after_request(_security_headers)

    api = ClaimdeskApi(app)
    app.extensions["claimdesk_api"] = api
    register_id_converter(app, api)
    for module in (accounts, annotations, articles, batches, claims, exports, flags, system, webhook_api):
        api.register_blueprint(module.blp, url_prefix=API_PREFIX + (module.blp.url_prefix or ""))
    register_error_handlers(app)
    _api_docs(app)
    app.register_blueprint(desk)  # the reviewer's pages: the queue at /, articles, login

    return app
