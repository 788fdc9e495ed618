"""The reviewer's desk pages: log in and out, the article queue and the article with its claims."""
from __future__ import annotations

import hmac
import logging
import math
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from markupsafe import escape
from marshmallow import EXCLUDE, ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable
from werkzeug.wrappers import Response

from service.api import auth
from service.domain import ArticleStatus, flag_kinds
from service.domain.access import Principal, ReviewStatus
from service.extensions import limiter, login_limits
from service.runtime import db_session, runtime
from service.schemas.annotations import AnnotationSchema
from service.schemas.articles import ArticleQueryArgsSchema
from service.services import accounts, articles, desk
from service.services.annotations import article_etag
from service.services.errors import InvalidInput, NotFound
from service.services.verdicts import current_verdict
from service.web import flag_styles
from service.web.bidi import isolated, marked
from service.web.highlight import describe, render_body

log = logging.getLogger(__name__)

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static/web",
               static_url_path="/desk/static")
bp.add_app_template_filter(isolated, "bdi")
bp.add_app_template_filter(marked, "bidi_marked")

# Pages anyone may open; everything else sends a stranger to the login form.
PUBLIC = frozenset({"web.login", "web.static", "web.flag_styles_css"})
QUEUE_PAGE = 25
# The queue's filters that have a field in its form (the API's others may still come in a link).
FILTER_FIELDS = ("status", "kind", "outlet", "q")


def safe_next(target: str | None) -> str | None:
    """`next` only when it is a path on this site: anything else would make the login an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in target):
        return None
    return target


def _check_csrf() -> None:
    # The form's hidden field must match the session's token: a cross-site form post carries the
    # cookie but cannot read the token.
    sent, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, "This form expired or did not come from Claimdesk. Reload the page and try again.")


@bp.before_request
def _require_login() -> Response | None:
    g.desk_user = auth.principal_from_session()
    if g.desk_user is None and request.endpoint not in PUBLIC:
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
    return None


@bp.context_processor
def _page_globals() -> dict[str, Any]:
    return {"csrf_token": auth.csrf_token, "desk_user": g.get("desk_user"),
            "flag_kinds": flag_styles.page_data()}


@bp.errorhandler(HTTPException)
def _error_page(error: HTTPException) -> tuple[str, int]:
    # Pages answer with pages; the API keeps its problem+json (these handlers cover this blueprint only).
    try:
        return render_template("web/error.html", error=error), error.code or 500
    except Exception:  # the page itself failed (say, no session to read): the message, unstyled
        log.exception("the error page could not be rendered")
        page = f"<!doctype html><h1>{escape(error.name)}</h1><p>{escape(error.description)}</p>"
        return page, error.code or 500


@bp.errorhandler(429)
def _too_many_attempts(error: HTTPException) -> tuple[str, int]:
    """On the login form, the refusal goes next to the password, with how long to wait."""
    if request.endpoint != "web.login":
        return _error_page(error)
    limit = limiter.current_limit
    minutes = max(1, math.ceil((limit.reset_at - time.time()) / 60)) if limit else 1
    errors = {"password": f"Too many login attempts. Try again in {minutes} minute{'s' * (minutes > 1)}."}
    username = request.form.get("username", "").strip()[:accounts.MAX_USERNAME]
    next_url = safe_next(request.values.get("next"))
    return render_template("web/login.html", next_url=next_url, errors=errors, username=username), 429


@bp.errorhandler(OperationalError)
def _database_down_page(error: OperationalError) -> tuple[str, int, dict[str, str]]:
    log.error("database unavailable: %s", error.orig)
    page, status = _error_page(ServiceUnavailable("The database is unavailable; try again in a few seconds."))
    return page, status, {"Retry-After": "5"}


@bp.errorhandler(Exception)
def _unexpected_page(error: Exception) -> tuple[str, int]:
    log.exception("unhandled error on a desk page")
    return _error_page(InternalServerError("Something went wrong on our side; it has been logged. "
                                           "Go back and try again."))


@bp.get("/desk/flag-kinds.css")
def flag_styles_css() -> Response:
    """Each flag kind's colours, icon and highlight, from the registry (see service/web/flag_styles.py)."""
    response = Response(flag_styles.stylesheet(), mimetype="text/css")
    response.add_etag()
    return response.make_conditional(request)


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login() -> Response | tuple[str, int] | str:
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.desk_user is not None:
            return redirect(next_url or url_for("web.queue"))
        return render_template("web/login.html", next_url=next_url, errors={}, username="")
    _check_csrf()
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = "Enter your username."
    elif len(username) > accounts.MAX_USERNAME:
        errors["username"] = f"Usernames have at most {accounts.MAX_USERNAME} characters."
    if not password:
        errors["password"] = "Enter your password."
    elif len(password) > accounts.MAX_PASSWORD:
        errors["password"] = f"Passwords have at most {accounts.MAX_PASSWORD} characters."
    status = 422
    if not errors:
        user = accounts.authenticate(db_session(), username, password)
        if user is not None:
            auth.log_in(user)
            return redirect(next_url or url_for("web.queue"))
        # The attempted username is logged (for spotting guessing); the password never is.
        log.warning("failed desk login for %r from %s", username[:accounts.MAX_USERNAME], request.remote_addr)
        errors["password"] = "Wrong username or password."
        status = 401
    return render_template("web/login.html", next_url=next_url, errors=errors, username=username), status


@bp.post("/logout")
def logout() -> Response:
    _check_csrf()
    auth.log_out()
    return redirect(url_for("web.login"))


