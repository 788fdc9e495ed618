"""/health, /version and /flag: the service's own state, and detection without storage."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from flask.views import MethodView
from flask_smorest import Blueprint

from service.api.problems import PROBLEM_JSON
from service.runtime import runtime
from service.schemas.articles import FlagTextResultSchema, FlagTextSchema
from service.schemas.system import HealthSchema, VersionSchema
from service.services.errors import InvalidInput
from service.services.health import check_broker, check_database
from workers.detection import DETECTOR_VERSION, detect

blp = Blueprint("system", __name__, description="Health, version and synchronous flagging.")


def package_version() -> str:
    try:
        return version("claimdesk")
    except PackageNotFoundError:
        return "unknown"


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, content_type=PROBLEM_JSON,
                      description="The database or the broker is unreachable.")
    def get(self):
        """Whether the database and the broker are reachable, with their latency."""
        rt = runtime()
        result = {"database": check_database(rt.database), "broker": check_broker(rt.settings, rt.celery)}
        healthy = all(check["ok"] for check in result.values())
        result["status"] = "ok" if healthy else "unavailable"
        return (result, 200) if healthy else (result, 503, {"Content-Type": PROBLEM_JSON})


@blp.route("/version")
class Version(MethodView):
    @blp.response(200, VersionSchema)
    def get(self):
        """The service's and the detector's versions."""
        return {"version": package_version(), "api": "v1", "detector_version": DETECTOR_VERSION}


@blp.route("/flag")
class FlagText(MethodView):
    @blp.arguments(FlagTextSchema)
    @blp.response(200, FlagTextResultSchema)
    def post(self, data):
        """Flag a text synchronously and store nothing (for editors' plugins).

        Offsets index the text exactly as sent.
        """
        limit = runtime().settings.max_article_chars
        if len(data["text"]) > limit:
            raise InvalidInput(f"The text is {len(data['text']):,} characters; the limit is {limit:,}.",
                               {"text": [f"Longer than {limit} characters."]})
        return {"detector_version": DETECTOR_VERSION, "flags": [f.to_dict() for f in detect(data["text"])]}
