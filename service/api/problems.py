"""One error format for the whole API: RFC 9457 problem+json, never an HTML page or a stack trace."""
from __future__ import annotations

import logging
from typing import Any

from flask import Response, json
from flask_smorest import Api
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from service.schemas.common import ProblemSchema, field_messages
from service.services.errors import ServiceError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str | None = None, errors: Any = None,
            headers: dict[str, str] | None = None, extensions: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {**(extensions or {}), "type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response


def problem_doc(description: str) -> dict[str, Any]:
    """`alt_response` arguments for an error a view answers: a problem document, like every error."""
    return {"schema": ProblemSchema, "content_type": PROBLEM_JSON, "description": description}


PROBLEM_REF = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


class ClaimdeskApi(Api):
    """flask-smorest's Api with problem+json errors, documented as such."""

    ERROR_SCHEMA = ProblemSchema

    def init_app(self, app, *, spec_kwargs=None) -> None:
        super().init_app(app, spec_kwargs=spec_kwargs)
        # Every operation needs an API token or a browser session; the public few say `security: []`.
        self.spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
        self.spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie",
                                                         "name": app.config["SESSION_COOKIE_NAME"]})
        self.spec.options["security"] = [{"token": []}, {"session": []}]

    def _register_responses(self) -> None:
        """flask-smorest documents its error responses as application/json; ours are problem+json."""
        content_type, self.DEFAULT_RESPONSE_CONTENT_TYPE = self.DEFAULT_RESPONSE_CONTENT_TYPE, PROBLEM_JSON
        try:
            super()._register_responses()
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = content_type

    def handle_http_exception(self, error: HTTPException) -> Response:
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        detail = data.get("message") or error.description
        if errors:
            lines = field_messages(errors)
            unknown = [line.split(":")[0] for line in lines if line.endswith("Unknown field.")]
            if unknown:
                detail = f"Unknown field(s): {', '.join(unknown)}. " + "; ".join(
                    line for line in lines if not line.endswith("Unknown field."))
            else:
                detail = "; ".join(lines)
            detail = detail.strip().rstrip(";")
        # The exception's own headers too: Allow on a 405 (RFC 9110 requires it), WWW-Authenticate on a
        # 401, Retry-After on a 429 or 503. Its Content-Type is that of werkzeug's HTML page: not ours.
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        return problem(error.code or 500, error.name, detail, errors, headers)


def register_error_handlers(app) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(error: ServiceError) -> Response:
        return problem(error.status, error.title, error.detail, error.errors, error.headers, error.extensions)

    @app.errorhandler(OperationalError)
    def _database_down(error: OperationalError) -> Response:
        log.error("database unavailable: %s", error.orig)
        return problem(503, "Service Unavailable", "The database is unavailable; try again shortly.",
                       headers={"Retry-After": "5"})

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return app.extensions["claimdesk_api"].handle_http_exception(error)
        log.exception("unhandled error")
        return problem(500, "Internal Server Error", "Something went wrong on our side; it has been logged.")
