"""Property-based tests of the whole API against its own OpenAPI document, with schemathesis.

Every operation gets a bounded, reproducible number of generated requests (derandomized: the same
examples on every run), sent as the admin, who may call everything. No answer may be a 5xx, and every
answer must be documented: its status code, its content type and its body's schema.
"""
from __future__ import annotations

import re
import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.app import create_app
from service.config import Settings
from service.domain.access import ROLE_SCOPES, Role
from service.extensions import limiter
from service.services import accounts
from service.storage.accounts import User
from service.storage.migrate import upgrade
from tests.api.conftest import BODY, PASSWORD_HASH, assert_problem, post_article
from tests.api.test_permissions import API, ROWS
from tests.fakes import RecordingQueue

EXAMPLES_PER_OPERATION = 20
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


class Target:
    """The app under test, the admin's token and the token that must survive the run."""

    def __init__(self, tmp_path_factory) -> None:
        instance = tmp_path_factory.mktemp("schemathesis") / "instance"
        config = Settings.from_env({"CLAIMDESK_INSTANCE_PATH": str(instance)})
        config.prepare_instance()
        upgrade(config.database_url)
        self.app = create_app(config, RecordingQueue())
        with self.app.extensions["claimdesk"].database.sessionmaker() as session:
            for username, role in (("rita", Role.REVIEWER), ("eddie", Role.EDITOR), ("ada", Role.ADMIN)):
                user = User(username=username, password_hash=PASSWORD_HASH, role=role)
                session.add(user)
                session.flush()
                token, secret = accounts.create_token(session, user, "schemathesis",
                                                      sorted(ROLE_SCOPES[role]), None)
            # The last is the admin's: generated ids must never revoke it, or the rest would be 401s.
            self.admin_token_id, self.admin_secret, self.admin_id = token.id, secret, user.id
        self._seed()

    def _seed(self) -> None:
        """A few of everything, so generated ids (small integers, often) find real resources."""
        client = self.app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {self.admin_secret}"
        for n in range(3):
            article = client.post("/api/v1/articles", json={"body": f"{BODY} Seed {n} had 5 rooms.",
                                                           "title": f"Seed {n}", "outlet": "Gazette"})
            assert article.status_code == 202, article.get_data(as_text=True)
            for claim in article.get_json()["claims"][:2]:
                created = client.post(f"/api/v1/claims/{claim['id']}/annotations",
                                      json={"verdict": "accurate", "note": "seed",
                                            "evidence": [{"url": "https://example.org/a", "title": "A"}]})
                assert created.status_code == 201, created.get_data(as_text=True)
        upload = client.post("/api/v1/batches", data=f'{{"body": "{BODY} Seed batch."}}\n',
                             content_type="application/x-ndjson")
        assert upload.status_code == 202, upload.get_data(as_text=True)
        # A deleted annotation (restorable) and a revoked token, so those branches answer too.
        assert client.delete("/api/v1/annotations/2", headers={"If-Match": "*"}).status_code == 204
        assert client.delete("/api/v1/tokens/1").status_code == 200


@pytest.fixture
def target(tmp_path_factory) -> Target:
    """A fresh app and database per operation: what one operation deletes, the next still finds."""
    return Target(tmp_path_factory)


@pytest.fixture
def api_schema(target):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", target.app)


SMALL_ID = st.one_of(st.none(), st.integers(min_value=1, max_value=8))
IF_MATCH = st.sampled_from([None, "*", '"stale"'])

# The permission matrix has a row for every operation of the document (and its own test says so).
OPERATIONS = sorted({(row.method, API + row.template) for row in ROWS})