@bp.route("/account", methods=["GET", "POST"])
@limiter.limit("10 per minute;100 per hour", methods=["POST"])
def account() -> tuple[str, int] | str:
    """The logged-in user's own page: change the password (which logs out their other sessions)."""
    if request.method == "GET":
        return render_template("web/account.html", errors={}, changed=False)
    _check_csrf()
    current = request.form.get("current_password", "")
    new, again = request.form.get("new_password", ""), request.form.get("new_password_again", "")
    errors: dict[str, str] = {}
    if not current:
        errors["current_password"] = "Enter your current password."
    if len(new) < accounts.MIN_PASSWORD:
        errors["new_password"] = f"Use at least {accounts.MIN_PASSWORD} characters."
    elif len(new) > accounts.MAX_PASSWORD:
        errors["new_password"] = f"Passwords have at most {accounts.MAX_PASSWORD} characters."
    elif again != new:
        errors["new_password_again"] = "This does not match the new password."
    if not errors:
        try:
            user = accounts.change_own_password(db_session(), g.desk_user.user_id, current, new,
                                                keep_session=auth.session_secret())
        except InvalidInput as problem:
            errors = {("new_password" if field == "password" else field): " ".join(messages)
                      for field, messages in (problem.errors or {}).items()} or {"new_password": str(problem)}
        else:
            log.info("%s changed their password on the desk", user.username)
            return render_template("web/account.html", errors={}, changed=True)
    return render_template("web/account.html", errors=errors, changed=False), 422


def _queue_args() -> tuple[dict[str, Any], dict[str, str]]:
    """The queue's filters from the query string, validated by the API's own schema."""
    raw = {k: v for k, v in request.args.items() if v.strip()}
    schema = ArticleQueryArgsSchema(unknown=EXCLUDE)
    try:
        return schema.load(raw), {}
    except ValidationError as error:
        messages = {field: " ".join(m) if isinstance(m, list) else str(m)
                    for field, m in error.messages.items()}
        return schema.load({k: v for k, v in raw.items() if k not in messages}), messages


@bp.get("/")
def queue() -> str:
    args, errors = _queue_args()
    asked = args.pop("limit")  # the schema's default suits the API; the desk shows fewer per page
    limit = asked if request.args.get("limit", "").strip() and "limit" not in errors else QUEUE_PAGE
    cursor = args.pop("cursor", None)
    session = db_session()
    try:
        page = articles.list_articles(session, articles.ArticleFilter(**args), limit, cursor)
    except InvalidInput:
        errors["cursor"] = "That page link is no longer valid; showing the first page."
        cursor = None
        page = articles.list_articles(session, articles.ArticleFilter(**args), limit, None)
    ids = [a.id for a in page.items]
    filters = {k: v for k, v in request.args.items() if k in FILTER_FIELDS and v.strip() and k not in errors}
    # A filter the form has no field for (a link's published_from, say) is named in words under the form.
    link_errors = [f"{k.replace('_', ' ').capitalize()}: {v}" for k, v in errors.items()
                   if k not in FILTER_FIELDS and k != "cursor"]
    return render_template(
        "web/queue.html", articles=page.items, flag_counts=articles.flag_counts(session, ids),
        annotated=articles.annotated_claim_counts(session, ids), claims=desk.claim_counts(session, ids),
        filters=filters, errors=errors, link_errors=link_errors, statuses=[s.value for s in ArticleStatus],
        kinds=flag_kinds.kind_names(), outlets=desk.outlets(session), cursor=cursor,
        next_url=url_for("web.queue", **filters, cursor=page.next_cursor) if page.next_cursor else None,
        first_url=url_for("web.queue", **filters) if cursor else None)


@bp.get("/articles/<id:article_id>")
def article(article_id: int) -> str:
    try:
        view = desk.desk_article(db_session(), article_id)
    except NotFound:
        abort(404, f"There is no article {article_id}.")
    all_flags = [f for fs in view.flags.values() for f in fs]
    kind_counts = Counter(f.kind for f in all_flags)
    dump = AnnotationSchema().dump
    user: Principal = g.desk_user
    claims = [{
        "claim": c,
        "verdict": current_verdict(view.annotations.get(c.id, ())),
        "annotations": len(view.annotations.get(c.id, [])),
        "kinds": Counter(f.kind for f in view.flags.get(c.id, ())),
    } for c in view.claims]
    # What the page's script starts from; it fetches nothing until the reviewer saves or opens history.
    data = {
        "article_id": view.article.id,
        "status": view.article.status,
        "verdicts": list(runtime().settings.verdicts),
        "user": {"id": user.user_id, "username": user.username, "editor": user.can_edit_any()},
        "review": {"status": view.article.review_status, "etag": article_etag(view.article)},
        "annotations": {str(cid): [dump(a) for a in anns] for cid, anns in view.annotations.items()},
    }
    return render_template(
        "web/article.html", article=view.article, claims=claims, kinds=flag_kinds.kind_names(),
        kind_counts=kind_counts,
        body_html=render_body(view.article.body, view.claims, view.flags),
        notes=[(f.id, describe(f)) for f in all_flags], legend_hint=flag_styles.legend_hint(),
        verdicts=data["verdicts"], data=data,
        review_statuses=[s.value for s in ReviewStatus], can_review=user.can_edit_any(),
        source_url=view.article.url if (view.article.url or "").startswith(("http://", "https://")) else None)
