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
