"""Limits on what a request may send (body, request line, header fields), each refused as problem+json.

werkzeug already refuses a body whose Content-Length is over `max_content_length`. A chunked body (no
Content-Length) is different: werkzeug wraps it in a stream that stops quietly at the limit, so an
oversized JSON document was cut short and answered 400 "Invalid JSON body", and a body of exactly the
limit was refused on the read that found its end. `BodyLimitedRequest` reads one byte past the limit to
tell the two apart: more data is a 413, the end of the stream is a body that fits.
"""
from __future__ import annotations

from typing import IO

from flask import Flask, Request, Response, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

from service.api.problems import problem

# gunicorn refuses a longer request line (414) or header field (431) with an HTML page of its own and no
# hook to change it. Its limits are set above these in gunicorn_conf.py, so the app sees such requests and
# answers them with a problem document; only what is over gunicorn's own maximum gets gunicorn's page.
MAX_REQUEST_LINE = 4094
MAX_HEADER_FIELD = 8190


class _CappedBody(LimitedStream):
    """A streamed body of unknown length, read up to `limit` bytes; asking for more of a longer one is a 413.

    When the limit is reached, one more byte is read to learn whether the body goes on. The bytes up to
    the limit are still handed out (a batch keeps the lines before it); the next read, or a read of the
    whole body, raises RequestEntityTooLarge.
    """

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        super().__init__(stream, limit, is_max=True)
        self._end_checked = False
        self._over = False

    def readinto(self, b) -> int:  # type: ignore[override]
        size = super().readinto(b)
        if self.is_exhausted and not self._end_checked:
            self._end_checked = True
            self._over = bool(self._stream.read(1))
        return size

    def readall(self) -> bytes:
        data = super().readall()
        self.on_exhausted()
        return data

    def on_exhausted(self) -> None:
        if self._over:
            raise RequestEntityTooLarge()


class BodyLimitedRequest(Request):
    """Flask's request, with chunked bodies over `max_content_length` refused as 413 at the limit."""

    @cached_property
    def stream(self) -> IO[bytes]:
        limit = self.max_content_length
        if limit is not None and self.content_length is None and "wsgi.input_terminated" in self.environ:
            return _CappedBody(self.environ["wsgi.input"], limit)
        return get_input_stream(self.environ, max_content_length=limit)


def _request_line_length() -> int:
    environ = request.environ
    # gunicorn's RAW_URI is the request target as sent; other servers (and test clients) may give only
    # the path there, so the decoded path and query string count as well.
    target = max(len(environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""),
                 len(request.path) + 1 + len(environ.get("QUERY_STRING", "")))
    return len(request.method) + target + len(environ.get("SERVER_PROTOCOL", "")) + 2


def check_request_head() -> Response | None:
    """414 for a request line, 431 for a header field, over the limits gunicorn would enforce itself."""
    if _request_line_length() > MAX_REQUEST_LINE:
        return problem(414, "URI Too Long",
                       f"The request line is over {MAX_REQUEST_LINE:,} bytes; send long filters in fewer "
                       "or shorter parameters.")
    for name, value in request.headers.items():
        if len(name) + len(value) + 2 > MAX_HEADER_FIELD:
            return problem(431, "Request Header Fields Too Large",
                           f"The {name} header is over {MAX_HEADER_FIELD:,} bytes.")
    return None


# Endpoints serving files that are the same for everyone: the browser may keep them.
STATIC_ENDPOINTS = frozenset({"static", "web.static", "swagger_asset"})


def no_store(response: Response) -> Response:
    """Nothing but static files is kept by a browser or proxy: API answers and desk pages carry a user's
    data or session (a shared computer's back button, a caching proxy), and telling which public ones
    could be cached is not worth the risk."""
    if request.endpoint not in STATIC_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    return response


def install(app: Flask) -> None:
    app.request_class = BodyLimitedRequest
    # First, before authentication reads a header or a view reads the body.
    app.before_request_funcs.setdefault(None, []).insert(0, check_request_head)
    app.after_request(no_store)

