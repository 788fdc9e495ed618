"""/flags: the workers' flags across articles."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import RAISE

from service.api.parsing import Blueprint
from service.runtime import db_session
from service.schemas.articles import FlagPageSchema, FlagQueryArgsSchema
from service.services.flags import list_flags

blp = Blueprint("flags", __name__, url_prefix="/flags", description="Flags across articles.")


@blp.route("")
class Flags(MethodView):
    @blp.arguments(FlagQueryArgsSchema(), location="query", unknown=RAISE)
    @blp.response(200, FlagPageSchema)
    def get(self, args):
        """Current flags across articles, newest article first; filter by kind, subtype and article."""
        page = list_flags(db_session(), kind=args.get("kind"), subtype=args.get("subtype"),
                          article_id=args.get("article"), limit=args["limit"], cursor=args.get("cursor"))
        return {"items": page.items, "next_cursor": page.next_cursor}
