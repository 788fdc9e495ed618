"""Failures a use case reports; the API turns each into one problem+json response."""
from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, errors: dict | None = None, extensions: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extensions = extensions
        self.headers = headers


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Forbidden(ServiceError):
    status = 403
    title = "Forbidden"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"


class InvalidInput(ServiceError):
    status = 422
    title = "Invalid input"


class ContentTooLarge(ServiceError):
    status = 413
    title = "Content Too Large"


class PreconditionRequired(ServiceError):
    status = 428
    title = "Precondition Required"


class PreconditionFailed(ServiceError):
    """The caller edited a version someone else has changed since; `current` carries the new one."""

    status = 412
    title = "Precondition Failed"
