"""Property-based tests of the whole API against its own OpenAPI document, with schemathesis.

On SQLite and on a throwaway PostgreSQL database (required with CI=true), every operation gets a bounded,
reproducible number of generated requests (derandomized: the same examples on every run), sent as the
admin, who may call everything; then a stateful run follows the document's links (an article's id to
its claims, an annotation's ETag to its edits, ...). Every check schemathesis has runs on every answer
(the CLI's `--checks all`): no 5xx, everything documented, valid data accepted, invalid data refused,
authentication enforced, and what was created is there until it is deleted.
"""
from __future__ import annotations

import re
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

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
from tests.integration.conftest import postgres_database
from tests.integration.processes import connect_pg_admin

EXAMPLES_PER_OPERATION = 10
# Stateful: this many scenarios of at most this many linked calls each, per backend.
SCENARIOS, STEPS = 40, 8

load_all_checks()
# All of them, as `--checks all`. Two need more than one caller's view to act and do nothing here:
# object_level_authorization replays a read as other identities from an `[auth.wfc]` file, and
# Claimdesk's per-object rules (own tokens, own annotations, hidden deleted ones) are pinned per role by
# test_permissions' matrix instead; missing_required_header and unsupported_method judge only the CLI's
# coverage phase, which these strategies do not generate.
CHECKS_ALL = CHECKS.get_all()
assert {check.__name__ for check in CHECKS_ALL} >= {
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
    "positive_data_acceptance", "ignored_auth", "use_after_free", "ensure_resource_availability"}



def _checks_for(case) -> list:
    """Every check, but use_after_free on a token: `DELETE /tokens/{id}` revokes a token and keeps its
    record (with `revoked_at`) for the audit trail, as documented, so reading it afterwards is meant to
    work; the revoked token itself authenticates nothing (tests/api/test_accounts_api.py)."""
    if case.operation.path == "/api/v1/tokens/{token_id}" and case.method == "GET":
        return [check for check in CHECKS_ALL if check.__name__ != "use_after_free"]
    return CHECKS_ALL


CONFIG = SchemathesisConfig.from_dict({
    "checks": {
        # Valid by the document but refused on what it cannot say: a stale If-Match (412: a version
        # conflict, like 409), and rules a schema cannot state (422: a webhook URL resolving to a
        # private address, a text too long once cleaned, a user name already taken...).
        "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "412", "422",
                                                           "429"]},
        # Over a size limit is a refusal too (413 for a body, 414/431 for a request line or header field
        # longer than gunicorn lets through, answered alike by the app).
        "negative_data_rejection": {"expected-statuses": ["400", "401", "403", "404", "405", "409", "412",
                                                          "413", "414", "415", "422", "428", "429",
                                                          "431"]},
    },
    # Only the links the document declares, so the run follows what clients are told.
    "phases": {"stateful": {"inference": {"algorithms": []}}},
})


class Seed:
    """The database every test starts from, made once per backend: three accounts with tokens, a few
    articles, annotations and a batch (so generated small ids find real resources), a deleted
    annotation and a revoked token. Each test gets its own copy."""

    def __init__(self, backend: str, tmp_path_factory, stack: ExitStack) -> None:
        self.backend, self.tmp_path_factory = backend, tmp_path_factory
        self.database_url = stack.enter_context(postgres_database()) if backend == "postgresql" else None
        if self.database_url:
            # Stopping an app's change listener and dropping its database take a second or two: done in
            # the background (on a connection of their own) while the tests go on; leaving, the stack
            # waits for the last of them before dropping the seed.
            self.admin = stack.enter_context(connect_pg_admin())
            dropping = stack.enter_context(connect_pg_admin())
            self.background = stack.enter_context(ThreadPoolExecutor(max_workers=1))

            def close(app, name: str) -> None:
                app.extensions["claimdesk"].close()
                dropping.execute(f'DROP DATABASE "{name}" WITH (FORCE)')

            self.close_copy = close
            self.closing = self.background.submit(lambda: None)
        app = self.app(tmp_path_factory.mktemp("seed"))
        try:
            with app.extensions["claimdesk"].database.sessionmaker() as session:
                for username, role in (("rita", Role.REVIEWER), ("eddie", Role.EDITOR), ("ada", Role.ADMIN)):
                    user = User(username=username, password_hash=PASSWORD_HASH, role=role)
                    session.add(user)
                    session.flush()
                    token, secret = accounts.create_token(session, user, "schemathesis",
                                                          sorted(ROLE_SCOPES[role]), None)
                # The last is the admin's: generated ids must never revoke it, or the rest would be 401s.
                self.admin_token_id, self.admin_secret = token.id, secret
            self._seed(app)
        finally:
            app.extensions["claimdesk"].close()
        self.sqlite_file = app.extensions["claimdesk"].settings.instance_path / "claimdesk.db"

    def app(self, folder, database_url: str | None = None, migrate: bool = True):
        env = {"CLAIMDESK_INSTANCE_PATH": str(folder / "instance")}
        if database_url or self.database_url:
            env["DATABASE_URL"] = database_url or self.database_url
        config = Settings.from_env(env)
        config.prepare_instance()
        if migrate:
            upgrade(config.database_url)
        return create_app(config, RecordingQueue())

    def _seed(self, app) -> None:
        client = app.test_client()
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
        assert client.delete("/api/v1/annotations/2", headers={"If-Match": "*"}).status_code == 204
        assert client.delete("/api/v1/tokens/1").status_code == 200

    def copy(self, stack: ExitStack):
        """A new app on a copy of the seeded database, closed (and on PostgreSQL dropped) by `stack`."""
        folder = self.tmp_path_factory.mktemp("schemathesis")
        if self.backend == "sqlite":
            (folder / "instance").mkdir()
            shutil.copyfile(self.sqlite_file, folder / "instance" / "claimdesk.db")
            app = self.app(folder, migrate=False)
        else:
            template = self.database_url.rsplit("/", 1)[1]
            name = f"{template}_{uuid.uuid4().hex[:6]}"
            self.admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            app = self.app(folder, self.database_url.rsplit("/", 1)[0] + f"/{name}", migrate=False)

            def close() -> None:
                # One copy closing at a time: a backlog of open ones would run the server out of connections.
                self.closing.result()
                self.closing = self.background.submit(self.close_copy, app, name)

            stack.callback(close)
            return app
        stack.callback(app.extensions["claimdesk"].close)
        return app


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seed(request, tmp_path_factory):
    """Without PostgreSQL its half skips, except with CI=true, where it fails."""
    with ExitStack() as stack:
        yield Seed(request.param, tmp_path_factory, stack)


