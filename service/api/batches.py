"""/batches and /reflag: import articles in bulk, re-run detection by filter, follow progress, cancel."""
from __future__ import annotations

import io
from typing import BinaryIO

from flask import request, url_for
from flask.views import MethodView
from marshmallow import RAISE
from werkzeug.exceptions import UnsupportedMediaType

from service.api import auth
from service.api.links import BODY_ID, links
from service.api.parsing import Blueprint
from service.api.presenters import batch_view
from service.api.problems import problem_doc
from service.runtime import db_session, runtime
from service.schemas.batches import BatchPageSchema, BatchSchema, ReflagSchema
from service.schemas.common import PageArgsSchema
from service.services import batches as service
from service.services.articles import ArticleFilter
from service.services.errors import InvalidInput

blp = Blueprint("batches", __name__, description="Imports and re-flags of many articles.")

ID = "<id:batch_id>"
# A new batch (an import or a re-flag): its progress, its cancelling and its export.
_STARTED = links(202, ("GET", "/batches/{batch_id}", {"batch_id": BODY_ID}),
                 ("POST", "/batches/{batch_id}/cancel", {"batch_id": BODY_ID}),
                 ("GET", "/exports", {"query.batch": BODY_ID}))
NDJSON = "application/x-ndjson"
MULTIPART = "multipart/form-data"

UPLOAD = {"required": True, "description": (
    "JSON Lines: one article per line, with the fields of `POST /articles`. Blank lines are skipped."),
    "content": {
        NDJSON: {"schema": {"type": "string", "format": "binary"}},
        MULTIPART: {"schema": {"type": "object", "required": ["file"],
                               "properties": {"file": {"type": "string", "format": "binary"}}}},
    }}


def _upload() -> BinaryIO:
    """The uploaded JSONL as a stream; nothing is held in memory beyond a buffer."""
    # Batches have their own size limit; the app-wide one is sized for single articles.
    request.max_content_length = runtime().settings.max_batch_bytes
    if request.mimetype == NDJSON:
        # The raw WSGI stream reads a byte per readline() call; the buffer makes lines cheap.
        return io.BufferedReader(request.stream, 1 << 16)
    if request.mimetype == MULTIPART:
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput("Send the JSONL file in a form part named `file`.",
                               {"file": ["Missing data for required field."]})
        return upload.stream
    raise UnsupportedMediaType(f"Send the articles as {NDJSON} (one JSON object per line) or as a "
                               f"{MULTIPART} upload with a `file` part; got {request.mimetype or 'nothing'}.")


@blp.route("/batches")
class Batches(MethodView):
    @blp.arguments(PageArgsSchema(), location="query", unknown=RAISE)
    @blp.response(200, BatchPageSchema)
    @blp.doc(**links(200, ("GET", "/batches/{batch_id}", {"batch_id": "$response.body#/items/0/id"})))
    def get(self, args):
        """List batches, newest first, with their progress; follow `next_cursor` for the next page."""
        page = service.list_batches(db_session(), args["limit"], args.get("cursor"))
        return {"items": [batch_view(r) for r in page.items], "next_cursor": page.next_cursor}

    @blp.doc(requestBody=UPLOAD)
    @blp.response(202, BatchSchema, description="Read, stored and queued for flagging.")
    @blp.alt_response(413, **problem_doc("Over the size limit or the line limit; what was read is kept."))
    @blp.alt_response(415, **problem_doc("Neither application/x-ndjson nor multipart/form-data."))
    @blp.doc(**_STARTED)
    def post(self):
        """Import articles from a JSON Lines upload.

        The upload is read line by line; every line is validated like `POST /articles`. Lines that fail
        are listed in `errors` with their number; articles already stored (same `external_id` or body)
        count as `duplicates` and are skipped, so sending a file again resumes it. Follow the batch at
        its `Location` until `status` is `finished`.
        """
        settings = runtime().settings
        stream = _upload()
        session = db_session()
        limits = service.ImportLimits(max_lines=settings.max_batch_lines, max_bytes=settings.max_batch_bytes,
                                      max_line_bytes=settings.max_request_bytes,
                                      max_article_chars=settings.max_article_chars)
        batch = service.start_import(session)
        service.import_articles(session, runtime().queue, batch, stream, limits)
        return batch_view(service.get_batch(session, batch.id)), 202, \
            {"Location": url_for("batches.Batch", batch_id=batch.id)}


@blp.route(f"/batches/{ID}")
class Batch(MethodView):
    @blp.response(200, BatchSchema)
    def get(self, batch_id: int):
        """A batch's progress: its articles by status, duplicates, line errors and articles per second."""
        return batch_view(service.get_batch(db_session(), batch_id))


@blp.route(f"/batches/{ID}/cancel")
class CancelBatch(MethodView):
    @blp.response(200, BatchSchema)
    def post(self, batch_id: int):
        """Cancel a batch: its articles no worker has started fail with reason "batch cancelled".

        Articles being flagged finish; cancelling a finished or cancelled batch changes nothing (editors).
        """
        auth.require(auth.current().can_edit_any(), "Only editors cancel batches.")
        return batch_view(service.cancel_batch(db_session(), batch_id))


@blp.route("/reflag")
class Reflag(MethodView):
    @blp.arguments(ReflagSchema())
    @blp.response(202, BatchSchema, description="The matching articles are queued as one batch.")
    @blp.doc(**_STARTED)
    def post(self, data):
        """Run detection again over the articles matching a filter (the filters of `GET /articles`).

        Flags are stored under the running detector version and become the current ones; claims are
        not rewritten, so reviewers' annotations stay where they are (editors).
        """
        auth.require(auth.current().can_edit_any(), "Only editors start a re-flag.")
        session = db_session()
        batch = service.start_reflag(session, runtime().queue, ArticleFilter(**data))
        return batch_view(service.get_batch(session, batch.id)), 202, \
            {"Location": url_for("batches.Batch", batch_id=batch.id)}
