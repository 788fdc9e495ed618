"""create_app(): the Flask app and its API, on the wiring service/bootstrap.py builds."""
from __future__ import annotations

import logging

from flask import Flask, Response, render_template, send_from_directory
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
from service.api.parsing import register_id_converter
from service.api.problems import ClaimdeskApi, register_error_handlers
from service.bootstrap import build
from service.config import Settings
from service.extensions import limiter
from service.http_limits import install as install_http_limits
from service.runtime import close_session, end_unit
from service.services.accounts import SESSION_LIFETIME
from service.services.queue import TaskQueue
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


class ClaimdeskFlask(Flask):
    def dispatch_request(self):
        """The view's answer, then the commit of the request's unit of work: a commit that fails is
        answered like any error of the view (a problem document), not after the response has gone."""
        response = self.make_response(super().dispatch_request())
        end_unit(response)
        return response


def create_app(settings: Settings | None = None, queue: TaskQueue | None = None) -> Flask:
    """Build the app; tests pass their own settings and a fake queue."""
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = ClaimdeskFlask(__name__, instance_path=str(settings.instance_path))
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
    app.extensions["claimdesk"] = build(settings, queue, web=True)
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
