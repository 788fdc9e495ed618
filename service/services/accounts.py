"""Users, passwords, browser sessions and API tokens: creating them, checking them and turning them into
a Principal."""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from service.domain.access import ROLE_SCOPES, Principal, Role, Scope, demotes_self
from service.services.errors import Conflict, InvalidInput, NotFound
from service.services.token_cache import TokenCache
from service.storage.accounts import ApiToken, BrowserSession, User

log = logging.getLogger(__name__)

TOKEN_PREFIX = "cd_"
MIN_PASSWORD = 12
# An upper bound too: scrypt over a megabyte "password" is a cheap way to burn a server's CPU.
MAX_PASSWORD = 1000
MAX_USERNAME = 80
MAX_TOKEN_NAME = 200
FIRST_ADMIN = "admin"
# The API's schemas, the desk and the CLI all check usernames against this one rule.
USERNAME_PATTERN = rf"[A-Za-z0-9][A-Za-z0-9._@-]{{0,{MAX_USERNAME - 1}}}"
USERNAME_RULE = f"1-{MAX_USERNAME} letters, digits, '.', '_', '@' or '-'."
_USERNAME = re.compile(USERNAME_PATTERN)
# Checked against when a username is unknown, so a login takes as long whether or not the user exists.
_DUMMY_HASH = generate_password_hash("not a real password", method="scrypt")
# A browser session unused this long has ended (the cookie's own lifetime is the same).
SESSION_LIFETIME = timedelta(hours=12)


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
        raise InvalidInput(f"The username {username!r} is not allowed: use 1-{MAX_USERNAME} letters, digits, "
                           "'.', '_', '@' or '-', starting with a letter or digit.",
                           {"username": [USERNAME_RULE]})
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


def _keep_an_enabled_admin(session: Session, user: User) -> None:
    """Refuse to demote or disable the last enabled admin: nobody could manage users any more but from the
    command line. The enabled admins' rows are locked (PostgreSQL) and read afresh, so two admins
    disabling each other at the same moment cannot both succeed."""
    admins = session.scalars(select(User.id).where(User.role == Role.ADMIN, User.disabled.is_(False))
                             .order_by(User.id).with_for_update()).all()
    if admins == [user.id]:
        refusal = Conflict(f"{user.username} is the last enabled admin: make another admin first.")
        session.rollback()  # releases the locks
        raise refusal


def set_role(session: Session, user: User, role: Role) -> User:
    if Role(role) != Role.ADMIN:
        _keep_an_enabled_admin(session, user)
    user.role = Role(role)
    session.commit()
    return user


def set_disabled(session: Session, user: User, disabled: bool) -> User:
    """Disabling ends the user's browser sessions too: enabling the account again does not revive them."""
    if disabled:
        _keep_an_enabled_admin(session, user)
    user.disabled = disabled
    if disabled:
        session.execute(delete(BrowserSession).where(BrowserSession.user_id == user.id))
    session.commit()
    return user


def update_user(session: Session, principal: Principal, user: User, role: str | None = None,
                disabled: bool | None = None) -> User:
    """An admin changing a user's role or disabling them; never their own demotion."""
    if demotes_self(principal, user.id, role, disabled):
        raise Conflict("Admins cannot demote or disable themselves.")
    if role is not None:
        set_role(session, user, Role(role))
    if disabled is not None:
        set_disabled(session, user, disabled)
    return user


def set_password(session: Session, user: User, password: str, keep_session: str | None = None) -> User:
    """Replace the password and end every browser session of the user but `keep_session` (the secret of
    the one making the change), in the same transaction: whoever had the old password is logged out."""
    _check_new_password(password)
    user.password_hash = hash_password(password)
    ending = delete(BrowserSession).where(BrowserSession.user_id == user.id)
    if keep_session is not None:
        ending = ending.where(BrowserSession.secret_hash != _digest(keep_session))
    session.execute(ending)
    session.commit()
    return user


def change_own_password(session: Session, user_id: int, current: str, new: str,
                        keep_session: str | None = None) -> User:
    """A user replacing their own password: only with the current one (a stolen session or token alone
    must not be enough to lock the owner out)."""
    user = get_user(session, user_id)
    if not check_password_hash(user.password_hash, current[:MAX_PASSWORD]):
        raise InvalidInput("The current password is wrong.", {"current_password": ["Wrong password."]})
    return set_password(session, user, new, keep_session)


def open_session(session: Session, user: User) -> str:
    """A new browser session for `user`; returns the secret the cookie holds (stored only as a digest).
    The user's sessions that have ended by age are cleared out on the way."""
    now = datetime.now(UTC)
    session.execute(delete(BrowserSession).where(BrowserSession.user_id == user.id,
                                                 BrowserSession.last_seen_at <= now - SESSION_LIFETIME))
    secret = secrets.token_urlsafe(32)
    session.add(BrowserSession(user_id=user.id, secret_hash=_digest(secret), created_at=now,
                               last_seen_at=now))
    session.commit()
    return secret


# Every request with a session cookie runs it: the session and its user in one row.
_SESSION_LOOKUP = (
    select(BrowserSession.id, BrowserSession.last_seen_at, User.id.label("user_id"), User.username, User.role,
           User.disabled)
    .join(User, User.id == BrowserSession.user_id)
    .where(BrowserSession.secret_hash == bindparam("digest"))
)
_SESSION_SEEN = update(BrowserSession).where(BrowserSession.id == bindparam("session_id")) \
    .values(last_seen_at=bindparam("now"))


def record_session_use(session: Session, session_id: int, moment: datetime) -> None:
    session.connection().execute(_SESSION_SEEN, {"session_id": session_id, "now": moment})


def resolve_session(session: Session, secret: str,
                    record_use: Callable[[int, datetime], None] | None = None) -> Principal | None:
    """The user of a live browser session, or None once it was logged out, ended by a password change,
    unused for SESSION_LIFETIME, or its user disabled or deleted. Read from the database on every request
    (never cached), so a logout ends the session in every web process at once. The use is recorded as in
    `resolve_token`."""
    now = datetime.now(UTC)
    row = session.connection().execute(_SESSION_LOOKUP, {"digest": _digest(secret)}).first()
    if row is None or row.disabled or row.last_seen_at <= now - SESSION_LIFETIME:
        return None
    # Once a minute, not on every request: the lifetime runs from the last use, give or take that minute.
    if (now - row.last_seen_at).total_seconds() > 60:
        (record_use or partial(record_session_use, session))(row.id, now)
    role = Role(row.role)
    return Principal(row.user_id, row.username, role, ROLE_SCOPES[role])


def end_session(session: Session, secret: str) -> None:
    """Log out: the session's row goes, so the cookie (or any copy of it) is worth nothing from now on."""
    session.execute(delete(BrowserSession).where(BrowserSession.secret_hash == _digest(secret)))
    session.commit()


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
    if not 1 <= len(name) <= MAX_TOKEN_NAME:
        raise InvalidInput(f"A token needs a name of 1-{MAX_TOKEN_NAME} characters.",
                           {"name": [f"1-{MAX_TOKEN_NAME} characters."]})
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
    session.get_one(ApiToken, token_id).last_used_at = moment


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
