"""Users, passwords and API tokens: creating them, checking them and turning them into a Principal."""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from service.domain.access import ROLE_SCOPES, Principal, Role, Scope
from service.services.errors import InvalidInput, NotFound
from service.services.token_cache import TokenCache
from service.storage.accounts import ApiToken, User

log = logging.getLogger(__name__)

TOKEN_PREFIX = "cd_"
MIN_PASSWORD = 12
# An upper bound too: scrypt over a megabyte "password" is a cheap way to burn a server's CPU.
MAX_PASSWORD = 1000
FIRST_ADMIN = "admin"
# The same rule as the API's UserCreateSchema, so the CLI cannot create a name the API would refuse.
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,79}")
# Checked against when a username is unknown, so a login takes as long whether or not the user exists.
_DUMMY_HASH = generate_password_hash("not a real password", method="scrypt")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Passwords need at least {MIN_PASSWORD} characters.",
                           {"password": [f"At least {MIN_PASSWORD} characters."]})
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"Passwords have at most {MAX_PASSWORD} characters.",
                           {"password": [f"At most {MAX_PASSWORD} characters."]})


def check_new_username(session: Session, username: str) -> None:
    """Raise InvalidInput unless `username` is well formed and free (names compare case-insensitively)."""
    if not _USERNAME.fullmatch(username):
        raise InvalidInput(f"The username {username!r} is not allowed: use 1-80 letters, digits, "
                           "'.', '_', '@' or '-', starting with a letter or digit.",
                           {"username": ["1-80 letters, digits, '.', '_', '@' or '-'."]})
    if session.scalar(select(User).where(func.lower(User.username) == username.lower())):
        raise InvalidInput(f"The username {username!r} is taken.", {"username": ["Already taken."]})


def create_user(session: Session, username: str, password: str, role: Role) -> User:
    check_new_username(session, username)
    _check_new_password(password)
    user = User(username=username, password_hash=hash_password(password), role=Role(role))
    session.add(user)
    session.commit()
    return user


def generate_password() -> str:
    return secrets.token_urlsafe(18)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    return user


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        raise NotFound(f"There is no user {username!r}.")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def set_role(session: Session, user: User, role: Role) -> User:
    user.role = Role(role)
    session.commit()
    return user


def set_disabled(session: Session, user: User, disabled: bool) -> User:
    user.disabled = disabled
    session.commit()
    return user


def set_password(session: Session, user: User, password: str) -> User:
    _check_new_password(password)
    user.password_hash = hash_password(password)
    session.commit()
    return user


