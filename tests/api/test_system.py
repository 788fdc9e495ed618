"""/health, /version, /verdicts and the OpenAPI document."""
from __future__ import annotations

import re
from importlib.metadata import version

from service.app import create_app
from service.config import Settings
from tests.api.conftest import assert_problem


def test_health_with_sqlite_and_the_filesystem_broker(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    health = response.get_json()
    assert health["status"] == "ok"
    assert health["database"]["ok"] is True and health["database"]["backend"] == "sqlite"
    assert health["broker"]["ok"] is True and health["broker"]["backend"] == "filesystem"
    assert health["database"]["latency_ms"] >= 0


def test_health_names_an_unreachable_database_and_broker(tmp_path):
    # The real Celery wiring (no fake queue) aimed at a closed port: nothing listens on port 1.
    settings = Settings.from_env({"CLAIMDESK_INSTANCE_PATH": str(tmp_path / "instance"),
                                  "DATABASE_URL": f"sqlite:///{tmp_path}/missing-dir/x.db",
                                  "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"})
    response = create_app(settings).test_client().get("/api/v1/health")
    problem = assert_problem(response, 503)
    assert response.headers["Retry-After"] == "5"
    assert problem["detail"] == "Unreachable: database, broker."
    assert problem["database"]["ok"] is False
    assert "unable to open database file" in problem["database"]["error"]
    assert problem["broker"]["ok"] is False and "127.0.0.1:1" in problem["broker"]["error"]


def test_health_names_only_the_failing_check(make_app, tmp_path):
    app = make_app()
    (tmp_path / "instance" / "broker" / "messages").rmdir()
    problem = assert_problem(app.test_client().get("/api/v1/health"), 503)
    assert problem["detail"] == "Unreachable: broker."
    assert problem["database"]["ok"] is True
    assert "broker folder" in problem["broker"]["error"]


def test_version(client):
    response = client.get("/api/v1/version")
    assert response.status_code == 200
    body = response.get_json()
    assert body["version"] == version("claimdesk") and body["api"] == "v1"
    assert isinstance(body["detector_version"], str) and body["detector_version"]


def test_default_verdict_scale(client):
    assert client.get("/api/v1/verdicts").get_json() == {"verdicts": [
        "accurate", "mostly-accurate", "misleading", "inaccurate", "unverifiable", "opinion", "needs-context",
    ]}


def test_openapi_documents_every_route_and_problem_errors(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert {"/api/v1/articles", "/api/v1/articles/{article_id}", "/api/v1/articles/{article_id}/claims",
            "/api/v1/claims/{claim_id}", "/api/v1/claims/{claim_id}/annotations",
            "/api/v1/annotations/{annotation_id}", "/api/v1/flags", "/api/v1/flag", "/api/v1/verdicts",
            "/api/v1/health", "/api/v1/version"} <= set(spec["paths"])
    health_503 = spec["paths"]["/api/v1/health"]["get"]["responses"]["503"]
    assert list(health_503["content"]) == ["application/problem+json"]


# Every operation the API documents, by path: moving routes between modules must not change it.
OPERATIONS = {
    "/annotations/{annotation_id}": {"DELETE", "GET", "PATCH"},
    "/annotations/{annotation_id}/history": {"GET"},
    "/annotations/{annotation_id}/restore": {"POST"},
    "/articles": {"GET", "POST"},
    "/articles/{article_id}": {"DELETE", "GET"},
    "/articles/{article_id}/claims": {"GET"},
    "/articles/{article_id}/export": {"GET"},
    "/articles/{article_id}/review-status": {"PUT"},
    "/auth/login": {"POST"},
    "/auth/logout": {"POST"},
    "/auth/me": {"GET"},
    "/auth/password": {"PUT"},
    "/batches": {"GET", "POST"},
    "/batches/{batch_id}": {"GET"},
    "/batches/{batch_id}/cancel": {"POST"},
    "/claims/{claim_id}": {"GET"},
    "/claims/{claim_id}/annotations": {"GET", "POST"},
    "/claims/{claim_id}/history": {"GET"},
    "/claims/{claim_id}/review-status": {"PUT"},
    "/exports": {"GET"},
    "/flag": {"POST"},
    "/flags": {"GET"},
    "/health": {"GET"},
    "/reflag": {"POST"},
    "/tokens": {"GET", "POST"},
    "/tokens/{token_id}": {"DELETE", "GET"},
    "/users": {"GET", "POST"},
    "/users/{user_id}": {"GET", "PATCH"},
    "/verdicts": {"GET"},
    "/version": {"GET"},
    "/webhooks": {"GET", "POST"},
    "/webhooks/{webhook_id}": {"DELETE", "GET", "PATCH"},
    "/webhooks/{webhook_id}/deliveries": {"GET"},
    "/webhooks/{webhook_id}/ping": {"POST"},
}


def test_the_documented_operations_are_the_routes_and_none_went_missing(app, client):
    spec = client.get("/api/openapi.json").get_json()
    documented = {path.removeprefix("/api/v1"): {m.upper() for m in ops if m != "parameters"}
                  for path, ops in spec["paths"].items()}
    assert documented == OPERATIONS
    routed: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routed.setdefault(path, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    assert routed == OPERATIONS


def test_each_api_module_serves_what_it_is_named_for(app):
    blueprints = {rule.rule.removeprefix("/api/v1"): rule.endpoint.split(".")[0]
                  for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")}
    assert {bp for path, bp in blueprints.items() if path.startswith("/annotations/")} == {"annotations"}
    assert blueprints["/flag"] == blueprints["/flags"] == "flags"
    assert {bp for path, bp in blueprints.items() if path.startswith("/claims/")} == {"claims"}
