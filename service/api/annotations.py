"""/annotations: one reviewer's verdict, note and evidence on a claim; changing, deleting, restoring it."""
from __future__ import annotations

from flask import request
from flask.views import MethodView

from service.api import auth
from service.api.claims import _EDITS, IF_MATCH
from service.api.links import links
from service.api.parsing import Blueprint
from service.runtime import db_session
from service.schemas.annotations import AnnotationSchema, AnnotationUpdateSchema, HistoryEntrySchema
from service.services import annotations as service

blp = Blueprint("annotations", __name__, description="Annotations: changing, deleting and restoring them.")


def _present(annotation) -> dict:
    return AnnotationSchema().dump(annotation)


@blp.route("/annotations/<id:annotation_id>")
class Annotation(MethodView):
    @blp.response(200, AnnotationSchema)
    @blp.doc(**links(200, *_EDITS))
    def get(self, annotation_id: int):
        """Read one annotation; its `ETag` is what PATCH and DELETE need in If-Match."""
        annotation = service.get_annotation(db_session(), auth.current(), annotation_id)
        return annotation, 200, {"ETag": service.annotation_etag(annotation)}

    @blp.arguments(AnnotationUpdateSchema())
    @blp.response(200, AnnotationSchema)
    @blp.doc(**IF_MATCH)
    @blp.doc(**links(200, *_EDITS))
    def patch(self, changes, annotation_id: int):
        """Change an annotation (yours, or any as an editor); fields left out stay as they are."""
        annotation = service.update_annotation(db_session(), auth.current(), annotation_id, changes,
                                               request.headers.get("If-Match"), _present)
        return annotation, 200, {"ETag": service.annotation_etag(annotation)}

    @blp.response(204)
    @blp.doc(**IF_MATCH)
    @blp.doc(**links(204, ("POST", "/annotations/{annotation_id}/restore",
                           {"annotation_id": "$request.path.annotation_id"})))
    def delete(self, annotation_id: int):
        """Delete an annotation (yours, or any as an editor); an editor can restore it."""
        service.delete_annotation(db_session(), auth.current(), annotation_id,
                                  request.headers.get("If-Match"), _present)


@blp.route("/annotations/<id:annotation_id>/restore")
class AnnotationRestore(MethodView):
    @blp.response(200, AnnotationSchema)
    def post(self, annotation_id: int):
        """Undo the deletion of an annotation (editors)."""
        annotation = service.restore_annotation(db_session(), auth.current(), annotation_id, _present)
        return annotation, 200, {"ETag": service.annotation_etag(annotation)}


@blp.route("/annotations/<id:annotation_id>/history")
class AnnotationHistory(MethodView):
    @blp.response(200, HistoryEntrySchema(many=True))
    def get(self, annotation_id: int):
        """Every change to the annotation: who, when, before and after."""
        return service.annotation_history(db_session(), auth.current(), annotation_id)
