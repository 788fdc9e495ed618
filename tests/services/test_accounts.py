"""Accounts on a real migrated database: password hashing, logins, API tokens and the first admin."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from service.domain.access import Role, Scope
from service.services import accounts
from service.services.errors import Conflict, InvalidInput, NotFound
from service.storage.accounts import ApiToken, User

PASSWORD = "correct horse battery staple"


@pytest.fixture
def alice(session) -> User:
    return accounts.create_user(session, "alice", PASSWORD, Role.REVIEWER)


def stored_row(session, table: str, row_id: int) -> dict:
    """The row as the database holds it, every column, bypassing the ORM."""
    query = text(f"SELECT * FROM {table} WHERE id = :id")  # noqa: S608 - the table name is the test's own
    return dict(session.execute(query, {"id": row_id}).mappings().one())


# Passwords


def test_passwords_are_stored_only_as_a_scrypt_hash(session, alice):
    row = stored_row(session, "users", alice.id)
    assert row["password_hash"].startswith("scrypt:")
    assert all(PASSWORD not in str(value) for value in row.values())
    # Salted: the same password twice gives two different hashes.
    bob = accounts.create_user(session, "bob", PASSWORD, Role.REVIEWER)
    assert bob.password_hash != alice.password_hash


@pytest.mark.parametrize("password", ["", "eleven char", "x" * 1001])
def test_passwords_outside_12_to_1000_characters_are_refused(session, password):
    with pytest.raises(InvalidInput, match="characters"):
        accounts.create_user(session, "carol", password, Role.REVIEWER)
    assert accounts.count_users(session) == 0


def test_set_password_replaces_the_old_one(session, alice):
    accounts.set_password(session, alice, "a brand new passphrase")
    assert accounts.authenticate(session, "alice", PASSWORD) is None
    assert accounts.authenticate(session, "alice", "a brand new passphrase").id == alice.id
    with pytest.raises(InvalidInput):
        accounts.set_password(session, alice, "too short")


# Users


@pytest.mark.parametrize("username", ["", " alice", "al ice", "-alice", "a" * 81, "alice\n", "<b>"])
def test_malformed_usernames_are_refused(session, username):
    with pytest.raises(InvalidInput, match="not allowed"):
        accounts.create_user(session, username, PASSWORD, Role.REVIEWER)


def test_usernames_are_unique_whatever_their_case(session, alice):
    with pytest.raises(InvalidInput, match="taken"):
        accounts.create_user(session, "ALICE", PASSWORD, Role.EDITOR)
    assert accounts.find_user(session, "Alice").id == alice.id
    with pytest.raises(NotFound):
        accounts.find_user(session, "nobody")


def test_roles_and_disabling(session, alice):
    assert accounts.set_role(session, alice, Role.EDITOR).role == "editor"
    assert accounts.set_disabled(session, alice, True).disabled is True
    assert [u.username for u in accounts.list_users(session)] == ["alice"]


def test_the_last_enabled_admin_cannot_be_demoted_or_disabled(session, alice):
    root = accounts.create_user(session, "root", PASSWORD, Role.ADMIN)
    with pytest.raises(Conflict, match="root is the last enabled admin"):
        accounts.set_disabled(session, root, True)
    for role in (Role.EDITOR, Role.REVIEWER):
        with pytest.raises(Conflict, match="last enabled admin"):
            accounts.set_role(session, root, role)
    assert (root.role, root.disabled) == ("admin", False)
    assert accounts.set_role(session, root, Role.ADMIN).role == "admin", "staying an admin is no change"
    # A disabled admin does not count: it cannot log in to manage anyone.
    ops = accounts.create_user(session, "ops", PASSWORD, Role.ADMIN)
    accounts.set_disabled(session, ops, True)
    with pytest.raises(Conflict):
        accounts.set_disabled(session, root, True)
    accounts.set_disabled(session, ops, False)
    assert accounts.set_disabled(session, root, True).disabled is True, "another admin is left"
    with pytest.raises(Conflict, match="ops is the last enabled admin"):
        accounts.set_role(session, ops, Role.EDITOR)
    assert accounts.set_role(session, root, Role.EDITOR).role == "editor", "a disabled admin may go"


def test_two_admins_disabling_each_other_at_once_leave_one_enabled_on_postgresql():
    """The other's change waits for this one's lock and then reads the admins afresh (PostgreSQL)."""
    from concurrent.futures import ThreadPoolExecutor

    from service.storage.db import Database
    from service.storage.migrate import upgrade
    from tests.integration.conftest import postgres_database

    with postgres_database() as url:
        upgrade(url)
        database = Database(url)
        try:
            with database.sessionmaker() as first, database.sessionmaker() as second, \
                    ThreadPoolExecutor(1) as pool:
                a, b = (accounts.create_user(first, name, PASSWORD, Role.ADMIN) for name in "ab")
                # a's disabling of b is under way (the admins' rows locked) when b's disabling of a starts.
                first.scalars(select(User).where(User.role == Role.ADMIN).with_for_update()).all()
                b_disables_a = pool.submit(accounts.set_disabled, second, second.get(User, a.id), True)
                b.disabled = True
                first.commit()
                with pytest.raises(Conflict, match="a is the last enabled admin"):
                    b_disables_a.result(timeout=30)
            with database.sessionmaker() as session:
                assert session.scalars(select(User.username).where(User.disabled.is_(False))).all() == ["a"]
        finally:
            database.dispose()


# Logging in


def test_authenticate_accepts_the_right_password_and_records_the_login(session, alice):
    assert alice.last_login_at is None
    user = accounts.authenticate(session, "ALICE", PASSWORD)
    assert user is not None and user.id == alice.id
    assert user.last_login_at is not None and user.last_login_at.tzinfo is not None


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong password!"), ("alice", ""),
                                                    ("nobody", PASSWORD), ("", "")])
def test_authenticate_refuses_wrong_passwords_and_unknown_users(session, alice, username, password):
    assert accounts.authenticate(session, username, password) is None


def test_a_disabled_user_cannot_log_in_even_with_the_right_password(session, alice):
    accounts.set_disabled(session, alice, True)
    assert accounts.authenticate(session, "alice", PASSWORD) is None
    accounts.set_disabled(session, alice, False)
    assert accounts.authenticate(session, "alice", PASSWORD) is not None


# API tokens


def test_a_token_secret_is_stored_only_as_its_sha256_digest(session, alice):
    token, secret = accounts.create_token(session, alice, "ci", ["read", "write"], None)
    assert secret.startswith(accounts.TOKEN_PREFIX) and len(secret) >= 40
    row = stored_row(session, "api_tokens", token.id)
    assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in str(value) for value in row.values())
    # The prefix finds the row; it is a short head of the secret, never enough to use it.
    assert row["prefix"] == secret[len(accounts.TOKEN_PREFIX):][:12]


def test_resolve_token_gives_the_owner_with_the_token_scopes(session, alice):
    token, secret = accounts.create_token(session, alice, "reader", ["read"], None)
    principal = accounts.resolve_token(session, secret)
    assert principal is not None
    assert (principal.user_id, principal.username, principal.role, principal.token_id) == (
        alice.id, "alice", Role.REVIEWER, token.id)
    assert principal.scopes == frozenset({Scope.READ})
    assert principal.can_read() and not principal.can_write()
    assert session.get(ApiToken, token.id).last_used_at is not None


def test_resolve_token_refuses_anything_but_the_exact_secret(session, alice):
    _, secret = accounts.create_token(session, alice, "ci", ["read"], None)
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")  # same prefix, wrong rest
    for candidate in (tampered, secret[:20], secret[len(accounts.TOKEN_PREFIX):], "", "cd_",
                      "cd_" + "x" * 43, secret + "x"):
        assert accounts.resolve_token(session, candidate) is None, candidate


def test_scopes_are_limited_by_role(session, alice):
    with pytest.raises(InvalidInput, match="reviewer cannot hold the scope"):
        accounts.create_token(session, alice, "too much", ["read", "admin"], None)
    with pytest.raises(InvalidInput, match="scopes are"):
        accounts.create_token(session, alice, "bogus", ["root"], None)
    with pytest.raises(InvalidInput, match="at least one scope"):
        accounts.create_token(session, alice, "none", [], None)
    admin = accounts.create_user(session, "root", PASSWORD, Role.ADMIN)
    accounts.create_user(session, "backup", PASSWORD, Role.ADMIN)  # the last admin is never demoted
    _, secret = accounts.create_token(session, admin, "ops", ["read", "admin"], None)
    assert accounts.resolve_token(session, secret).can_administer()
    # Demoted, the admin keeps the token but not what the new role may not do.
    accounts.set_role(session, admin, Role.EDITOR)
    principal = accounts.resolve_token(session, secret)
    assert principal.scopes == frozenset({Scope.READ}) and not principal.can_administer()


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_a_token_needs_a_name(session, alice, name):
    with pytest.raises(InvalidInput, match="name"):
        accounts.create_token(session, alice, name, ["read"], None)


def test_an_expired_token_is_refused(session, alice):
    with pytest.raises(InvalidInput, match="past"):
        accounts.create_token(session, alice, "old", ["read"], datetime.now(UTC) - timedelta(seconds=1))
    token, secret = accounts.create_token(session, alice, "short-lived", ["read"],
                                          datetime.now(UTC) + timedelta(hours=1))
    assert accounts.resolve_token(session, secret) is not None
    token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    assert accounts.resolve_token(session, secret) is None


def test_a_revoked_token_is_refused_for_good(session, alice):
    token, secret = accounts.create_token(session, alice, "ci", ["read"], None)
    accounts.revoke_token(session, token)
    revoked_at = token.revoked_at
    assert revoked_at is not None and accounts.resolve_token(session, secret) is None
    assert accounts.revoke_token(session, token).revoked_at == revoked_at  # revoking again changes nothing


def test_a_disabled_owner_token_is_refused(session, alice):
    _, secret = accounts.create_token(session, alice, "ci", ["read"], None)
    accounts.set_disabled(session, alice, True)
    assert accounts.resolve_token(session, secret) is None
    accounts.set_disabled(session, alice, False)
    assert accounts.resolve_token(session, secret) is not None


def test_tokens_are_listed_and_found_per_owner(session, alice):
    bob = accounts.create_user(session, "bob", PASSWORD, Role.EDITOR)
    mine, _ = accounts.create_token(session, alice, "mine", ["read"], None)
    theirs, _ = accounts.create_token(session, bob, "theirs", ["write"], None)
    assert [t.id for t in accounts.list_tokens(session, None)] == [mine.id, theirs.id]
    assert [t.id for t in accounts.list_tokens(session, alice.id)] == [mine.id]
    assert accounts.get_token(session, mine.id, alice.id).id == mine.id
    with pytest.raises(NotFound):
        accounts.get_token(session, theirs.id, alice.id)  # another's token: as if it did not exist
    with pytest.raises(NotFound):
        accounts.get_token(session, 999, None)


def test_deleting_a_user_deletes_its_tokens(session, alice):
    accounts.create_token(session, alice, "ci", ["read"], None)
    session.delete(alice)
    session.commit()
    assert session.scalars(select(ApiToken)).all() == []


# The first admin


def test_the_first_admin_is_created_on_an_empty_database_only(session):
    user, created = accounts.ensure_first_admin(session, PASSWORD)
    assert created and (user.username, user.role, user.disabled) == ("admin", "admin", False)
    assert accounts.authenticate(session, "admin", PASSWORD).id == user.id
    assert PASSWORD not in user.password_hash

    # Any later start leaves the accounts alone: the password given then is not used.
    assert accounts.ensure_first_admin(session, "another long password") == (None, False)
    assert accounts.count_users(session) == 1
    assert accounts.authenticate(session, "admin", "another long password") is None


def test_no_first_admin_when_any_user_exists(session, alice):
    assert accounts.ensure_first_admin(session, PASSWORD) == (None, False)
    assert [u.username for u in accounts.list_users(session)] == ["alice"]


def test_the_first_admin_needs_a_real_password(session):
    for weak in ("", "admin", "short pass"):
        with pytest.raises(InvalidInput, match="at least 12"):
            accounts.ensure_first_admin(session, weak)
    assert accounts.count_users(session) == 0


def test_generated_passwords_are_long_and_different():
    passwords = {accounts.generate_password() for _ in range(20)}
    assert len(passwords) == 20 and all(len(p) >= 20 for p in passwords)


def test_update_user_refuses_an_admins_own_demotion(session):
    from service.services.errors import Conflict

    admin = accounts.create_user(session, "ada", "a long enough password", Role.ADMIN)
    other = accounts.create_user(session, "ama", "a long enough password", Role.ADMIN)
    me = accounts.principal_for(admin)
    for change in ({"role": "editor"}, {"disabled": True}):
        with pytest.raises(Conflict):
            accounts.update_user(session, me, admin, **change)
    assert admin.role == Role.ADMIN and not admin.disabled
    accounts.update_user(session, me, admin, role="admin", disabled=False)
    accounts.update_user(session, me, other, role="editor", disabled=True)
    assert other.role == Role.EDITOR and other.disabled