def test_every_operation_is_exercised(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    documented = {(operation.method.upper(), operation.path) for operation in operations}
    assert documented == set(OPERATIONS)


# schemathesis's own pytest integration (schemathesis.pytest.from_fixture) fails under pytest 9
# (it rewrites the private Function._nodeid); a parametrized test driving its strategies does the same.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_conforms_to_its_document(api_schema, target, method, path, mode):
    """Valid requests (positive) and requests that break the document (negative): never a 5xx, and
    whatever comes back is documented."""
    operation = api_schema[path][method]
    if mode == GenerationMode.NEGATIVE and not operation.body and not list(operation.iter_parameters()):
        return  # nothing to make invalid (GET /version, POST /auth/logout, ...)
    headers = {"Authorization": f"Bearer {target.admin_secret}"}

    @given(case=operation.as_strategy(mode), small_id=SMALL_ID, if_match=IF_MATCH)
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def check(case, small_id, if_match):
        if small_id is not None:
            # Ids anywhere up to 2**31 find nothing; half the examples ask for a seeded resource.
            for name, value in (case.path_parameters or {}).items():
                if isinstance(value, int):
                    case.path_parameters[name] = small_id
        if if_match is not None and case.headers and "If-Match" in case.headers:
            # Generated tags never match, so every edit would stop at 412: "*" lets some through.
            case.headers["If-Match"] = if_match
        # Revoking the admin's own token would turn every later answer into a 401.
        assume(not (method == "DELETE" and case.path_parameters.get("token_id") == target.admin_token_id))
        limiter.reset()  # generated logins and token requests run into the rate limits within seconds
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


# Every status code the document names is one the API really answers. `default` (any other error, a
# problem document) stands for what every operation may answer: 401 without a working token, 403 for
# a role or scope that may not, 404 for what is not there or not visible, and 400 for a body that is
# not JSON; the permission matrix produces the first three for every operation. The codes named one
# by one are produced here, each by the request that should cause it.

@pytest.fixture
def app(make_app, queue):
    """The conftest app with small limits, so 413 is cheap to reach (conftest's fixtures use this one)."""
    return make_app({"CLAIMDESK_MAX_REQUEST_BYTES": "4000", "CLAIMDESK_MAX_BATCH_BYTES": "6000",
                     "CLAIMDESK_MAX_FLAG_CHARS": "1000"},
                    queue=queue)


def _concrete(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "1", path)


def _invalid(client, method: str, path: str, operation: dict):
    """A request the document itself rules out: an unknown query argument, or a body of the wrong type."""
    if any(p["in"] == "query" for p in operation.get("parameters", [])):
        return client.open(_concrete(path), method=method, query_string={"no_such_argument": "1"})
    return client.open(_concrete(path), method=method, json=["not", "an", "object"],
                       headers={"If-Match": "*"})


def _precondition(client, method: str, path: str, code: int):
    """412 with a stale If-Match (the body has the current version), 428 with none."""
    if client.get("/api/v1/articles/1").status_code == 404:
        post_article(client)  # article 1, its claim 1, and that claim's annotation 1
        assert client.post("/api/v1/claims/1/annotations", json={"verdict": "accurate"}).status_code == 201
    body = {"status": "approved"} if path.endswith("review-status") else {"note": "changed"}
    headers = {"If-Match": '"stale"'} if code == 412 else {}
    response = client.open(_concrete(path), method=method, headers=headers,
                           json=None if method == "DELETE" else body)
    if code == 412:
        assert response.get_json()["current"]["id"] == 1 and response.headers["ETag"]
    return response


def _rate_limited(client, path: str, body: dict, limit: int, method: str = "POST"):
    limiter.reset()
    for _ in range(limit):
        client.open(path, method=method, json=body)
    response = client.open(path, method=method, json=body)
    assert int(response.headers["Retry-After"]) > 0
    return response


def _unhealthy(app, client):
    shutil.rmtree(app.extensions["claimdesk"].settings.broker_transport_options["data_folder_in"])
    response = client.get("/api/v1/health")
    assert response.get_json()["broker"]["ok"] is False
    return response


def _produce(app, client_as, method: str, path: str, code: int, operation: dict):
    limiter.reset()
    admin = client_as("ada")
    key = (method, path.removeprefix(API), code)
    if code == 422:
        return _invalid(client_as("eddie"), method, path, operation)
    if code in (412, 428):
        return _precondition(client_as("eddie"), method, path, code)
    recipes = {
        ("POST", "/auth/login", 401): lambda: app.test_client().post(
            path, json={"username": "ada", "password": "not her password"}),
        ("POST", "/auth/login", 429): lambda: _rate_limited(
            app.test_client(), path, {"username": "ada", "password": "not her password"}, 10),
        ("PUT", "/auth/password", 429): lambda: _rate_limited(
            admin, path, {"current_password": "not her password", "new_password": "x" * 12}, 10, "PUT"),
        ("POST", "/tokens", 429): lambda: _rate_limited(admin, path, {"name": "t", "scopes": ["read"]}, 20),
        ("PATCH", "/users/{user_id}", 409): lambda: admin.patch(
            f"{API}/users/{admin.get(f'{API}/auth/me').get_json()['id']}", json={"disabled": True}),
        ("POST", "/flag", 413): lambda: admin.post(path, json={"text": "x" * 2000}),
        ("POST", "/flag", 429): lambda: _rate_limited(admin, path, {"text": "Officials said 12%."}, 60),
        ("POST", "/articles", 413): lambda: admin.post(path, json={"body": "x" * 5000}),
        ("POST", "/batches", 413): lambda: admin.post(
            path, data=f'{{"body": "{BODY}"}}\n' * 60, content_type="application/x-ndjson"),
        ("POST", "/batches", 415): lambda: admin.post(path, data="{}", content_type="text/plain"),
        ("GET", "/health", 503): lambda: _unhealthy(app, app.test_client()),
    }
    assert key in recipes, f"{method} {path} documents {code}: add a request causing it, or undocument it"
    return recipes[key]()


def test_every_documented_error_status_is_reachable(app, client_as):
    spec = app.test_client().get("/api/openapi.json").get_json()
    produced = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for code in operation["responses"]:
                if code == "default" or code.startswith("2"):
                    continue
                response = _produce(app, client_as, method.upper(), path, int(code), operation)
                assert_problem(response, int(code))
                produced.append(f"{method.upper()} {path} {code}")
    assert len(produced) >= 20, produced
