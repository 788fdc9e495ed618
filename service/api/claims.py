"""/claims: single claims, their review status, their annotations and their history; the verdict scale."""
from __future__ import annotations

from flask import request, url_for
from flask.views import MethodView

from service.api import auth
from service.api.links import BODY_ID, ETAG, links
from service.api.parsing import Blueprint
from service.api.presenters import claim_detail
from service.api.problems import PROBLEM_REF
from service.runtime import db_session, runtime
from service.schemas.annotations import (
    AnnotationCreateSchema,
    AnnotationSchema,
    ClaimDetailSchema,
    HistoryEntrySchema,
    ReviewStatusSchema,
    VerdictScaleSchema,
)
from service.services import annotations as service

blp = Blueprint("claims", __name__, description="Claims, their annotations and their history.")

IF_MATCH = {"parameters": [{"in": "header", "name": "If-Match", "required": True,
                            "schema": {"type": "string"},
                            "description": "The ETag you last read; a stale one gets 412, none 428."}],
            "responses": {
                "412": {"description": "If-Match names an older version; the body's `current` is the one "
                                       "stored now, and `ETag` its tag.", "content": PROBLEM_REF},
                "428": {"description": "No If-Match header.", "content": PROBLEM_REF}}}


# An annotation's answers carry its ETag, which its edits need in If-Match.
_EDITS = tuple((method, "/annotations/{annotation_id}", {"annotation_id": BODY_ID, "header.If-Match": ETAG})
               for method in ("PATCH", "DELETE"))



def _claim(claim_id: int) -> tuple[dict, dict[str, str]]:
    claim = service.get_claim(db_session(), claim_id)
    detail = claim_detail(claim, service.visible_annotations(claim, auth.current()))
    return detail, {"ETag": service.claim_etag(claim)}


@blp.route("/claims/<id:claim_id>")
class Claim(MethodView):
    @blp.response(200, ClaimDetailSchema)
    @blp.doc(**links(200, ("PUT", "/claims/{claim_id}/review-status",
                           {"claim_id": BODY_ID, "header.If-Match": ETAG}),
                     ("POST", "/claims/{claim_id}/annotations", {"claim_id": BODY_ID}),
                     ("GET", "/claims/{claim_id}/history", {"claim_id": BODY_ID})))
    def get(self, claim_id: int):
        """Read a claim with its current flags, its annotations and (in `ETag`) its review version."""
        detail, headers = _claim(claim_id)
        return detail, 200, headers


@blp.route("/claims/<id:claim_id>/review-status")
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


@blp.route("/claims/<id:claim_id>/history")
class ClaimHistory(MethodView):
    @blp.response(200, HistoryEntrySchema(many=True))
    def get(self, claim_id: int):
        """Every change to the claim's review status and to its annotations, oldest first."""
        return service.claim_history(db_session(), auth.current(), claim_id)


@blp.route("/claims/<id:claim_id>/annotations")
class ClaimAnnotations(MethodView):
    @blp.response(200, AnnotationSchema(many=True))
    @blp.doc(**links(200, ("GET", "/annotations/{annotation_id}", {"annotation_id": "$response.body#/0/id"})))
    def get(self, claim_id: int):
        """The claim's annotations, oldest first (editors also see deleted ones)."""
        return service.list_annotations(db_session(), auth.current(), claim_id)

    @blp.arguments(AnnotationCreateSchema())
    @blp.response(201, AnnotationSchema)
    @blp.doc(**links(201, ("GET", "/annotations/{annotation_id}", {"annotation_id": BODY_ID}),
                     ("GET", "/annotations/{annotation_id}/history", {"annotation_id": BODY_ID}), *_EDITS))
    def post(self, data, claim_id: int):
        """Annotate a claim as yourself: a verdict, a note, evidence links and optionally a span inside it."""
        annotation = service.create_annotation(db_session(), auth.current(), claim_id,
                                               service.AnnotationInput(**data))
        return annotation, 201, {"Location": url_for("annotations.Annotation", annotation_id=annotation.id),
                                 "ETag": service.annotation_etag(annotation)}


@blp.route("/verdicts")
class Verdicts(MethodView):
    @blp.response(200, VerdictScaleSchema)
    def get(self):
        """The verdict scale annotations use (configurable with CLAIMDESK_VERDICTS)."""
        return {"verdicts": list(runtime().settings.verdicts)}
