"""Logins, users and API tokens, in and out."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from service.domain.access import Role, Scope
from service.schemas.common import String, Text, aware_datetime, record_id
from service.services.accounts import (
    MAX_PASSWORD,
    MAX_TOKEN_NAME,
    MAX_USERNAME,
    MIN_PASSWORD,
    USERNAME_PATTERN,
    USERNAME_RULE,
)

_USERNAME = validate.Regexp(f"^{USERNAME_PATTERN}$", error=USERNAME_RULE)
_NEW_PASSWORD = validate.Length(min=MIN_PASSWORD, max=MAX_PASSWORD)


class LoginSchema(Schema):
    username = Text(required=True, validate=validate.Length(min=1, max=MAX_USERNAME))
    password = String(required=True, validate=validate.Length(min=1, max=MAX_PASSWORD), load_only=True)


class PasswordChangeSchema(Schema):
    current_password = String(required=True, validate=validate.Length(min=1, max=MAX_PASSWORD),
                              load_only=True)
    new_password = String(required=True, validate=_NEW_PASSWORD, load_only=True,
                          metadata={"description": f"At least {MIN_PASSWORD} characters."})


class UserCreateSchema(Schema):
    username = Text(required=True, validate=[validate.Length(max=MAX_USERNAME), _USERNAME])
    password = String(required=True, validate=_NEW_PASSWORD, load_only=True)
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))


class UserUpdateSchema(Schema):
    role = fields.String(validate=validate.OneOf([r.value for r in Role]))
    disabled = fields.Boolean()


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    disabled = fields.Boolean()
    created_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)


class MeSchema(UserSchema):
    scopes = fields.List(fields.String())
    csrf_token = fields.String(
        allow_none=True, metadata={"description": "Echo it as X-CSRF-Token on cookie-authenticated writes."})


class TokenCreateSchema(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=MAX_TOKEN_NAME))
    scopes = fields.List(fields.String(validate=validate.OneOf([s.value for s in Scope])),
                         required=True, validate=validate.Length(min=1, max=3))
    expires_at = aware_datetime(load_default=None)
    user_id = record_id(metadata={"description": "Admins only: make the token for another user."})


class TokenQueryArgsSchema(Schema):
    user_id = record_id(metadata={"description": "Admins only: that user's tokens."})


class TokenSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    scopes = fields.List(fields.String())
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True, metadata={
        "description": "Its latest use, recorded at most once a minute: it may lag by up to two minutes."})


class NewTokenSchema(TokenSchema):
    secret = fields.String(metadata={"description": "Shown this once; send it as `Authorization: Bearer`."})
