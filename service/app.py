"""create_app(): the Flask app, its API and the wiring of settings, database and task queue."""
from __future__ import annotations

import logging

from flask import Flask, redirect, send_from_directory

from service.api import API_PREFIX, articles, batches, claims, exports, flags, system
from service.api.problems import ClaimdeskApi, register_error_handlers
from service.config import Settings
from service.runtime import Runtime, close_session
from service.services.queue import CeleryQueue, TaskQueue
from service.storage.db import Database


def _swagger_assets(app: Flask) -> None:
    """Serve Swagger UI's files from the installed package: the docs page works without internet."""
    import swagger_ui_bundle

    @app.get("/api/docs/assets/<path:filename>")
    def swagger_asset(filename: str):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=3600)


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
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/api/docs/assets/",
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
    app.extensions["claimdesk"] = Runtime(settings, Database(settings.database_url), queue)
    app.teardown_appcontext(close_session)

    api = ClaimdeskApi(app)
    app.extensions["claimdesk_api"] = api
    for module in (articles, batches, claims, exports, flags, system):
        api.register_blueprint(module.blp, url_prefix=API_PREFIX + (module.blp.url_prefix or ""))
    register_error_handlers(app)
    _swagger_assets(app)

    @app.get("/")
    def index():
        return redirect("/api/docs")

    return app
