"""/articles/{id}/export and /exports: ClaimReview and W3C Web Annotations as NDJSON, or CSV, streamed."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView
from marshmallow import RAISE

from service.api import API_PREFIX
from service.api.parsing import Blueprint
from service.runtime import db_session, public_url, runtime, streamed
from service.schemas.exports import ArticleExportQueryArgsSchema, ExportQueryArgsSchema
from service.services import exports as service

blp = Blueprint("exports", __name__, description="Exports for publishers, annotation tools and spreadsheets.")

_DOWNLOAD = {"Content-Disposition": {"description": "attachment; the file name says what the export holds.",
                                     "schema": {"type": "string"}}}
_LINES = {"type": "string", "description": "One JSON-LD document per line."}
_FORMATS = "format=claimreview or w3c: NDJSON (application/x-ndjson); format=csv: text/csv."
_CSV = {"type": "string", "description": "A header row, then one row per flag and per annotation."}


def _publisher() -> service.Publisher:
    settings = runtime().settings
    return service.Publisher(api_url=public_url() + API_PREFIX, org_name=settings.org_name,
                             org_url=settings.org_url,
                             verdicts=settings.verdicts)


def _download(format_name: str, scope: service.ExportScope) -> Response:
    """The export as it is read: a missing article or batch is a 404 here, before the first byte."""
    export_format = service.FORMATS[format_name]
    chunks = service.export(db_session(), format_name, scope, _publisher())
    response = streamed(chunks, export_format.media_type)
    name = service.filename(export_format, scope)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@blp.route("/articles/<id:article_id>/export")
class ArticleExport(MethodView):
    @blp.arguments(ArticleExportQueryArgsSchema(), location="query", unknown=RAISE)
    @blp.response(200, _LINES, content_type=service.NDJSON, headers=_DOWNLOAD,
                  description=_FORMATS)
    @blp.alt_response(200, schema=_CSV, content_type="text/csv", success=True, description=_FORMATS)
    def get(self, args, article_id: int):
        """Export one article's reviews, flags and annotations.

        `claimreview`: a schema.org ClaimReview per claim with a verdict (its latest). `w3c`: a W3C Web
        Annotation per current flag (tagging) and per annotation (assessing, commenting, linking), with
        TextQuoteSelector and TextPositionSelector into the article body. `csv`: a row per flag and per
        annotation, with the quoted text.
        """
        return _download(args["format"], service.ExportScope(article_id=article_id))


@blp.route("/exports")
class Exports(MethodView):
    @blp.arguments(ExportQueryArgsSchema(), location="query", unknown=RAISE)
    @blp.response(200, _LINES, content_type=service.NDJSON, headers=_DOWNLOAD,
                  description=_FORMATS)
    @blp.alt_response(200, schema=_CSV, content_type="text/csv", success=True, description=_FORMATS)
    def get(self, args):
        """Export many articles at once, oldest first, streamed in constant memory.

        The articles created in [`since`, `until`), optionally with a `status` or from a `batch`; the
        formats are those of one article's export.
        """
        scope = service.ExportScope(since=args.get("since"), until=args.get("until"),
                                    status=args.get("status"), batch_id=args.get("batch"))
        return _download(args["format"], scope)
