"""The product's web app plus one route for bench/api_load.py: POST /api/v1/bench/claims/{id}/annotations, the
annotation POST without its database work.

It runs everything the real POST /api/v1/claims/{id}/annotations runs around the database: gunicorn, Flask,
the rate limiter's hooks, authentication by API token (from the token cache, as the real one), webargs and
marshmallow validation with the same schema, the 201 answer dumped with the same schema, its Location and
ETag. Where the real one reads the claim and writes the annotation, its history entry and the claim's
counter, this one makes up the annotation. Its throughput is the most the real POST could reach if the
database took no time at all. Not part of the product: gunicorn loads it only in the bench.
"""
from __future__ import annotations

import itertools
from types import SimpleNamespace

from flask import url_for
from flask.views import MethodView

from service.api import auth
from service.api.parsing import Blueprint
from service.schemas.annotations import AnnotationCreateSchema, AnnotationSchema
from service.services.annotations import annotation_etag
from service.storage.models import utcnow
from service.wsgi import app

blp = Blueprint("bench", __name__)
_ids = itertools.count(1)


@blp.route("/claims/<int(max=2147483647):claim_id>/annotations")
class AnnotationWithoutDatabase(MethodView):
    @blp.arguments(AnnotationCreateSchema())
    @blp.response(201, AnnotationSchema)
    def post(self, data, claim_id: int):
        principal = auth.current()
        now = utcnow()
        # Attributes, as the real one's row from INSERT ... RETURNING.
        annotation = SimpleNamespace(id=next(_ids), claim_id=claim_id, reviewer=principal.username,
                                     user_id=principal.user_id, version=1, created_at=now, updated_at=now,
                                     deleted_at=None, selector=None, verdict=data.get("verdict"),
                                     note=data.get("note"), evidence=data.get("evidence") or [])
        return annotation, 201, {"Location": url_for("annotations.Annotation", annotation_id=annotation.id),
                                 "ETag": annotation_etag(annotation)}


app.register_blueprint(blp, url_prefix="/api/v1/bench")
