"""The permission matrix: every operation of the OpenAPI document × every kind of caller, one table.

One app (and one migrated SQLite file) serves the whole module; every case builds the resources it
touches afresh through the API, so a case that deletes, revokes or changes something affects no other.
A new endpoint without a row here fails `test_matrix_covers_every_operation`.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.app import create_app
from service.config import Settings
from service.domain.access import ROLE_SCOPES, Role
from service.extensions import limiter
from service.services import accounts
from service.storage.accounts import ApiToken, User
from service.storage.migrate import upgrade
from tests.api.conftest import BODY, PASSWORD, PASSWORD_HASH, PROBLEM_JSON
from tests.fakes import RecordingQueue

API = "/api/v1"

# Who calls. The last four hold a token that must not work at all (401), or only for reading.
ACTORS = ("anonymous", "rita", "rob", "eddie", "ada", "revoked", "expired", "read_only", "disabled")
PEOPLE = {"rita": Role.REVIEWER, "rob": Role.REVIEWER, "eddie": Role.EDITOR, "ada": Role.ADMIN,
          "dave": Role.REVIEWER}
LOCKED_OUT = ("revoked", "expired", "disabled")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    instance = tmp_path_factory.mktemp("permissions") / "instance"
    settings = Settings.from_env({"CLAIMDESK_INSTANCE_PATH": str(instance)})
    settings.prepare_instance()
    upgrade(settings.database_url)
    app = create_app(settings, RecordingQueue())
    secrets, user_ids = {}, {}
    with app.extensions["claimdesk"].database.sessionmaker() as session:
        for username, role in PEOPLE.items():
            user = User(username=username, password_hash=PASSWORD_HASH, role=role)
            session.add(user)
            session.flush()
            user_ids[username] = user.id
            _, secrets[username] = accounts.create_token(session, user, "full", sorted(ROLE_SCOPES[role]),
                                                         None)
        eddie = session.get(User, user_ids["eddie"])
        revoked, secrets["revoked"] = accounts.create_token(session, eddie, "revoked", ["read", "write"],
                                                            None)
        accounts.revoke_token(session, revoked)
        expired, secrets["expired"] = accounts.create_token(
            session, eddie, "expired", ["read", "write"], datetime.now(UTC) + timedelta(days=1))
        expired.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        _, secrets["read_only"] = accounts.create_token(session, eddie, "read only", ["read"], None)
        # dave's own token, issued while he was enabled; disabling him must end it.
        secrets["disabled"] = secrets.pop("dave")
        session.get(User, user_ids["dave"]).disabled = True
        session.commit()
    # The read-only token is the editor's: what it may not do, it may not do for lack of scope alone.
    user_ids.update(read_only=user_ids["eddie"], revoked=user_ids["eddie"], expired=user_ids["eddie"],
                    disabled=user_ids["dave"], anonymous=user_ids["rob"])
    return World(app, secrets, user_ids)


@dataclass
class World:
    app: Flask
    secrets: dict[str, str]
    user_ids: dict[str, int]
    counter: itertools.count = field(default_factory=itertools.count)

    def client(self, actor: str) -> FlaskClient:
        client = self.app.test_client()
        if actor != "anonymous":
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {self.secrets[actor]}"
        return client

    def ok(self, response, status: int) -> Any:
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json() if response.data else None

    # Factories: each call makes a new resource, through the API as the person who would make it.
    def article(self) -> dict:
        body = f"{BODY} Case {next(self.counter)} said 3 people came."
        return self.ok(self.client("eddie").post(f"{API}/articles", json={"body": body}), 202)

    def claim(self) -> int:
        return self.article()["claims"][0]["id"]

    def annotation(self, owner: str = "rita", deleted: bool = False) -> int:
        claim = self.claim()
        created = self.client(owner).post(f"{API}/claims/{claim}/annotations",
                                          json={"verdict": "accurate", "note": f"{owner}'s note"})
        annotation = self.ok(created, 201)["id"]
        if deleted:
            gone = self.client("eddie").delete(f"{API}/annotations/{annotation}",
                                               headers={"If-Match": created.headers["ETag"]})
            self.ok(gone, 204)
        return annotation

    def batch(self) -> int:
        line = f'{{"body": "{BODY} Batch {next(self.counter)} had 7 lines."}}\n'
        response = self.client("eddie").post(f"{API}/batches", data=line,
                                             content_type="application/x-ndjson")
        return self.ok(response, 202)["id"]

    def webhook(self) -> int:
        response = self.client("ada").post(f"{API}/webhooks", json={
            "url": f"https://93.184.215.14/hooks/{next(self.counter)}", "events": ["annotation.created"]})
        return self.ok(response, 201)["id"]

    def token(self, owner: str = "rita") -> int:
        with self.app.extensions["claimdesk"].database.sessionmaker() as session:
            token, _ = accounts.create_token(session, session.get(User, self.user_ids[owner]),
                                             f"case {next(self.counter)}", ["read"], None)
            return token.id

    def user(self) -> int:
        with self.app.extensions["claimdesk"].database.sessionmaker() as session:
            user = User(username=f"user{next(self.counter)}", password_hash=PASSWORD_HASH, role=Role.REVIEWER)
            session.add(user)
            session.commit()
            return user.id

    def etag(self, path: str) -> str:
        response = self.client("eddie").get(API + path)
        self.ok(response, 200)
        return response.headers["ETag"]


@dataclass(frozen=True)
class Call:
    path: str
    json: Any = None
    data: str | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


Prepare = Callable[[World, str], Call]


@dataclass(frozen=True)
class Row:
    method: str
    template: str  # the path as the OpenAPI document spells it
    variant: str
    prepare: Prepare
    expected: dict[str, int]

    @property
    def id(self) -> str:
        return f"{self.method} {self.template}" + (f" [{self.variant}]" if self.variant else "")


def expect(everyone: int, public: bool = False, read_only: int | None = None,
           **overrides: int) -> dict[str, int]:
    """`everyone` for the people with a working token; 401 for the locked out (and anonymous, unless public).

    A read-only token gets 403 on writes before any role check: say `read_only=` where it differs.
    """
    table = {actor: everyone for actor in ACTORS}
    table.update({actor: 401 for actor in LOCKED_OUT})
    if not public:
        table["anonymous"] = 401
    if read_only is not None:
        table["read_only"] = read_only
    table.update(overrides)
    return table


def read(everyone: int = 200, **overrides: int) -> dict[str, int]:
    return expect(everyone, **overrides)


def write(everyone: int, **overrides: int) -> dict[str, int]:
    return expect(everyone, **{"read_only": 403, **overrides})


REVIEWERS_403 = {"rita": 403, "rob": 403}
NON_ADMINS_403 = {"rita": 403, "rob": 403, "eddie": 403, "read_only": 403}


def fixed(path: str, **kwargs) -> Prepare:
    return lambda world, actor: Call(path, **kwargs)


def _if_match(world: World, path: str, **kwargs) -> Call:
    return Call(path, headers={"If-Match": world.etag(path)}, **kwargs)


def _article(world: World, suffix: str = "") -> str:
    return f"/articles/{world.article()['id']}{suffix}"


def _claim(world: World, suffix: str = "") -> str:
    return f"/claims/{world.claim()}{suffix}"


def _annotation(world: World, suffix: str = "", owner: str = "rita", deleted: bool = False) -> str:
    return f"/annotations/{world.annotation(owner, deleted)}{suffix}"


def _status(world: World, path: str) -> Call:
    return Call(path, json={"status": "in-review"}, headers={"If-Match": world.etag(path.removesuffix(
        "/review-status"))})


ROWS: list[Row] = [
    # Accounts.
    Row("POST", "/auth/login", "", fixed("/auth/login", json={"username": "rob", "password": PASSWORD}),
        expect(200, public=True)),
    Row("POST", "/auth/login", "wrong password",
        fixed("/auth/login", json={"username": "rob", "password": "not the password"}),
        expect(401, public=True)),
    Row("POST", "/auth/logout", "", fixed("/auth/logout"), write(204, read_only=204)),
    Row("GET", "/auth/me", "", fixed("/auth/me"), read()),
    # Everyone may change their own password, given the current one; "changing" it to itself keeps the
    # shared accounts usable for the other rows.
    Row("PUT", "/auth/password", "",
        fixed("/auth/password", json={"current_password": PASSWORD, "new_password": PASSWORD}), write(204)),
    Row("PUT", "/auth/password", "wrong current password",
        fixed("/auth/password", json={"current_password": "not the password", "new_password": PASSWORD}),
        write(422)),
    Row("GET", "/users", "", fixed("/users"), read(**NON_ADMINS_403)),
    Row("POST", "/users", "",
        lambda w, a: Call("/users", json={"username": f"new{next(w.counter)}", "password": PASSWORD,
                                          "role": "reviewer"}),
        write(201, **NON_ADMINS_403)),
    Row("GET", "/users/{user_id}", "another user", lambda w, a: Call(f"/users/{w.user()}"),
        read(**NON_ADMINS_403)),
    Row("GET", "/users/{user_id}", "themself", lambda w, a: Call(f"/users/{w.user_ids[a]}"), read()),
    Row("PATCH", "/users/{user_id}", "", lambda w, a: Call(f"/users/{w.user()}", json={"role": "editor"}),
        write(200, **NON_ADMINS_403)),
    Row("PATCH", "/users/{user_id}", "disable themself",
        lambda w, a: Call(f"/users/{w.user_ids[a]}", json={"disabled": True}),
        write(403, ada=409)),
    Row("GET", "/tokens", "", fixed("/tokens"), read()),
    Row("POST", "/tokens", "", fixed("/tokens", json={"name": "integration", "scopes": ["read"]}),
        write(201, **NON_ADMINS_403)),
    # Tokens are private: a non-admin asking for another's is told it does not exist.
    Row("GET", "/tokens/{token_id}", "rita's", lambda w, a: Call(f"/tokens/{w.token('rita')}"),
        read(rob=404, eddie=404, read_only=404)),
    Row("DELETE", "/tokens/{token_id}", "rita's", lambda w, a: Call(f"/tokens/{w.token('rita')}"),
        write(200, rita=403, rob=404, eddie=404)),
    # Articles.
    Row("GET", "/articles", "", fixed("/articles"), read()),
    Row("POST", "/articles", "",
        lambda w, a: Call("/articles", json={"body": f"{BODY} New {next(w.counter)} had 9 pages."}),
        write(202)),
    Row("GET", "/articles/{article_id}", "", lambda w, a: Call(_article(w)), read()),
    Row("DELETE", "/articles/{article_id}", "", lambda w, a: Call(_article(w)), write(204, **REVIEWERS_403)),
    Row("PUT", "/articles/{article_id}/review-status", "",
        lambda w, a: _status(w, _article(w, "/review-status")), write(200, **REVIEWERS_403)),
    Row("GET", "/articles/{article_id}/claims", "", lambda w, a: Call(_article(w, "/claims")), read()),
    Row("GET", "/articles/{article_id}/export", "",
        lambda w, a: Call(_article(w, "/export"), query={"format": "csv"}), read()),
    # Batches.
    Row("GET", "/batches", "", fixed("/batches"), read()),
    Row("POST", "/batches", "",
        lambda w, a: Call("/batches", data=f'{{"body": "{BODY} Upload {next(w.counter)} had 4 rows."}}\n',
                          content_type="application/x-ndjson"),
        write(202)),
    Row("GET", "/batches/{batch_id}", "", lambda w, a: Call(f"/batches/{w.batch()}"), read()),
    Row("POST", "/batches/{batch_id}/cancel", "", lambda w, a: Call(f"/batches/{w.batch()}/cancel"),
        write(200, **REVIEWERS_403)),
    Row("POST", "/reflag", "", fixed("/reflag", json={"outlet": "Nobody's Gazette"}),
        write(202, **REVIEWERS_403)),
    # Claims and annotations.
    Row("GET", "/claims/{claim_id}", "", lambda w, a: Call(_claim(w)), read()),
    Row("PUT", "/claims/{claim_id}/review-status", "", lambda w, a: _status(w, _claim(w, "/review-status")),
        write(200, **REVIEWERS_403)),
    Row("GET", "/claims/{claim_id}/history", "", lambda w, a: Call(_claim(w, "/history")), read()),
    Row("GET", "/claims/{claim_id}/annotations", "", lambda w, a: Call(_claim(w, "/annotations")), read()),
    Row("POST", "/claims/{claim_id}/annotations", "",
        lambda w, a: Call(_claim(w, "/annotations"), json={"verdict": "accurate"}), write(201)),
    Row("GET", "/annotations/{annotation_id}", "rita's", lambda w, a: Call(_annotation(w)), read()),
    # Deleted annotations are for editors, who can restore them; for everyone else they are gone.
    Row("GET", "/annotations/{annotation_id}", "deleted", lambda w, a: Call(_annotation(w, deleted=True)),
        read(rita=404, rob=404, read_only=404)),
    Row("PATCH", "/annotations/{annotation_id}", "rita's",
        lambda w, a: _if_match(w, _annotation(w), json={"note": "changed"}), write(200, rob=403)),
    Row("DELETE", "/annotations/{annotation_id}", "rita's", lambda w, a: _if_match(w, _annotation(w)),
        write(204, rob=403)),
    Row("DELETE", "/annotations/{annotation_id}", "deleted",
        lambda w, a: Call(_annotation(w, deleted=True), headers={"If-Match": "*"}),
        write(404)),
    Row("POST", "/annotations/{annotation_id}/restore", "deleted",
        lambda w, a: Call(_annotation(w, "/restore", deleted=True)), write(200, rita=404, rob=404)),
    Row("GET", "/annotations/{annotation_id}/history", "rita's",
        lambda w, a: Call(_annotation(w, "/history")), read()),
    Row("GET", "/annotations/{annotation_id}/history", "deleted",
        lambda w, a: Call(_annotation(w, "/history", deleted=True)), read(rita=404, rob=404, read_only=404)),
    Row("GET", "/verdicts", "", fixed("/verdicts"), read()),
    Row("GET", "/flags", "", fixed("/flags"), read()),
    # Webhooks: admins only (a public address, so the address guard lets them through).
    Row("GET", "/webhooks", "", fixed("/webhooks"), read(**NON_ADMINS_403)),
    Row("POST", "/webhooks", "",
        fixed("/webhooks", json={"url": "https://93.184.215.14/hooks", "events": ["article.flagged"]}),
        write(201, **NON_ADMINS_403)),
    Row("GET", "/webhooks/{webhook_id}", "", lambda w, a: Call(f"/webhooks/{w.webhook()}"),
        read(**NON_ADMINS_403)),
    Row("PATCH", "/webhooks/{webhook_id}", "",
        lambda w, a: Call(f"/webhooks/{w.webhook()}", json={"active": False}), write(200, **NON_ADMINS_403)),
    Row("DELETE", "/webhooks/{webhook_id}", "", lambda w, a: Call(f"/webhooks/{w.webhook()}"),
        write(204, **NON_ADMINS_403)),
    Row("GET", "/webhooks/{webhook_id}/deliveries", "",
        lambda w, a: Call(f"/webhooks/{w.webhook()}/deliveries"), read(**NON_ADMINS_403)),
    Row("POST", "/webhooks/{webhook_id}/ping", "", lambda w, a: Call(f"/webhooks/{w.webhook()}/ping"),
        write(202, **NON_ADMINS_403)),
    Row("GET", "/exports", "", fixed("/exports", query={"format": "claimreview"}), read()),
    # The service itself: what monitors call before anyone logs in. A bad token is still refused.
    Row("GET", "/health", "", fixed("/health"), expect(200, public=True)),
    Row("GET", "/version", "", fixed("/version"), expect(200, public=True)),
    # Flagging text stores nothing, so a read-only token may.
    Row("POST", "/flag", "", fixed("/flag", json={"text": BODY}), read()),
]

CASES = [pytest.param(row, actor, id=f"{row.id}-{actor}") for row in ROWS for actor in ACTORS]


@pytest.mark.parametrize(("row", "actor"), CASES)
def test_permission(world, row: Row, actor: str):
    limiter.reset()  # the matrix logs in and makes tokens more often than a person could
    call = row.prepare(world, actor)
    client = world.client(actor)
    kwargs: dict[str, Any] = {"headers": call.headers, "query_string": call.query}
    if call.json is not None:
        kwargs["json"] = call.json
    if call.data is not None:
        kwargs.update(data=call.data, content_type=call.content_type)
    response = client.open(API + call.path, method=row.method, **kwargs)
    expected = row.expected[actor]
    assert response.status_code == expected, f"{row.id} as {actor}: {response.get_data(as_text=True)[:500]}"
    if expected >= 400:
        assert response.mimetype == PROBLEM_JSON
        if expected == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("path", ["/api/openapi.json", "/api/docs"])
def test_the_api_document_and_its_page_are_public(world, path, actor):
    """Outside /api/v1 no one is asked who they are: the document describes the API, it holds no data."""
    assert world.client(actor).get(path).status_code == 200


def test_matrix_covers_every_operation(world):
    spec = world.client("anonymous").get("/api/openapi.json").get_json()
    documented = {(method.upper(), path.removeprefix(API)) for path, operations in spec["paths"].items()
                  for method in operations if method != "parameters"}
    covered = {(row.method, row.template) for row in ROWS}
    assert documented - covered == set(), "operations without a row in the permission matrix"
    assert covered - documented == set(), "rows for operations the document does not have"


def test_every_row_names_every_actor():
    for row in ROWS:
        assert set(row.expected) == set(ACTORS), row.id


def test_the_token_fixtures_are_what_they_claim(world):
    """The locked-out tokens are locked out for the stated reason, not by some accident of setup."""
    with world.app.extensions["claimdesk"].database.sessionmaker() as session:
        by_prefix = {t.prefix: t for t in session.query(ApiToken)}

        def token(actor: str) -> ApiToken:
            return by_prefix[world.secrets[actor].removeprefix(accounts.TOKEN_PREFIX)[:12]]

        assert token("revoked").revoked_at is not None
        assert token("expired").expires_at < datetime.now(UTC) and token("expired").revoked_at is None
        assert token("read_only").scopes == ["read"]
        assert token("disabled").user.disabled and token("disabled").revoked_at is None


def test_reviewers_see_no_trace_of_deleted_annotations(world):
    """Not in the claim, its list or its history: to a reviewer a deleted annotation does not exist."""
    gone = world.annotation("rita", deleted=True)
    claim = world.client("eddie").get(f"{API}/annotations/{gone}").get_json()["claim_id"]
    robs = world.client("rob").post(f"{API}/claims/{claim}/annotations", json={"note": "n"})
    kept = world.ok(robs, 201)["id"]
    for actor, visible in (("rita", {kept}), ("rob", {kept}), ("read_only", {kept}), ("eddie", {kept, gone}),
                           ("ada", {kept, gone})):
        client = world.client(actor)
        assert {a["id"] for a in client.get(f"{API}/claims/{claim}").get_json()["annotations"]} == visible
        assert {a["id"] for a in client.get(f"{API}/claims/{claim}/annotations").get_json()} == visible
        history = client.get(f"{API}/claims/{claim}/history").get_json()
        assert {e["entity_id"] for e in history if e["entity"] == "annotation"} == visible, actor