@pytest.fixture
def target(seed):
    """A fresh app and database per test: what one operation deletes, the next still finds."""
    with ExitStack() as stack:
        yield seed.copy(stack)


@pytest.fixture
def api_schema(target):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", target, config=CONFIG)


SMALL_ID = st.one_of(st.none(), st.integers(min_value=1, max_value=8))
IF_MATCH = st.sampled_from([None, "*", '"stale"'])

# The permission matrix has a row for every operation of the document (and its own test says so).
OPERATIONS = sorted({(row.method, API + row.template) for row in ROWS})


def test_every_operation_is_exercised(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    documented = {(operation.method.upper(), operation.path) for operation in operations}
    assert documented == set(OPERATIONS)


def _spare_admin_token(case, seed: Seed) -> None:
    """Revoking the admin's own token would turn every later answer into a 401: revoke the seeded
    revoked one instead."""
    if case.method == "DELETE" and (case.path_parameters or {}).get("token_id") == seed.admin_token_id:
        case.path_parameters["token_id"] = 1


# schemathesis's own pytest integration (schemathesis.pytest.from_fixture) fails under pytest 9
# (it rewrites the private Function._nodeid); a parametrized test driving its strategies does the same.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_conforms_to_its_document(api_schema, seed, method, path, mode):
    """Valid requests (positive) and requests that break the document (negative): never a 5xx, and
    whatever comes back is documented, accepted or refused as it should be."""
    operation = api_schema[path][method]
    if mode == GenerationMode.NEGATIVE and not operation.body and not list(operation.iter_parameters()):
        return  # nothing to make invalid (GET /version, POST /auth/logout, ...)
    headers = {"Authorization": f"Bearer {seed.admin_secret}"}

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
        assume(not (method == "DELETE" and case.path_parameters.get("token_id") == seed.admin_token_id))
        limiter.reset()  # generated logins and token requests run into the rate limits within seconds
        case.call_and_validate(headers=headers, checks=CHECKS_ALL)

    check()


def test_linked_calls_conform(api_schema, seed):
    """Scenarios along the document's links (create, read, edit with the ETag just read, delete, read
    again...): every check on every call, including that what was created is found and what was
    deleted is gone."""
    headers = {"Authorization": f"Bearer {seed.admin_secret}"}
    followed: set[str] = set()

    class Scenarios(api_schema.as_state_machine()):
        def setup(self):
            # Each scenario on its own copy of the seed: one that starts the same goes the same way
            # (Hypothesis replays prefixes and calls a different outcome flaky).
            self.resources = ExitStack()
            self.app = seed.copy(self.resources)

        def teardown(self):
            self.resources.close()

        def before_call(self, case):
            _spare_admin_token(case, seed)
            limiter.reset()

        def after_call(self, response, case):
            super().after_call(response, case)
            parent = self.recorder.find_parent(case_id=case.id)
            if parent is not None and response.status_code < 300:
                followed.add(f"{parent.operation.label} -> {case.operation.label}")

        def get_call_kwargs(self, case):
            return {"headers": headers, "app": self.app}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=_checks_for(case), headers=headers,
                                   transport_kwargs=kwargs, recorder=self.recorder)

    Scenarios.run(settings=settings(max_examples=SCENARIOS, stateful_step_count=STEPS, deadline=None,
                                    derandomize=True, database=None, suppress_health_check=list(HealthCheck),
                                    phases=[Phase.explicit, Phase.generate]))
    # Not a run of unrelated calls: the links lead somewhere (a lower bound, not the exact set).
    assert len(followed) >= 10, sorted(followed)


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
