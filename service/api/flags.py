"""/flags: the workers' flags across articles; /flag: detection on a text, storing nothing."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import RAISE

from service.api.parsing import Blueprint
from service.api.problems import problem_doc
from service.extensions import limiter
from service.runtime import db_session, runtime
from service.schemas.articles import FlagPageSchema, FlagQueryArgsSchema, FlagTextResultSchema, FlagTextSchema
from service.services.detector import DETECTOR_VERSION
from service.services.flags import list_flags
from service.services.on_demand import flag_text

blp = Blueprint("flags", __name__, description="Flags across articles, and flagging a text synchronously.")


@blp.route("/flags")
class Flags(MethodView):
    @blp.arguments(FlagQueryArgsSchema(), location="query", unknown=RAISE)
    @blp.response(200, FlagPageSchema)
    def get(self, args):
        """Current flags across articles, newest article first; filter by kind, subtype and article."""
        page = list_flags(db_session(), kind=args.get("kind"), subtype=args.get("subtype"),
                          article_id=args.get("article"), limit=args["limit"], cursor=args.get("cursor"))
        return {"items": page.items, "next_cursor": page.next_cursor}


def _flag_rate_limit() -> str:
    return runtime().settings.flag_rate_limit


@blp.route("/flag")
class FlagText(MethodView):
    # Detection runs in this web process while the client waits: each address gets a share of it.
    decorators = [limiter.limit(_flag_rate_limit, methods=["POST"])]

    @blp.arguments(FlagTextSchema())
    @blp.response(200, FlagTextResultSchema)
    @blp.alt_response(413, **problem_doc("The text is longer than the service flags in one request."))
    @blp.alt_response(429, **problem_doc("Too many texts from this address; see `Retry-After`."))
    def post(self, data):
        """Flag a text synchronously and store nothing (for editors' plugins).

        Offsets index the text exactly as sent.
        """
        flags = flag_text(data["text"], runtime().settings.max_flag_chars)
        return {"detector_version": DETECTOR_VERSION, "flags": flags}
