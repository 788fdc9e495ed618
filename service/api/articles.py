"""/articles: submit, list, read and delete articles."""
from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import RAISE

from service.api.parsing import Blueprint
from service.api.presenters import article_detail, article_summaries, claims_with_flags
from service.runtime import db_session, runtime
from service.schemas.articles import (
    ArticleCreateSchema,
    ArticlePageSchema,
    ArticleQueryArgsSchema,
    ArticleSchema,
    ClaimSchema,
)
from service.services import articles as service

blp = Blueprint("articles", __name__, url_prefix="/articles", description="Articles and their claims.")

ID = "<int(max=2147483647):article_id>"


@blp.route("")
class Articles(MethodView):
    @blp.arguments(ArticleQueryArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, ArticlePageSchema)
    def get(self, args):
        """List articles, newest first.

        Filter by status, outlet, flag kind or subtype, free text and publication dates; follow
        `next_cursor` for the next page.
        """
        limit, cursor = args.pop("limit"), args.pop("cursor", None)
        session = db_session()
        page = service.list_articles(session, service.ArticleFilter(**args), limit, cursor)
        return {"items": article_summaries(session, page.items), "next_cursor": page.next_cursor}

    @blp.arguments(ArticleCreateSchema)
    @blp.response(202, ArticleSchema, description="Stored and queued for flagging.")
    @blp.alt_response(200, schema=ArticleSchema, description="Already stored (same external id or body).")
    @blp.alt_response(413, description="The request body is too large.")
    def post(self, data):
        """Submit an article (pasted text or HTML).

        The body is cleaned of page furniture and split into claims at once; flags follow from a
        background worker (watch `status` move from `queued` to `flagged`).
        """
        session = db_session()
        article, created = service.submit_article(
            session, runtime().queue, service.Submission(**data), runtime().settings.max_article_chars)
        location = url_for("articles.Article", article_id=article.id)
        return article_detail(session, service.get_article(session, article.id)), \
            202 if created else 200, {"Location": location}


@blp.route(f"/{ID}")
class Article(MethodView):
    @blp.response(200, ArticleSchema)
    def get(self, article_id: int):
        """Read an article with its claims, their current flags and annotation counts."""
        session = db_session()
        return article_detail(session, service.get_article(session, article_id))

    @blp.response(204)
    def delete(self, article_id: int):
        """Delete an article with its claims, flags and annotations."""
        service.delete_article(db_session(), article_id)


@blp.route(f"/{ID}/claims")
class ArticleClaims(MethodView):
    @blp.response(200, ClaimSchema(many=True))
    def get(self, article_id: int):
        """The article's claims in reading order, with their current flags."""
        session = db_session()
        return claims_with_flags(session, service.get_article(session, article_id))
