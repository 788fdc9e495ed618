"""/claims and /annotations: reviewers' verdicts, notes and evidence on single claims, with history."""
from __future__ import annotations

from flask import request, url_for
from flask.views import MethodView

from service.api import auth
from service.api.parsing import Blueprint
from service.api.presenters import claim_detail
from service.api.problems import PROBLEM_REF
from service.runtime import db_session, runtime
from service.schemas.annotations import (
    AnnotationCreateSchema,
    AnnotationSchema,
    AnnotationUpdateSchema,
    ClaimDetailSchema,
    HistoryEntrySchema,
    ReviewStatusSchema,
    VerdictScaleSchema,
)
from service.services import annotations as service

blp = Blueprint("claims", __name__, description="Claims, their annotations and their history.")

MAX_ID = "int(max=2147483647)"
IF_MATCH = {"parameters": [{"in": "header", "name": "If-Match", "required": True,
                            "schema": {"type": "string"},
                            "description": "The ETag you last read; a stale one gets 412, none 428."}],
            "responses": {
                "412": {"description": "If-Match names an older version; the body's `current` is the one "
                                       "stored now, and `ETag` its tag.", "content": PROBLEM_REF},
                "428": {"description": "No If-Match header.", "content": PROBLEM_REF}}}


def _present(annotation) -> dict:
    return AnnotationSchema().dump(annotation)


def _claim(claim_id: int) -> tuple[dict, dict[str, str]]:
    claim = service.get_claim(db_session(), claim_id)
    detail = claim_detail(claim, service.visible_annotations(claim, auth.current()))
    return detail, {"ETag": service.claim_etag(claim)}


@blp.route(f"/claims/<{MAX_ID}:claim_id>")
class Claim(MethodView):
    @blp.response(200, ClaimDetailSchema)
    def get(self, claim_id: int):
        """Read a claim with its current flags, its annotations and (in `ETag`) its review version."""
        detail, headers = _claim(claim_id)
        return detail, 200, headers


@blp.route(f"/claims/<{MAX_ID}:claim_id>/review-status")
class ClaimReviewStatus(MethodView):
    @blp.arguments(ReviewStatusSchema())
    @blp.response(200, ClaimDetailSchema)
    @blp.doc(**IF_MATCH)
    def put(self, data, claim_id: int):
        """Set the claim's review status (editors); needs If-Match with the claim's ETag."""
        session = db_session()
        claim = service.get_claim(session, claim_id)
        service.set_review_status(session, auth.current(), claim, data["status"],
                                  request.headers.get("If-Match"),
                                  lambda: ClaimDetailSchema().dump(_claim(claim_id)[0]))
        detail, headers = _claim(claim_id)
        return detail, 200, headers


@blp.route(f"/claims/<{MAX_ID}:claim_id>/history")
class ClaimHistory(MethodView):
    @blp.response(200, HistoryEntrySchema(many=True))
    def get(self, claim_id: int):
        """Every change to the claim's review status and to its annotations, oldest first."""
        return service.claim_history(db_session(), auth.current(), claim_id)


@blp.route(f"/claims/<{MAX_ID}:claim_id>/annotations")
class ClaimAnnotations(MethodView):
    @blp.response(200, AnnotationSchema(many=True))
    def get(self, claim_id: int):
        """The claim's annotations, oldest first (editors also see deleted ones)."""
        return service.list_annotations(db_session(), auth.current(), claim_id)

    @blp.arguments(AnnotationCreateSchema())
    @blp.response(201, AnnotationSchema)
    def post(self, data, claim_id: int):
        """Annotate a claim as yourself: a verdict, a note, evidence links and optionally a span inside it."""
        annotation = service.create_annotation(db_session(), auth.current(), claim_id,
                                               service.AnnotationInput(**data))
        return annotation, 201, {"Location": url_for("claims.Annotation", annotation_id=annotation.id),
                                 "ETag": service.annotation_etag(annotation)}


@blp.route(f"/annotations/<{MAX_ID}:annotation_id>")
class Annotation(MethodView):
    @blp.response(200, AnnotationSchema)
    def get(self, annotation_id: int):
        """Read one annotation; its `ETag` is what PATCH and DELETE need in If-Match."""
        annotation = service.get_annotation(db_session(), auth.current(), annotation_id)
        return annotation, 200, {"ETag": service.annotation_etag(annotation)}

    @blp.arguments(AnnotationUpdateSchema())
    @blp.response(200, AnnotationSchema)
    @blp.doc(**IF_MATCH)
    def patch(self, changes, annotation_id: int):
        """Change an annotation (yours, or any as an editor); fields left out stay as they are."""
        annotation = service.update_annotation(db_session(), auth.current(), annotation_id, changes,
                                               request.headers.get("If-Match"), _present)
        return annotation, 200, {"ETag": service.annotation_etag(annotation)}

    @blp.response(204)
    @blp.doc(**IF_MATCH)
    def delete(self, annotation_id: int):
        """Delete an annotation (yours, or any as an editor); an editor can restore it."""
        service.delete_annotation(db_session(), auth.current(), annotation_id,
                                  request.headers.get("If-Match"), _present)


@blp.route(f"/annotations/<{MAX_ID}:annotation_id>/restore")
class AnnotationRestore(MethodView):
    @blp.response(200, AnnotationSchema)
    def post(self, annotation_id: int):
        """Undo the deletion of an annotation (editors)."""
        annotation = service.restore_annotation(db_session(), auth.current(), annotation_id, _present)
        return annotation, 200, {"ETag": service.annotation_etag(annotation)}


@blp.route(f"/annotations/<{MAX_ID}:annotation_id>/history")
class AnnotationHistory(MethodView):
    @blp.response(200, HistoryEntrySchema(many=True))
    def get(self, annotation_id: int):
        """Every change to the annotation: who, when, before and after."""
        return service.annotation_history(db_session(), auth.current(), annotation_id)


@blp.route("/verdicts")
class Verdicts(MethodView):
    @blp.response(200, VerdictScaleSchema)
    def get(self):
        """The verdict scale annotations use (configurable with CLAIMDESK_VERDICTS)."""
        return {"verdicts": list(runtime().settings.verdicts)}
