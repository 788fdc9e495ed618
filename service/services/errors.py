"""Failures a use case reports; the API turns each into one problem+json response."""
from __future__ import annotations


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, errors: dict | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class InvalidInput(ServiceError):
    status = 422
    title = "Invalid input"
