"""`claimdesk users`, `claimdesk tokens` and the first admin of `claimdesk serve`, as the real script."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import update

from service.services import accounts
from service.storage.accounts import ApiToken
from service.storage.db import Database
from tests.cli.conftest import CLAIMDESK, run

PASSWORD = "correct horse battery staple"


@contextmanager
def database_of(folder: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{folder / 'instance' / 'claimdesk.db'}")
    try:
        yield database
    finally:
        database.dispose()


def authenticates(folder: Path, username: str, password: str) -> bool:
    with database_of(folder) as database, database.sessionmaker() as session:
        return accounts.authenticate(session, username, password) is not None


def resolves(folder: Path, secret: str):
    with database_of(folder) as database, database.sessionmaker() as session:
        return accounts.resolve_token(session, secret)


def create_user(folder: Path, username: str, role: str, password: str = PASSWORD) -> None:
    result = run(folder, "users", "create", username, "--role", role, "--password-stdin",
                 stdin=password + "\n")
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr


def users_table(folder: Path) -> list[list[str]]:
    result = run(folder, "users", "list")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["id", "username", "role", "disabled", "last", "login"]
    return [row.split(maxsplit=4) for row in rows]


def fails(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode != 0, result.stdout
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


# users


def test_migrate_creates_no_user(migrated):
    with database_of(migrated) as database, database.sessionmaker() as session:
        assert accounts.count_users(session) == 0
    result = run(migrated, "users", "list")
    assert result.returncode == 0 and result.stdout == ""
    assert "no users yet" in result.stderr


def test_users_create_and_list(migrated):
    create_user(migrated, "alice", "reviewer")
    create_user(migrated, "bob", "editor")
    create_user(migrated, "carol", "admin")
    assert users_table(migrated) == [["1", "alice", "reviewer", "no", "never"],
                                     ["2", "bob", "editor", "no", "never"],
                                     ["3", "carol", "admin", "no", "never"]]
    assert authenticates(migrated, "bob", PASSWORD)
    assert users_table(migrated)[1][4].endswith(" UTC")  # the login just made


def test_users_create_prompts_twice_for_a_hidden_password(migrated):
    # Without a terminal (a new session has none), getpass reads the two lines from stdin.
    result = subprocess.run([str(CLAIMDESK), "users", "create", "dave", "--role", "reviewer"], cwd=migrated,
                            env=os.environ | {"CLAIMDESK_INSTANCE_PATH": str(migrated / "instance")},
                            input=f"{PASSWORD}\n{PASSWORD}\n", capture_output=True, text=True, timeout=60,
                            start_new_session=True)
    assert result.returncode == 0, result.stderr
    assert "Repeat for confirmation" in result.stderr + result.stdout
    assert authenticates(migrated, "dave", PASSWORD)


def test_a_password_is_never_a_command_line_argument(migrated):
    fails(run(migrated, "users", "create", "eve", "--role", "reviewer", "--password", PASSWORD),
          "No such option '--password'")
    fails(run(migrated, "users", "create", "eve", "--role", "reviewer", "--password-stdin", PASSWORD),
          "unexpected extra argument")


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["users", "create", "frank", "--role", "reviewer", "--password-stdin"], "too short\n",
     "Error: Passwords need at least 12 characters."),
    (["users", "create", "frank", "--role", "reviewer", "--password-stdin"], "\n",
     "Error: --password-stdin: standard input holds no password."),
    (["users", "create", "frank", "--role", "boss", "--password-stdin"], PASSWORD,
     "Invalid value for '--role': 'boss' is not one of 'reviewer', 'editor', 'admin'."),
    (["users", "create", "frank", "--password-stdin"], PASSWORD, "Missing option '--role'"),
    (["users", "create", "fr ank", "--role", "reviewer", "--password-stdin"], PASSWORD,
     "Error: The username 'fr ank' is not allowed"),
])
def test_users_create_refuses_bad_input(migrated, args, stdin, message):
    fails(run(migrated, *args, stdin=stdin), message)
    assert run(migrated, "users", "list").stdout == ""


def test_users_create_refuses_a_taken_username_before_asking_for_a_password(migrated):
    create_user(migrated, "alice", "reviewer")
    # No stdin at all: the name is checked first, so no password is asked for.
    fails(run(migrated, "users", "create", "ALICE", "--role", "admin"),
          "Error: The username 'ALICE' is taken.")
    assert [row[1:3] for row in users_table(migrated)] == [["alice", "reviewer"]]


def test_users_disable_enable_and_set_role(migrated):
    create_user(migrated, "alice", "reviewer")
    result = run(migrated, "users", "disable", "alice")
    assert result.returncode == 0 and "user alice disabled" in result.stdout
    assert users_table(migrated)[0][3] == "yes"
    assert not authenticates(migrated, "alice", PASSWORD)

    assert run(migrated, "users", "enable", "alice").returncode == 0
    assert users_table(migrated)[0][3] == "no"
    assert authenticates(migrated, "alice", PASSWORD)

    result = run(migrated, "users", "set-role", "alice", "editor")
    assert result.returncode == 0 and "user alice is now editor" in result.stdout
    assert users_table(migrated)[0][2] == "editor"
    fails(run(migrated, "users", "set-role", "alice", "owner"),
          "'owner' is not one of 'reviewer', 'editor', 'admin'.")


def test_the_last_enabled_admin_is_neither_disabled_nor_demoted(migrated):
    create_user(migrated, "root", "admin")
    fails(run(migrated, "users", "disable", "root"),
          "Error: root is the last enabled admin: make another admin first.")
    fails(run(migrated, "users", "set-role", "root", "editor"), "the last enabled admin")
    assert users_table(migrated)[0][2:4] == ["admin", "no"]
    create_user(migrated, "ops", "admin")
    assert run(migrated, "users", "disable", "root").returncode == 0
    fails(run(migrated, "users", "set-role", "ops", "reviewer"), "ops is the last enabled admin")


def test_users_set_password(migrated):
    create_user(migrated, "alice", "reviewer")
    new = "an entirely different passphrase"
    result = run(migrated, "users", "set-password", "alice", "--password-stdin", stdin=new + "\n")
    assert result.returncode == 0, result.stderr
    assert "password of alice changed" in result.stdout and new not in result.stdout + result.stderr
    assert authenticates(migrated, "alice", new)
    assert not authenticates(migrated, "alice", PASSWORD)

    fails(run(migrated, "users", "set-password", "alice", "--password-stdin", stdin="short\n"),
          "Error: Passwords need at least 12 characters.")
    assert authenticates(migrated, "alice", new)


@pytest.mark.parametrize("args", [["disable", "nobody"], ["enable", "nobody"],
                                  ["set-role", "nobody", "admin"],
                                  ["set-password", "nobody", "--password-stdin"]])
def test_users_commands_name_an_unknown_user(migrated, args):
    fails(run(migrated, "users", *args, stdin=PASSWORD + "\n"), "Error: There is no user 'nobody'.")


@pytest.mark.parametrize("args", [["users", "list"], ["users", "disable", "alice"], ["tokens", "list"],
                                  ["tokens", "revoke", "1"], ["users", "create", "alice", "--role", "admin"]])
def test_account_commands_ask_for_migrate_on_a_fresh_database(tmp_path, args):
    fails(run(tmp_path, *args, stdin=PASSWORD + "\n"),
          "Error: The database has no accounts yet: run `claimdesk migrate` first.")


# tokens


def create_token(folder: Path, *args: str) -> str:
    result = run(folder, "tokens", "create", *args)
    assert result.returncode == 0, result.stderr
    assert "will not be shown again" in result.stderr
    secret = result.stdout.strip()
    assert secret.startswith("cd_") and secret not in result.stderr and "\n" not in secret
    return secret


def tokens_table(folder: Path, *args: str) -> list[list[str]]:
    result = run(folder, "tokens", "list", *args)
    assert result.returncode == 0, result.stderr
    if not result.stdout:
        return []
    header, *rows = result.stdout.splitlines()
    assert header.split()[:4] == ["id", "user", "name", "starts"]
    return [row.split() for row in rows]


def test_tokens_create_list_and_revoke(migrated):
    create_user(migrated, "alice", "reviewer")
    create_user(migrated, "bob", "admin")
    secret = create_token(migrated, "alice", "--name", "ci", "--scope", "read", "--scope", "write")
    principal = resolves(migrated, secret)
    assert principal.username == "alice" and {s.value for s in principal.scopes} == {"read", "write"}
    admin_secret = create_token(migrated, "bob", "--name", "ops", "--scope", "admin")
    assert resolves(migrated, admin_secret).can_administer()

    listing = tokens_table(migrated)
    assert [row[:3] + row[4:6] for row in listing] == [["1", "alice", "ci", "read,write", "active"],
                                                        ["2", "bob", "ops", "admin", "active"]]
    assert listing[0][3] == secret[:15] + "..."  # the head only, to tell tokens apart
    assert secret not in run(migrated, "tokens", "list").stdout
    assert [row[0] for row in tokens_table(migrated, "bob")] == ["2"]

    result = run(migrated, "tokens", "revoke", "1")
    assert result.returncode == 0 and "token 1 ('ci' of alice) revoked" in result.stdout
    assert resolves(migrated, secret) is None
    assert resolves(migrated, admin_secret) is not None
    assert tokens_table(migrated, "alice")[0][5] == "revoked"
    assert "was already revoked" in run(migrated, "tokens", "revoke", "1").stdout


def test_a_disabled_owner_token_stops_working(migrated):
    create_user(migrated, "alice", "editor")
    secret = create_token(migrated, "alice", "--name", "ci", "--scope", "read")
    run(migrated, "users", "disable", "alice")
    assert resolves(migrated, secret) is None
    assert tokens_table(migrated)[0][5:7] == ["owner", "disabled"]
    run(migrated, "users", "enable", "alice")
    assert resolves(migrated, secret) is not None


def test_tokens_expire(migrated):
    create_user(migrated, "alice", "reviewer")
    secret = create_token(migrated, "alice", "--name", "week", "--scope", "read", "--expires-in-days", "7")
    with database_of(migrated) as database, database.sessionmaker() as session:
        token = session.get(ApiToken, 1)
        assert abs(token.expires_at - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=1)
    assert resolves(migrated, secret) is not None

    # A week later, as far as the token can tell.
    with database_of(migrated) as database, database.sessionmaker.begin() as session:
        session.execute(update(ApiToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert resolves(migrated, secret) is None
    assert tokens_table(migrated)[0][5] == "expired"


@pytest.mark.parametrize(("args", "message"), [
    (["alice", "--name", "x", "--scope", "admin"], "Error: A reviewer cannot hold the scope(s) admin."),
    (["alice", "--name", "x", "--scope", "root"], "Invalid value for '--scope': 'root' is not one of"),
    (["alice", "--name", "x"], "Missing option '--scope'"),
    (["alice", "--scope", "read"], "Missing option '--name'"),
    (["alice", "--name", " ", "--scope", "read"], "Error: A token needs a name of 1-200 characters."),
    (["alice", "--name", "x", "--scope", "read", "--expires-in-days", "0"],
     "Invalid value for '--expires-in-days'"),
    (["nobody", "--name", "x", "--scope", "read"], "Error: There is no user 'nobody'."),
])
def test_tokens_create_refuses_bad_input(migrated, args, message):
    create_user(migrated, "alice", "reviewer")
    result = run(migrated, "tokens", "create", *args)
    fails(result, message)
    assert result.stdout == "" and tokens_table(migrated) == []


def test_tokens_list_and_revoke_name_what_is_missing(migrated):
    fails(run(migrated, "tokens", "list", "nobody"), "Error: There is no user 'nobody'.")
    fails(run(migrated, "tokens", "revoke", "7"), "Error: There is no token 7.")
    fails(run(migrated, "tokens", "revoke", "seven"), "Invalid value for 'TOKEN_ID'")


# the first admin of `claimdesk serve`


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(folder: Path, env: dict[str, str]) -> Iterator[Path]:
    """`claimdesk serve` until it answers /health; then Ctrl-C, and whatever is left is killed."""
    log = folder / "serve.log"
    port = free_port()
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CLAIMDESK_ADMIN_PASSWORD")}
    environment |= {"CLAIMDESK_INSTANCE_PATH": str(folder / "instance")} | env
    with log.open("wb") as out:
        process = subprocess.Popen([str(CLAIMDESK), "serve", "--port", str(port), "--web-workers", "1"],
                                   cwd=folder, env=environment, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"serve exited with {process.returncode}:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"serve did not become healthy:\n{log.read_text()}"
            try:
                if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still booting
                pass
            time.sleep(0.3)
        yield log
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=40) == 0, log.read_text()[-3000:]
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def test_serve_creates_the_first_admin_from_the_environment(tmp_path):
    given = "the admin's chosen passphrase"
    with serving(tmp_path, {"CLAIMDESK_ADMIN_PASSWORD": given}) as log:
        pass
    output = log.read_text()
    assert "created the user admin (admin) with the password from CLAIMDESK_ADMIN_PASSWORD" in output
    assert given not in output
    assert authenticates(tmp_path, "admin", given)
    assert [row[1:4] for row in users_table(tmp_path)] == [["admin", "admin", "no"]]


def test_serve_prints_a_generated_first_admin_password_once(tmp_path):
    with serving(tmp_path, {}) as log:
        pass
    output = log.read_text()
    found = re.findall(r"first run: log in as admin with password (\S+)", output)
    assert len(found) == 1, output
    assert "claimdesk users set-password admin" in output
    assert authenticates(tmp_path, "admin", found[0])

    # The next start finds a user and leaves it alone: no new password, nothing printed.
    with serving(tmp_path, {"CLAIMDESK_ADMIN_PASSWORD": "ignored since admin exists"}) as log:
        pass
    output = log.read_text()
    assert "first run" not in output and found[0] not in output
    assert "CLAIMDESK_ADMIN_PASSWORD is ignored" in output
    assert authenticates(tmp_path, "admin", found[0])
    assert len(users_table(tmp_path)) == 1


def test_serve_refuses_a_short_admin_password_before_starting_anything(tmp_path):
    result = run(tmp_path, "serve", "--port", str(free_port()), env={"CLAIMDESK_ADMIN_PASSWORD": "admin"})
    fails(result, "Error: CLAIMDESK_ADMIN_PASSWORD: Passwords need at least 12 characters.")
    assert "Claimdesk on http" not in result.stdout
    assert run(tmp_path, "users", "list").stdout == ""
