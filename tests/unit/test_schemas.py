"""The input schemas against what the database stores: whatever they accept, a column can hold."""
from __future__ import annotations

import pytest
from marshmallow import Schema, fields, validate

from service.api import accounts as api_accounts
from service.api import articles as api_articles
from service.api import batches as api_batches
from service.api import claims as api_claims
from service.api import exports as api_exports
from service.api import flags as api_flags
from service.api import system as api_system
from service.api import webhooks as api_webhooks
from service.schemas import accounts, annotations, articles, common, webhooks
from service.storage.accounts import ApiToken, User
from service.storage.models import Annotation, Article
from service.storage.webhooks import Webhook

API_MODULES = [api_accounts, api_articles, api_batches, api_claims, api_exports, api_flags, api_system,
               api_webhooks]


def input_schemas() -> list[Schema]:
    """Every schema a request is loaded with (@blp.arguments), plus the batch import's line schema."""
    found: list[Schema] = [articles.ArticleCreateSchema()]
    for module in API_MODULES:
        for methods in module.blp._docs.values():
            for doc in methods.values():
                for parameter in ((doc or {}).get("arguments") or {}).get("parameters", []):
                    found.append(parameter["schema"])
    return found


def loaded_fields(schema: Schema):
    """Every field a request fills in, nested and listed ones included."""
    stack = [(f"{type(schema).__name__}.{name}", field) for name, field in schema.fields.items()]
    while stack:
        path, field = stack.pop()
        if field.dump_only:
            continue
        if isinstance(field, fields.List):
            stack.append((f"{path}[]", field.inner))
        elif isinstance(field, fields.Nested):
            stack += [(f"{path}.{n}", f) for n, f in field.schema.fields.items()]
        else:
            yield path, field


def test_every_string_a_request_fills_in_refuses_text_no_encoder_takes():
    # JSON spells lone surrogates ("\\ud800"); a plain fields.String passes them on to a password hash or
    # a database driver, which fail with a 500. A field restricted to a list of choices refuses them anyway.
    schemas = input_schemas()
    assert len(schemas) > 15
    loose = [path for schema in schemas for path, field in loaded_fields(schema)
             if isinstance(field, fields.String) and not isinstance(field, common.String)
             and not any(isinstance(v, validate.OneOf) for v in field.validators)]
    assert loose == []


@pytest.mark.parametrize("schema, model", [
    (articles.ArticleCreateSchema, Article), (accounts.UserCreateSchema, User), (accounts.LoginSchema, User),
    (accounts.TokenCreateSchema, ApiToken), (webhooks.WebhookCreateSchema, Webhook),
    (webhooks.WebhookUpdateSchema, Webhook), (annotations.AnnotationCreateSchema, Annotation),
])
def test_no_field_accepts_more_characters_than_its_column_holds(schema, model):
    # SQLite stores a text of any length; PostgreSQL refuses one over varchar(n) with a 500.
    for name, field in schema().fields.items():
        column = model.__table__.c.get(name)
        length = getattr(getattr(column, "type", None), "length", None)
        if length is None or field.dump_only:
            continue
        longest = [v.max for v in field.validators if isinstance(v, validate.Length) and v.max is not None]
        longest += [max(map(len, v.choices)) for v in field.validators if isinstance(v, validate.OneOf)]
        assert longest and min(longest) <= length, f"{schema.__name__}.{name} may be longer than {length}"
