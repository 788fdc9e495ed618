"""Who may do what: roles, token scopes, review statuses and the permission rules. No frameworks."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    REVIEWER = "reviewer"
    EDITOR = "editor"
    ADMIN = "admin"


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class ReviewStatus(StrEnum):
    UNREVIEWED = "unreviewed"
    IN_REVIEW = "in-review"
    APPROVED = "approved"
    PUBLISHED = "published"


_RANK = {Role.REVIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}

# The scopes a role may hold: a token never carries more than its owner could do.
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.REVIEWER: frozenset({Scope.READ, Scope.WRITE}),
    Role.EDITOR: frozenset({Scope.READ, Scope.WRITE}),
    Role.ADMIN: frozenset({Scope.READ, Scope.WRITE, Scope.ADMIN}),
}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a user, through a browser session or an API token."""

    user_id: int
    username: str
    role: Role
    scopes: frozenset[Scope]
    token_id: int | None = None

    def at_least(self, role: Role) -> bool:
        return _RANK[self.role] >= _RANK[role]

    def can_read(self) -> bool:
        return Scope.READ in self.scopes

    def can_write(self) -> bool:
        return Scope.WRITE in self.scopes

    def can_administer(self) -> bool:
        return Scope.ADMIN in self.scopes and self.role == Role.ADMIN

    def can_edit_annotation(self, owner_id: int | None) -> bool:
        """Reviewers change their own annotations; editors and admins change any."""
        return self.can_write() and (self.at_least(Role.EDITOR) or owner_id == self.user_id)

    def can_edit_any(self) -> bool:
        """Review statuses, deleting articles, undoing deletes: editors' work."""
        return self.can_write() and self.at_least(Role.EDITOR)


# The rules that are not one scope or role check: every caller (API, desk, services) asks these.

def may_see_deleted(principal: Principal) -> bool:
    """Deleted annotations, and their history, exist for editors (who can restore them) and no one else."""
    return principal.can_edit_any()


def may_read_user(principal: Principal, user_id: int) -> bool:
    """Admins read any account; everyone else only their own."""
    return principal.can_administer() or principal.user_id == user_id


def token_owner(principal: Principal) -> int | None:
    """Whose tokens the caller may see: anyone's (None) for an admin, otherwise only their own."""
    return None if principal.can_administer() else principal.user_id


def demotes_self(principal: Principal, user_id: int, role: str | None, disabled: bool | None) -> bool:
    """An admin demoting or disabling their own account (refused: it could leave no admin at all)."""
    return user_id == principal.user_id and (bool(disabled) or (role is not None and role != Role.ADMIN))
