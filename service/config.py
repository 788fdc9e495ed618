"""Every setting, read from the environment in one typed place."""
from __future__ import annotations

import ipaddress
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from service.domain import DEFAULT_VERDICTS

# The embedded default keeps its SQLite file and broker folders here, so `claimdesk serve` needs
# neither PostgreSQL nor Redis.
DEFAULT_INSTANCE = Path.cwd() / "instance"


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _http_url(env: dict[str, str], name: str) -> str | None:
    raw = (env.get(name) or "").strip().rstrip("/")
    if raw and not raw.startswith(("http://", "https://")):
        raise ValueError(f"{name} must be an http(s) URL, got {raw!r}")
    return raw or None


_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")


def _allow_list(env: dict[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated host names and addresses or networks (CIDR); each checked here, at startup."""
    entries = tuple(e.strip().lower() for e in env.get(name, "").split(",") if e.strip())
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            if not _HOSTNAME.match(entry):
                raise ValueError(f"{name}: {entry!r} is neither a host name nor an address or "
                                 "network") from None
    return entries


def _host_list(env: dict[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated host names or addresses (IPv6 with or without brackets), each checked here, at
    startup; a leading dot stands for the name and its subdomains. Addresses come out in their short form."""
    entries = []
    for entry in (e.strip().lower() for e in env.get(name, "").split(",") if e.strip()):
        try:
            entries.append(str(ipaddress.ip_address(entry.removeprefix("[").removesuffix("]"))))
        except ValueError:
            if not _HOSTNAME.match(entry.removeprefix(".")):
                raise ValueError(f"{name}: {entry!r} is neither a host name nor an address") from None
            entries.append(entry)
    return tuple(entries)


def _bool(env: dict[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"{name} must be true or false, got {raw!r}")


# Seconds past the task time limit before an article still `flagging` counts as abandoned.
FLAGGING_MARGIN = 30


@dataclass(frozen=True)
class Settings:
    """The service's configuration; `Settings.from_env()` is the one way to build it."""

    instance_path: Path
    database_url: str
    broker_url: str
    verdicts: tuple[str, ...] = DEFAULT_VERDICTS
    max_request_bytes: int = 5 * 1024 * 1024
    max_article_chars: int = 500_000
    # POST /flag and `claimdesk flag` detect in the web process (or the command) itself: the longest text
    # each takes (413 above it), and how many texts one address may send (flask-limiter's notation).
    max_flag_chars: int = 500_000
    flag_rate_limit: str = "60 per minute;600 per hour"
    max_batch_bytes: int = 200 * 1024 * 1024
    max_batch_lines: int = 50_000
    # Each web process keeps the JSON of the articles it served lately, up to this many MiB (0: off).
    article_cache_mb: int = 64
    # On PostgreSQL, each web process keeps who an API token stands for, emptied on any change to tokens
    # or users and read again after this many seconds at most (0: off).
    token_cache_seconds: int = 60
    task_soft_time_limit: int = 60
    task_time_limit: int = 90
    log_level: str = "INFO"
    sweep_interval: int = 60
    stuck_after: int = 600
    broker_transport_options: dict = field(default_factory=dict)
    # Exports: the fact-checking organisation named as ClaimReview author.
    org_name: str = "Claimdesk"
    org_url: str | None = None
    # The public address the links in exports point to (CLAIMDESK_PUBLIC_URL). Unset, a link takes the
    # address the request was made at, but only if its host (Host, or X-Forwarded-Host behind a proxy,
    # both the caller's to choose) is one of `allowed_hosts`; else the export is a 400, not links to a site
    # the caller picked (Host header poisoning). The default list, loopback only, keeps the
    # zero-configuration desk at http://localhost:8000 working.
    public_url: str | None = None
    allowed_hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
    secret_key: str | None = None
    secure_cookies: bool = False
    behind_proxy: bool = False
    ratelimit_storage: str = "memory://"
    # Webhooks: hosts and networks outbound deliveries may reach although private or loopback (SSRF
    # guard), the per-request timeout, attempts per delivery, and failed deliveries in a row that
    # disable a webhook.
    webhook_allow: tuple[str, ...] = ()
    webhook_timeout: int = 5
    webhook_max_attempts: int = 10
    webhook_disable_after: int = 10

    @property
    def flagging_stuck_after(self) -> int:
        """Seconds after which an article left `flagging` is re-sent: past the hard time limit no worker
        can still be on it (its worker died), so it need not wait `stuck_after` like a long queue."""
        return min(self.stuck_after, self.task_time_limit + FLAGGING_MARGIN)

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url.startswith("filesystem://")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        instance = Path(env.get("CLAIMDESK_INSTANCE_PATH") or DEFAULT_INSTANCE).resolve()
        database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'claimdesk.db'}"
        broker_url = env.get("CELERY_BROKER_URL") or "filesystem://localhost/"
        options: dict = {}
        if broker_url.startswith("filesystem://"):
            queue = instance / "broker"
            options = {
                "data_folder_in": str(queue / "messages"),
                "data_folder_out": str(queue / "messages"),
                "control_folder": str(queue / "control"),
                "store_processed": False,
                # kombu sleeps this long whenever a poll finds nothing it may take, and with prefetch 1
                # that is after every message: its default of 1 s held two workers to 2 articles/s.
                "polling_interval": 0.05,
            }
        verdicts = tuple(v.strip() for v in env.get("CLAIMDESK_VERDICTS", "").split(",") if v.strip())
        return cls(
            instance_path=instance,
            database_url=database_url,
            broker_url=broker_url,
            verdicts=verdicts or DEFAULT_VERDICTS,
            max_request_bytes=_int(env, "CLAIMDESK_MAX_REQUEST_BYTES", cls.max_request_bytes),
            max_article_chars=_int(env, "CLAIMDESK_MAX_ARTICLE_CHARS", cls.max_article_chars),
            max_flag_chars=_int(env, "CLAIMDESK_MAX_FLAG_CHARS", cls.max_flag_chars),
            flag_rate_limit=env.get("CLAIMDESK_FLAG_RATE_LIMIT", "").strip() or cls.flag_rate_limit,
            max_batch_bytes=_int(env, "CLAIMDESK_MAX_BATCH_BYTES", cls.max_batch_bytes),
            max_batch_lines=_int(env, "CLAIMDESK_MAX_BATCH_LINES", cls.max_batch_lines),
            article_cache_mb=_int(env, "CLAIMDESK_ARTICLE_CACHE_MB", cls.article_cache_mb),
            token_cache_seconds=_int(env, "CLAIMDESK_TOKEN_CACHE_SECONDS", cls.token_cache_seconds),
            task_soft_time_limit=_int(env, "CLAIMDESK_TASK_SOFT_TIME_LIMIT", cls.task_soft_time_limit),
            task_time_limit=_int(env, "CLAIMDESK_TASK_TIME_LIMIT", cls.task_time_limit),
            log_level=env.get("CLAIMDESK_LOG_LEVEL", "INFO").upper(),
            sweep_interval=_int(env, "CLAIMDESK_SWEEP_INTERVAL", cls.sweep_interval),
            stuck_after=_int(env, "CLAIMDESK_STUCK_AFTER", cls.stuck_after),
            broker_transport_options=options,
            org_name=env.get("CLAIMDESK_ORG_NAME", "").strip() or cls.org_name,
            org_url=_http_url(env, "CLAIMDESK_ORG_URL"),
            public_url=_http_url(env, "CLAIMDESK_PUBLIC_URL"),
            allowed_hosts=_host_list(env, "CLAIMDESK_ALLOWED_HOSTS") or cls.allowed_hosts,
            secret_key=env.get("CLAIMDESK_SECRET_KEY") or None,
            secure_cookies=_bool(env, "CLAIMDESK_SECURE_COOKIES"),
            behind_proxy=_bool(env, "CLAIMDESK_BEHIND_PROXY"),
            # Every gunicorn process must count against the same login limit: Redis when there is one.
            ratelimit_storage=env.get("CLAIMDESK_RATELIMIT_STORAGE")
            or (broker_url if broker_url.startswith("redis") else "memory://"),
            webhook_allow=_allow_list(env, "CLAIMDESK_WEBHOOK_ALLOW"),
            webhook_timeout=_int(env, "CLAIMDESK_WEBHOOK_TIMEOUT", cls.webhook_timeout),
            webhook_max_attempts=max(1, _int(env, "CLAIMDESK_WEBHOOK_MAX_ATTEMPTS",
                                              cls.webhook_max_attempts)),
            webhook_disable_after=max(1, _int(env, "CLAIMDESK_WEBHOOK_DISABLE_AFTER",
                                               cls.webhook_disable_after)),
        )

    def prepare_instance(self) -> None:
        """Create the folders the embedded default writes to."""
        self.instance_path.mkdir(parents=True, exist_ok=True)
        for key in ("data_folder_in", "control_folder"):
            if key in self.broker_transport_options:
                Path(self.broker_transport_options[key]).mkdir(parents=True, exist_ok=True)

    def session_secret(self) -> str:
        """CLAIMDESK_SECRET_KEY, or one made once and kept in the instance folder (embedded default).

        The web processes start at once and each asks for it, so the file appears whole or not at all:
        the key is written to a file of this process's own, then hard-linked into place, which fails if
        another process got there first (and then its key is the one read). A file created empty and
        written afterwards could be read in between: that process signed sessions with no key and
        answered 500 to every form."""
        if self.secret_key:
            return self.secret_key
        path = self.instance_path / "secret_key"
        if not path.exists():
            self.instance_path.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_urlsafe(48))
                try:
                    os.link(draft, path)
                except FileExistsError:
                    pass  # another process's key is in place: use it
            finally:
                draft.unlink()
        key = path.read_text().strip()
        if len(key) < 16:
            raise ValueError(f"{path} holds no usable session key (under 16 characters): delete it to have "
                             "a new one made, or set CLAIMDESK_SECRET_KEY")
        return key
