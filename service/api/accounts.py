"""/auth, /users and /tokens: logging in, managing users and the API tokens integrations use."""
from __future__ import annotations

import logging

from flask import request, url_for
from flask.views import MethodView
from marshmallow import RAISE

from service.api import auth
from service.api.links import BODY_ID, links
from service.api.parsing import Blueprint
from service.api.problems import problem_doc
from service.domain import access
from service.domain.access import Role
from service.extensions import limiter, login_limits
from service.runtime import db_session
from service.schemas.accounts import (
    LoginSchema,
    MeSchema,
    NewTokenSchema,
    PasswordChangeSchema,
    TokenCreateSchema,
    TokenQueryArgsSchema,
    TokenSchema,
    UserCreateSchema,
    UserSchema,
    UserUpdateSchema,
)
from service.services import accounts as service

log = logging.getLogger(__name__)

blp = Blueprint("accounts", __name__, description="Logging in, users and API tokens.")


def _me() -> dict:
    principal = auth.current()
    user = service.get_user(db_session(), principal.user_id)
    csrf = auth.csrf_token() if principal.token_id is None else None
    fields = ("id", "username", "role", "disabled", "created_at", "last_login_at")
    return {**{f: getattr(user, f) for f in fields}, "scopes": sorted(principal.scopes), "csrf_token": csrf}


@blp.route("/auth/login")
class Login(MethodView):
    decorators = [login_limits]

    @blp.arguments(LoginSchema())
    @blp.response(200, MeSchema)
    @blp.alt_response(401, **problem_doc("Wrong username or password, or a disabled account."))
    @blp.alt_response(429, **problem_doc("Too many attempts from this address (desk and API together), or "
                                         "too many failed ones for this account; see `Retry-After`."))
    @blp.doc(security=[])
    def post(self, data):
        """Log in with a username and password; the answer sets the session cookie."""
        user = service.authenticate(db_session(), data["username"], data["password"])
        if user is None:
            # The attempted username is logged (for spotting guessing); the password never is.
            log.warning("failed login for %r from %s", data["username"][:service.MAX_USERNAME],
                        request.remote_addr)
            return auth.unauthorized("Wrong username or password.")
        auth.log_in(user)
        auth.set_principal(service.principal_for(user))
        return _me()


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self):
        """End this browser session: the cookie, and any copy of it, stops working at once. Your other
        sessions stay logged in (changing your password ends them)."""
        auth.log_out()


@blp.route("/auth/password")
class Password(MethodView):
    decorators = [limiter.limit("10 per minute;100 per hour", methods=["PUT"])]

    @blp.arguments(PasswordChangeSchema())
    @blp.response(204)
    @blp.alt_response(429, **problem_doc("Too many attempts from this address; see `Retry-After`."))
    def put(self, data):
        """Change your own password; needs the current one.

        Every browser session of yours ends except the one making the change; API tokens keep working
        (revoke them under /tokens).
        """
        principal = auth.current()
        user = service.change_own_password(db_session(), principal.user_id, data["current_password"],
                                           data["new_password"], keep_session=auth.session_secret())
        log.info("%s changed their password", user.username)


@blp.route("/auth/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """The caller: user, role, scopes and (for a browser session) the CSRF token."""
        return _me()


@blp.route("/users")
class Users(MethodView):
    @blp.response(200, UserSchema(many=True))
    def get(self):
        """All users (admins only)."""
        auth.require(auth.current().can_administer(), "Only admins manage users.")
        return service.list_users(db_session())

    @blp.arguments(UserCreateSchema())
    @blp.response(201, UserSchema)
    @blp.doc(**links(201, ("GET", "/users/{user_id}", {"user_id": BODY_ID}),
                     ("PATCH", "/users/{user_id}", {"user_id": BODY_ID}),
                     ("GET", "/tokens", {"query.user_id": BODY_ID})))
    def post(self, data):
        """Create a user (admins only)."""
        auth.require(auth.current().can_administer(), "Only admins manage users.")
        user = service.create_user(db_session(), data["username"], data["password"], Role(data["role"]))
        return user, 201, {"Location": url_for("accounts.User", user_id=user.id)}


@blp.route("/users/<id:user_id>")
class User(MethodView):
    @blp.response(200, UserSchema)
    def get(self, user_id: int):
        """One user (admins, or the user themself)."""
        principal = auth.current()
        auth.require(access.may_read_user(principal, user_id), "Only admins manage users.")
        return service.get_user(db_session(), user_id)

    @blp.arguments(UserUpdateSchema())
    @blp.response(200, UserSchema)
    @blp.alt_response(409, **problem_doc("Admins cannot demote or disable themselves, nor the last enabled "
                                         "admin."))
    def patch(self, changes, user_id: int):
        """Change a user's role or disable them (admins only)."""
        principal = auth.current()
        auth.require(principal.can_administer(), "Only admins manage users.")
        session = db_session()
        user = service.get_user(session, user_id)
        return service.update_user(session, principal, user, changes.get("role"), changes.get("disabled"))


@blp.route("/tokens")
class Tokens(MethodView):
    decorators = [limiter.limit("20 per minute", methods=["POST"])]

    @blp.arguments(TokenQueryArgsSchema(), location="query", unknown=RAISE)
    @blp.response(200, TokenSchema(many=True))
    def get(self, args):
        """Your API tokens (admins: anyone's, or one user's with `user_id`)."""
        owner = access.token_owner(auth.current())
        return service.list_tokens(db_session(), args.get("user_id") if owner is None else owner)

    @blp.arguments(TokenCreateSchema())
    @blp.response(201, NewTokenSchema)
    @blp.alt_response(429, **problem_doc("Too many tokens made from this address; see `Retry-After`."))
    @blp.doc(**links(201, ("GET", "/tokens/{token_id}", {"token_id": BODY_ID}),
                     ("DELETE", "/tokens/{token_id}", {"token_id": BODY_ID})))
    def post(self, data):
        """Create a token; its secret is in this answer and never again (admins only)."""
        principal = auth.current()
        auth.require(principal.can_administer(), "Only admins manage tokens.")
        session = db_session()
        owner = service.get_user(session, data.get("user_id") or principal.user_id)
        token, secret = service.create_token(session, owner, data["name"], data["scopes"], data["expires_at"])
        # The 201 schema dumps the token's attributes; dumping here too would serialise dates twice.
        return ({**{name: getattr(token, name) for name in TokenSchema().fields}, "secret": secret}, 201,
                {"Location": url_for("accounts.Token", token_id=token.id)})


@blp.route("/tokens/<id:token_id>")
class Token(MethodView):
    @blp.response(200, TokenSchema)
    def get(self, token_id: int):
        """One token (yours, or any for admins)."""
        return service.get_token(db_session(), token_id, access.token_owner(auth.current()))

    @blp.response(200, TokenSchema)
    def delete(self, token_id: int):
        """Revoke a token (admins only): it stops working at once; the record stays."""
        principal = auth.current()
        owner = access.token_owner(principal)
        session = db_session()
        token = service.get_token(session, token_id, owner)
        auth.require(principal.can_administer(), "Only admins manage tokens.")
        return service.revoke_token(session, token)
