"""/articles: submit, list, read and delete articles."""
from __future__ import annotations

from flask import Response, request, url_for
from flask.views import MethodView
from marshmallow import RAISE

from service.api import auth
from service.api.article_cache import ArticleCache, CachedArticle
from service.api.claims import IF_MATCH
from service.api.links import BODY_ID, ETAG, links
from service.api.parsing import Blueprint
from service.api.presenters import article_detail, article_summaries, claims_with_flags
from service.api.problems import problem_doc
from service.runtime import db_session, runtime
from service.schemas.annotations import ReviewStatusSchema
from service.schemas.articles import (
    ArticleCreateSchema,
    ArticlePageSchema,
    ArticleQueryArgsSchema,
    ArticleSchema,
    ClaimSchema,
)
from service.services import articles as service
from service.services.annotations import article_etag, set_review_status

blp = Blueprint("articles", __name__, url_prefix="/articles", description="Articles and their claims.")

ID = "<id:article_id>"
_STORED = (("GET", "/articles/{article_id}", {"article_id": BODY_ID}),
           ("GET", "/articles/{article_id}/claims", {"article_id": BODY_ID}),
           ("GET", "/articles/{article_id}/export", {"article_id": BODY_ID}),
           ("DELETE", "/articles/{article_id}", {"article_id": BODY_ID}))


@blp.route("")
class Articles(MethodView):
    @blp.arguments(ArticleQueryArgsSchema(), location="query", unknown=RAISE)
    @blp.response(200, ArticlePageSchema)
    @blp.doc(**links(200, ("GET", "/articles/{article_id}", {"article_id": "$response.body#/items/0/id"})))
    def get(self, args):
        """List articles, newest first.

        Filter by status, outlet, flag kind or subtype, free text and publication dates; follow
        `next_cursor` for the next page.
        """
        limit, cursor = args.pop("limit"), args.pop("cursor", None)
        session = db_session()
        page = service.list_articles(session, service.ArticleFilter(**args), limit, cursor)
        return {"items": article_summaries(session, page.items), "next_cursor": page.next_cursor}

    @blp.arguments(ArticleCreateSchema())
    @blp.response(202, ArticleSchema, description="Stored and queued for flagging.")
    @blp.alt_response(200, schema=ArticleSchema, description="Already stored (same external id or body).")
    @blp.alt_response(413, **problem_doc("The request body is too large."))
    @blp.doc(**links(202, *_STORED))
    @blp.doc(**links(200, *_STORED))
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


def _no_cache() -> bool:
    """The client asked for an answer checked with the origin's data (RFC 9111, 5.2.1.4)."""
    return "no-cache" in request.headers.get("Cache-Control", "").lower()


def _checked_article(cache: ArticleCache, article_id: int) -> tuple[CachedArticle, bytes]:
    """The article's copy, built anew if its revision moved on, and its JSON with the counts the database
    has now."""
    session = db_session()
    generation = cache.generation
    revision, counts = service.article_state(session, article_id)
    entry = cache.get(article_id, revision)
    if entry is None:
        article = service.get_article(session, article_id)
        dumped = ArticleSchema().dump(article_detail(session, article))
        entry = cache.put(article_id, CachedArticle.build(article.revision, article_etag(article), dumped))
    return entry, cache.checked(article_id, entry, counts, generation)


NO_CACHE = {"parameters": [{"in": "header", "name": "Cache-Control", "required": False,
                             "schema": {"type": "string"}, "example": "no-cache",
                             "description": "`no-cache`: check the answer against the database even if "
                                            "this server holds a copy it believes current."}]}


@blp.route(f"/{ID}")
class Article(MethodView):
    @blp.response(200, ArticleSchema)
    @blp.doc(**NO_CACHE)
    @blp.doc(**links(200, ("PUT", "/articles/{article_id}/review-status",
                           {"article_id": BODY_ID, "header.If-Match": ETAG}),
                     ("GET", "/claims/{claim_id}", {"claim_id": "$response.body#/claims/0/id"})))
    def get(self, article_id: int):
        """Read an article with its claims, their current flags and annotation counts.

        Served from the web process's memory while the article is unchanged; send `Cache-Control:
        no-cache` to have it checked against the database (see the README's "Article reads")."""
        cache = runtime().article_cache
        current = None if _no_cache() else cache.current(article_id)
        entry, body = _checked_article(cache, article_id) if current is None else current
        # Returned as a Response, it skips the schema: the cached parts were dumped by it already.
        return Response(body, mimetype="application/json", headers={"ETag": entry.etag})

    @blp.response(204)
    def delete(self, article_id: int):
        """Delete an article with its claims, flags and annotations (editors)."""
        auth.require(auth.current().can_edit_any(), "Only editors delete articles.")
        service.delete_article(db_session(), article_id)


@blp.route(f"/{ID}/review-status")
class ArticleReviewStatus(MethodView):
    @blp.arguments(ReviewStatusSchema())
    @blp.response(200, ArticleSchema)
    @blp.doc(**IF_MATCH)
    def put(self, data, article_id: int):
        """Set the article's review status (editors); needs If-Match with the article's ETag."""
        session = db_session()
        article = service.get_article(session, article_id)
        set_review_status(session, auth.current(), article, data["status"], request.headers.get("If-Match"),
                          lambda: ArticleSchema().dump(article_detail(session, article)))
        return article_detail(session, article), 200, {"ETag": article_etag(article)}


@blp.route(f"/{ID}/claims")
class ArticleClaims(MethodView):
    @blp.response(200, ClaimSchema(many=True))
    @blp.doc(**links(200, ("GET", "/claims/{claim_id}", {"claim_id": "$response.body#/0/id"})))
    def get(self, article_id: int):
        """The article's claims in reading order, with their current flags."""
        session = db_session()
        return claims_with_flags(session, service.get_article(session, article_id))
