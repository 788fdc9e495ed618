"""The least an annotation POST could cost in Flask, marshmallow and PostgreSQL, for bench/api_load.py:
POST /api/v1/minimal/claims/{id}/annotations on a bare Flask app.

It keeps only what no version of the endpoint can drop: the bearer token is checked against the one the
bench made (its hash, in memory: no database), the body is validated and the answer dumped with the product's
own schemas, and the annotation, its history entry, the webhook deliveries and the claim's counter are
written durably, in one prepared statement and one round trip (data-modifying CTEs, autocommit), with the
product's triggers firing as for the real POST. It leaves out everything else the product does around a
request: rate limits, the session, security headers, problem+json errors, the after-commit hooks (webhook
tasks, the article cache). Not part of the product: gunicorn loads it only in the bench, and its
throughput is an upper bound for any POST on this stack and this machine.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from types import SimpleNamespace

import psycopg
from flask import Flask, abort, jsonify, request

from service.config import Settings
from service.schemas.annotations import AnnotationCreateSchema, AnnotationSchema
from service.services.annotations import annotation_etag
from service.storage.db import libpq_url

app = Flask(__name__)
# The verdict validator reads the configured scale from the app, as in the product.
app.extensions["claimdesk"] = SimpleNamespace(settings=Settings.from_env(os.environ))

_TOKEN_SHA256 = os.environ["BENCH_TOKEN_SHA256"]  # sha256 of "Bearer <token>": the bench's editor
_USER = {"username": "bench", "user_id": int(os.environ["BENCH_USER_ID"])}
_CREATE, _DUMP = AnnotationCreateSchema(), AnnotationSchema()
_COLUMNS = ("id", "claim_id", "verdict", "note", "evidence", "selector", "reviewer", "created_at",
            "updated_at", "user_id", "deleted_at", "version")
_WRITE = f"""
WITH claim AS (SELECT id, article_id FROM claims WHERE id = %(claim_id)s),
annotation AS (
    INSERT INTO annotations (claim_id, verdict, note, evidence, selector, reviewer, created_at, updated_at,
                             user_id, deleted_at, version)
    SELECT id, %(verdict)s, %(note)s, %(evidence)s::jsonb, NULL, %(username)s, now(), now(), %(user_id)s,
           NULL, 1
    FROM claim RETURNING *),
entry AS (
    INSERT INTO history (entity, entity_id, claim_id, action, user_id, username, at, before, after)
    SELECT 'annotation', id, claim_id, 'create', %(user_id)s, %(username)s, now(), NULL, %(snapshot)s::jsonb
    FROM annotation),
deliveries AS (
    INSERT INTO webhook_deliveries (webhook_id, event, payload, event_key, status, attempts, created_at,
                                    next_attempt_at)
    SELECT webhooks.id, 'annotation.created', %(snapshot)s::jsonb, 'article:' || claim.article_id,
           'pending', 0, now(), now()
    FROM webhooks, claim, annotation WHERE webhooks.active AND webhooks.events ? 'annotation.created'),
counter AS (
    UPDATE claims SET annotation_count = annotation_count + 1 WHERE id IN (SELECT claim_id FROM annotation))
SELECT {", ".join(_COLUMNS)} FROM annotation
"""
_local = threading.local()


def _connection() -> psycopg.Connection:
    """One autocommit connection per gunicorn thread; statements are prepared from their first use."""
    if getattr(_local, "connection", None) is None:
        url = libpq_url(os.environ["DATABASE_URL"])
        _local.connection = psycopg.connect(url, autocommit=True, prepare_threshold=0)
    return _local.connection


@app.post("/api/v1/minimal/claims/<int:claim_id>/annotations")
def annotate(claim_id: int):
    authorization = request.headers.get("Authorization", "").encode()
    if hashlib.sha256(authorization).hexdigest() != _TOKEN_SHA256:
        abort(401)
    data = _CREATE.load(request.get_json())
    evidence = data.get("evidence") or []
    snapshot = {"verdict": data.get("verdict"), "note": data.get("note"), "evidence": evidence,
                "selector": None, "reviewer": _USER["username"], "deleted": False}
    row = _connection().execute(_WRITE, {
        "claim_id": claim_id, "verdict": data.get("verdict"), "note": data.get("note"),
        "evidence": json.dumps(evidence), "snapshot": json.dumps(snapshot), **_USER}).fetchone()
    if row is None:
        abort(404)
    annotation = SimpleNamespace(**dict(zip(_COLUMNS, row, strict=True)))
    response = jsonify(_DUMP.dump(annotation))
    response.status_code = 201
    response.headers["ETag"] = annotation_etag(annotation)
    return response
