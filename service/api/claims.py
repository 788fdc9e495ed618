"""/claims and /annotations: reviewers' verdicts, notes and evidence on single claims."""
from __future__ import annotations

from flask import url_for
from flask.views import MethodView

from service.api.parsing import Blueprint
from service.api.presenters import claim_detail
from service.runtime import db_session, runtime
from service.schemas.annotations import (
    AnnotationCreateSchema,
    AnnotationSchema,
    AnnotationUpdateSchema,
    ClaimDetailSchema,
    VerdictScaleSchema,
)
from service.services import annotations as service

blp = Blueprint("claims", __name__, description="Claims and their annotations.")

MAX_ID = "int(max=2147483647)"


@blp.route(f"/claims/<{MAX_ID}:claim_id>")
class Claim(MethodView):
    @blp.response(200, ClaimDetailSchema)
    def get(self, claim_id: int):
        """Read a claim with its current flags and its annotations."""
        return claim_detail(service.get_claim(db_session(), claim_id))


@blp.route(f"/claims/<{MAX_ID}:claim_id>/annotations")
class ClaimAnnotations(MethodView):
    @blp.response(200, AnnotationSchema(many=True))
    def get(self, claim_id: int):
        """The claim's annotations, oldest first."""
        return service.list_annotations(db_session(), claim_id)

    @blp.arguments(AnnotationCreateSchema)
    @blp.response(201, AnnotationSchema)
    def post(self, data, claim_id: int):
        """Annotate a claim: a verdict, a note, evidence links and optionally a span inside it."""
        annotation = service.create_annotation(db_session(), claim_id, service.AnnotationInput(**data))
        return annotation, 201, {"Location": url_for("claims.Annotation", annotation_id=annotation.id)}


@blp.route(f"/annotations/<{MAX_ID}:annotation_id>")
class Annotation(MethodView):
    @blp.response(200, AnnotationSchema)
    def get(self, annotation_id: int):
        """Read one annotation."""
        return service.get_annotation(db_session(), annotation_id)

    @blp.arguments(AnnotationUpdateSchema)
    @blp.response(200, AnnotationSchema)
    def patch(self, changes, annotation_id: int):
        """Change an annotation's verdict, note, evidence or span; fields left out stay as they are."""
        return service.update_annotation(db_session(), annotation_id, changes)

    @blp.response(204)
    def delete(self, annotation_id: int):
        """Delete an annotation."""
        service.delete_annotation(db_session(), annotation_id)


@blp.route("/verdicts")
class Verdicts(MethodView):
    @blp.response(200, VerdictScaleSchema)
    def get(self):
        """The verdict scale annotations use (configurable with CLAIMDESK_VERDICTS)."""
        return {"verdicts": list(runtime().settings.verdicts)}