def change_own_password(session: Session, user_id: int, current: str, new: str) -> User:
    """A user replacing their own password: only with the current one (a stolen session or token alone
    must not be enough to lock the owner out)."""
    user = get_user(session, user_id)
    if not check_password_hash(user.password_hash, current[:MAX_PASSWORD]):
        raise InvalidInput("The current password is wrong.", {"current_password": ["Wrong password."]})
    return set_password(session, user, new)


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def ensure_first_admin(session: Session, password: str) -> tuple[User | None, bool]:
    """On a database without any user, create `admin` (role admin) with `password`.

    Returns (the new admin, True), or (None, False) when users exist already, whatever they are:
    then the password is not used. There is no default password: the caller passes one it was given
    or generated, and it must pass the same checks as any other.
    """
    if count_users(session):
        return None, False
    return create_user(session, FIRST_ADMIN, password, Role.ADMIN), True


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user when the password is right and the account enabled; None otherwise."""
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or user.disabled:
        return None
    user.last_login_at = datetime.now(UTC)
    session.commit()
    return user


def principal_for(user: User, scopes: frozenset[Scope] | None = None,
                  token_id: int | None = None) -> Principal:
    role = Role(user.role)
    allowed = ROLE_SCOPES[role]
    return Principal(user.id, user.username, role, allowed if scopes is None else scopes & allowed, token_id)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(session: Session, user: User, name: str, scopes: list[str],
                 expires_at: datetime | None) -> tuple[ApiToken, str]:
    """A new token and its secret; the secret is returned this once and stored only as a digest."""
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput("A token needs a name of 1-200 characters.", {"name": ["1-200 characters."]})
    if not scopes:
        raise InvalidInput("A token needs at least one scope.", {"scopes": ["At least one scope."]})
    try:
        wanted = {Scope(s) for s in scopes}
    except ValueError:
        raise InvalidInput(f"The scopes are {', '.join(Scope)}.",
                           {"scopes": [f"One of {', '.join(Scope)}."]}) from None
    if not wanted <= ROLE_SCOPES[Role(user.role)]:
        extra = ", ".join(sorted(wanted - ROLE_SCOPES[Role(user.role)]))
        raise InvalidInput(f"A {user.role} cannot hold the scope(s) {extra}.",
                           {"scopes": [f"Not allowed for a {user.role}: {extra}."]})
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise InvalidInput("The expiry is in the past.", {"expires_at": ["Must be in the future."]})
    body = secrets.token_urlsafe(32)
    secret = f"{TOKEN_PREFIX}{body}"
    token = ApiToken(user_id=user.id, name=name, prefix=body[:12], secret_hash=_digest(secret),
                     scopes=sorted(wanted), expires_at=expires_at)
    session.add(token)
    session.commit()
    return token, secret


# Every API request runs it: built once, plain columns of token and owner in one row, no ORM objects.
_TOKEN_LOOKUP = (
    select(ApiToken.id, ApiToken.secret_hash, ApiToken.scopes, ApiToken.expires_at, ApiToken.revoked_at,
           ApiToken.last_used_at, User.id.label("user_id"), User.username, User.role, User.disabled)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.prefix == bindparam("prefix"))
)


def record_token_use(session: Session, token_id: int, moment: datetime) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=moment))


def resolve_token(session: Session, secret: str, cache: TokenCache | None = None,
                  record_use: Callable[[int, datetime], None] | None = None) -> Principal | None:
    """The caller a bearer secret stands for, or None if it is unknown, revoked, expired or disabled.

    With a `cache`, a token seen lately is answered from memory (see service.services.token_cache). The
    use is recorded by `record_use` (the web app's, in a writer unit of its own: a GET's session cannot
    write), else in `session`."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) < len(TOKEN_PREFIX) + 12:
        return None
    digest, now = _digest(secret), datetime.now(UTC)
    if cache is not None:
        principal = cache.get(digest, now)
        if principal is not None:
            return principal
        generation = cache.generation
    token = session.connection().execute(_TOKEN_LOOKUP, {"prefix": secret[len(TOKEN_PREFIX):][:12]}).first()
    if token is None or not hmac.compare_digest(token.secret_hash, digest):
        return None
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if token.disabled:
        return None
    # Recording every use would turn each read into a write; once a minute is enough to spot stale tokens
    # (a cached token is looked up again, and its use recorded, once the cache's copy is stale).
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        (record_use or partial(record_token_use, session))(token.id, now)
    role = Role(token.role)
    principal = Principal(token.user_id, token.username, role,
                          frozenset(Scope(s) for s in token.scopes) & ROLE_SCOPES[role], token.id)
    if cache is not None:
        cache.put(digest, principal, token.expires_at, generation)
    return principal


def list_tokens(session: Session, user_id: int | None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(session.scalars(query))


def get_token(session: Session, token_id: int, owner_id: int | None) -> ApiToken:
    """A token by id; with `owner_id`, only that user's (another's answers 404, as if absent)."""
    token = session.get(ApiToken, token_id)
    if token is None or (owner_id is not None and token.user_id != owner_id):
        raise NotFound(f"There is no token {token_id}.")
    return token


def revoke_token(session: Session, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        session.commit()
    return token
