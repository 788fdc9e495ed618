"""/health and /version: the service's own state."""
from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version

from flask.views import MethodView

from service.api.parsing import Blueprint
from service.api.problems import PROBLEM_JSON, problem
from service.runtime import runtime
from service.schemas.system import HealthProblemSchema, HealthSchema, VersionSchema
from service.services.detector import DETECTOR_VERSION
from service.services.health import check_broker, check_database

blp = Blueprint("system", __name__, description="Health and version.")


@cache  # reading the installed metadata parses a file: 0.5 ms a call, and it cannot change while running
def package_version() -> str:
    try:
        return version("claimdesk")
    except PackageNotFoundError:
        return "unknown"


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.doc(security=[])
    @blp.alt_response(503, schema=HealthProblemSchema, content_type=PROBLEM_JSON,
                      description="The database or the broker is unreachable.")
    def get(self):
        """Whether the database and the broker are reachable, with their latency."""
        rt = runtime()
        checks = {"database": check_database(rt.database), "broker": check_broker(rt.settings)}
        failing = [name for name, check in checks.items() if not check["ok"]]
        if failing:
            # A Response skips the 200 schema: the 503 is a problem document carrying the checks.
            return problem(503, "Service Unavailable", f"Unreachable: {', '.join(failing)}.",
                           headers={"Retry-After": "5"}, extensions=checks)
        return {"status": "ok", **checks}


@blp.route("/version")
class Version(MethodView):
    @blp.response(200, VersionSchema)
    @blp.doc(security=[])
    def get(self):
        """The service's and the detector's versions."""
        return {"version": package_version(), "api": "v1", "detector_version": DETECTOR_VERSION}
