"""The permission rules in service.domain.access, as pure functions of a Principal."""
from __future__ import annotations

import pytest

from service.domain.access import (
    ROLE_SCOPES,
    Principal,
    Role,
    demotes_self,
    may_read_user,
    may_see_deleted,
    token_owner,
)


def _principal(role: Role, user_id: int = 1) -> Principal:
    return Principal(user_id, "someone", role, ROLE_SCOPES[role])


@pytest.mark.parametrize("role, disabled, demotes", [
    (None, None, False), ("admin", None, False), ("admin", False, False), (None, False, False),
    ("editor", None, True), ("reviewer", None, True), (None, True, True), ("admin", True, True),
])
def test_an_admin_demotes_only_themself(role, disabled, demotes):
    admin = _principal(Role.ADMIN)
    assert demotes_self(admin, 1, role, disabled) is demotes
    assert demotes_self(admin, 2, role, disabled) is False


@pytest.mark.parametrize("role, sees", [(Role.REVIEWER, False), (Role.EDITOR, True), (Role.ADMIN, True)])
def test_deleted_annotations_are_for_editors(role, sees):
    assert may_see_deleted(_principal(role)) is sees
    read_only = Principal(1, "someone", role, frozenset({"read"}))
    assert may_see_deleted(read_only) is False


@pytest.mark.parametrize("role", list(Role))
def test_users_read_themselves_and_admins_read_anyone(role):
    principal = _principal(role)
    assert may_read_user(principal, 1)
    assert may_read_user(principal, 2) is (role == Role.ADMIN)
    assert token_owner(principal) == (None if role == Role.ADMIN else 1)
