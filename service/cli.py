"""The `claimdesk` command: run the service and worker, migrate, add, import and flag articles, accounts."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from service.domain.access import Role, Scope

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from service.bootstrap import Runtime


@click.group()
def main() -> None:
    """Claimdesk: a fact-check annotation service with a task queue."""


def _settings():
    from service.config import Settings

    settings = Settings.from_env()
    settings.prepare_instance()
    return settings


@main.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic)."""
    from service.storage.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    click.echo(f"database is up to date ({_redacted(settings.database_url)})")


@contextmanager
def _wired(table: str, missing: str) -> Iterator[Runtime]:
    """The command's wiring (service/bootstrap.py), closed when it ends; `missing` if `table` is not there
    (the schema is older than the command)."""
    from sqlalchemy import inspect

    from service.bootstrap import build

    runtime = build(_settings())
    try:
        if not inspect(runtime.database.engine).has_table(table):
            raise click.ClickException(missing)
        yield runtime
    finally:
        runtime.close()


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


CELERY = [sys.executable, "-m", "celery", "-A", "workers.celery_app"]


def worker_command(concurrency: int | None, loglevel: str) -> list[str]:
    command = [*CELERY, "worker", "--loglevel", loglevel, "-Q", "claimdesk"]
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    return command


def beat_command(loglevel: str) -> list[str]:
    return [*CELERY, "beat", "--loglevel", loglevel]


@main.command()
@click.option("--concurrency", "-c", type=click.IntRange(1, 64), default=None,
              help="Worker processes (default: one per core).")
@click.option("--loglevel", default="INFO", show_default=True)
def worker(concurrency: int | None, loglevel: str) -> None:
    """Run a Celery worker that flags articles."""
    _settings()
    os.execv(sys.executable, worker_command(concurrency, loglevel))


@main.command()
@click.option("--loglevel", default="INFO", show_default=True)
def beat(loglevel: str) -> None:
    """Run the scheduler that re-sends articles stuck in `queued` or `flagging` (run exactly one)."""
    _settings()
    os.execv(sys.executable, beat_command(loglevel))


# A crashed worker or beat is started again after a wait that doubles from RESTART_FIRST up to RESTART_MAX
# seconds while it keeps crashing, and starts over once a process has run RESTART_RESET_AFTER seconds.
RESTART_FIRST, RESTART_MAX, RESTART_RESET_AFTER = 1.0, 60.0, 120.0
# The web server is not restarted: its master already restarts its own workers, and if the master itself
# dies the port or the configuration is the problem, which a restart loop would only hide.
RESTARTED = frozenset({"worker", "beat"})


def _exit_text(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _kill_group(pid: int) -> None:
    """What is left of a child's process group (a dead celery worker's pool processes)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class _Supervised:
    """One child of `serve`: started in a process group of its own, so all of it can be stopped at once."""

    def __init__(self, name: str, command: list[str]) -> None:
        self.name, self.command = name, command
        self.delay = RESTART_FIRST
        self.restart_at: float | None = None
        self.process = self.start()

    def start(self) -> subprocess.Popen:
        # The web server stays in serve's own group, so Ctrl-C in the terminal reaches it directly.
        group = {} if self.name == "web" else {"process_group": 0}
        self.process = subprocess.Popen(self.command, **group)
        self.started = time.monotonic()
        self.restart_at = None
        return self.process

    def check(self, log) -> bool:
        """Restart the child when it is due; False when it died and is not one to restart."""
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.start()
                log(f"{self.name} restarted (pid {self.process.pid})")
            return True
        code = self.process.poll()
        if code is None:
            return True
        if self.name not in RESTARTED:
            log(f"{self.name} (pid {self.process.pid}) stopped with {_exit_text(code)}; stopping everything")
            return False
        _kill_group(self.process.pid)
        ran = now - self.started
        if ran >= RESTART_RESET_AFTER:
            self.delay = RESTART_FIRST
        self.restart_at = now + self.delay
        log(f"{self.name} (pid {self.process.pid}) died with {_exit_text(code)} after {ran:.0f} s; "
            f"restarting it in {self.delay:.0f} s")
        self.delay = min(self.delay * 2, RESTART_MAX)
        return True

    def stop(self) -> None:
        if self.restart_at is None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown for gunicorn and celery alike

    def wait(self, deadline: float) -> None:
        if self.restart_at is not None:
            return
        try:
            self.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.name in RESTARTED:
            _kill_group(self.process.pid)


def _serve_log(message: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    click.echo(f"[{stamp}] claimdesk serve: {message}", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--web-workers", default=2, show_default=True, type=click.IntRange(1, 32))
@click.option("--concurrency", "-c", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Celery worker processes.")
def serve(host: str, port: int, web_workers: int, concurrency: int) -> None:
    """Migrate, then run the API (gunicorn), a Celery worker and the sweeper's scheduler; Ctrl-C stops all.

    A worker or scheduler that crashes is started again (after 1 s, doubling up to 60 s while it keeps
    crashing); the API stays up meanwhile."""
    from service.storage.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    _ensure_first_admin()
    web = [sys.executable, "-m", "gunicorn", "--config", "python:service.gunicorn_conf",
           "--bind", f"{host}:{port}", "--workers", str(web_workers), "service.wsgi:app"]
    commands = {"web": web, "worker": worker_command(concurrency, "INFO"), "beat": beat_command("INFO")}
    children = [_Supervised(name, command) for name, command in commands.items()]
    click.echo(f"Claimdesk on http://{host}:{port}/ (API docs at /api/docs), database "
               f"{_redacted(settings.database_url)}, broker {settings.broker_url.split('@')[-1]}")

    stopping = False

    def stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    failed = False
    try:
        while not stopping and not failed:
            failed = not all([child.check(_serve_log) for child in children])
            time.sleep(0.2)
    finally:
        for child in children:
            child.stop()
        deadline = time.monotonic() + 30
        for child in children:
            child.wait(deadline)
    if failed and not stopping:
        raise click.ClickException("the web server stopped unexpectedly")
    click.echo("stopped")


@main.command("add-article")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", help="The headline, when the file does not start with it.")
@click.option("--url", help="Where the article was published.")
@click.option("--outlet", help="The publication.")
@click.option("--html/--text", "is_html", default=None,
              help="Treat the file as HTML or as pasted text (default: by its extension).")
def add_article(path: Path, title: str | None, url: str | None, outlet: str | None,
                is_html: bool | None) -> None:
    """Store the article in PATH and queue it for flagging; prints the article as JSON."""
    from marshmallow import ValidationError

    from service.schemas.articles import ArticleCreateSchema
    from service.services.articles import Submission, submit_article
    from service.services.errors import ServiceError
    from service.unit_of_work import Unit

    content = path.read_text(encoding="utf-8", errors="replace")
    if is_html is None:
        is_html = path.suffix.lower() in (".html", ".htm")
    payload = {"html" if is_html else "body": content, "title": title, "url": url, "outlet": outlet}
    try:
        data = ArticleCreateSchema().load({k: v for k, v in payload.items() if v is not None})
    except ValidationError as exc:
        raise click.ClickException(json.dumps(exc.messages)) from None
    with _wired("articles", "The database has no schema yet: run `claimdesk migrate` first.") as runtime, \
            Unit(runtime.database) as session:
        try:
            article, created = submit_article(session, runtime.queue, Submission(**data),
                                              runtime.settings.max_article_chars)
        except ServiceError as exc:
            raise click.ClickException(exc.detail) from None
        click.echo(json.dumps({"id": article.id, "status": article.status, "created": created,
                               "title": article.title, "claims": len(article.claims)}))


class _ReadWithProgress:
    """A file urllib sends block by block, moving the progress bar as it goes."""

    def __init__(self, file, advance) -> None:
        self.file, self.advance = file, advance

    def read(self, size: int = -1) -> bytes:
        block = self.file.read(size)
        self.advance(len(block))
        return block


def _import_locally(path: Path, bar) -> dict:
    from service.api.presenters import batch_view
    from service.services import batches
    from service.unit_of_work import Unit

    outdated = "The database schema is not up to date: run `claimdesk migrate` first."
    with _wired("batches", outdated) as runtime, Unit(runtime.database) as session, path.open("rb") as stream:
        settings = runtime.settings
        limits = batches.ImportLimits(max_lines=settings.max_batch_lines, max_bytes=settings.max_batch_bytes,
                                      max_line_bytes=settings.max_request_bytes,
                                      max_article_chars=settings.max_article_chars)
        batch = batches.start_import(session)
        try:
            batches.import_articles(session, runtime.queue, batch, stream, limits, on_progress=bar.update)
        except batches.BatchTooLarge as exc:
            raise click.ClickException(exc.detail) from None
        return batch_view(batches.get_batch(session, batch.id))


def _import_to_server(path: Path, server: str, token: str | None, bar) -> dict:
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/x-ndjson", "Content-Length": str(path.stat().st_size),
               "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = server.rstrip("/") + "/api/v1/batches"
    with path.open("rb") as file:
        request = urllib.request.Request(url, data=_ReadWithProgress(file, bar.update), headers=headers,
                                         method="POST")
        try:
            # The server reads and stores the file as it arrives and answers once it is through.
            with urllib.request.urlopen(request, timeout=600) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            try:
                problem = json.load(exc)
                message = f"{problem['title']}: {problem.get('detail', '')}"
            except (ValueError, KeyError, TypeError):
                message = exc.reason
            raise click.ClickException(f"{url} answered {exc.code}: {message}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise click.ClickException(f"could not send the file to {url}: {reason}") from None


def _import_summary(batch: dict) -> str:
    lines = [f"batch {batch['id']} ({batch['status']}): {batch['total']:,} lines read; "
             f"new articles queued for flagging: {batch['articles']:,}; already imported, skipped: "
             f"{batch['duplicates']:,}; lines with errors: {batch['error_count']:,}"]
    lines += [f"  line {e['line']}: {e['problem']}" for e in batch["errors"]]
    if batch["error_count"] > len(batch["errors"]):
        lines.append(f"  ... and {batch['error_count'] - len(batch['errors']):,} more")
    return "\n".join(lines)


@main.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--server", metavar="URL", help="Send the file to the Claimdesk at URL instead of importing it "
              "into this machine's database.")
@click.option("--token", envvar="CLAIMDESK_TOKEN", help="API token for --server, sent as a Bearer token.")
def import_batch(path: Path, server: str | None, token: str | None) -> None:
    """Import the JSONL articles in PATH (one POST /articles object per line) as one batch.

    Articles already stored (same external_id or body) are skipped, so running it again resumes an
    import that stopped. Prints a summary with the line number of every line that failed.
    """
    with click.progressbar(length=path.stat().st_size, label=f"importing {path.name}", file=sys.stderr,
                           show_pos=False) as bar:
        batch = _import_to_server(path, server, token, bar) if server else _import_locally(path, bar)
    click.echo(_import_summary(batch))


@main.command()
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-",
              help="Where to write the JSONL results (default: standard output).")
def flag(source, output) -> None:
    """Flag JSONL lines {"id", "text"} from SOURCE (default stdin); write {"id", "flags"} lines.

    Offsets index the text exactly as given: nothing is cleaned, so they match the input. A text over
    CLAIMDESK_MAX_FLAG_CHARS gets {"id", "error"} instead, and the lines after it are flagged as usual.
    """
    from service.config import Settings
    from service.services.errors import ServiceError
    from service.services.on_demand import flag_text

    max_chars = Settings.from_env().max_flag_chars

    for number, line in enumerate(source, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text, doc_id = row["text"], row["id"]
            if not isinstance(text, str):
                raise TypeError("text must be a string")
        except (ValueError, KeyError, TypeError) as exc:
            raise click.ClickException(
                f'line {number}: expected a JSON object with "id" and "text" ({exc})') from None
        try:
            flags = flag_text(text, max_chars)
        except ServiceError as exc:
            output.write(json.dumps({"id": doc_id, "error": exc.detail}, ensure_ascii=False) + "\n")
            continue
        output.write(json.dumps({"id": doc_id, "flags": flags}, ensure_ascii=False) + "\n")


ADMIN_PASSWORD_ENV = "CLAIMDESK_ADMIN_PASSWORD"


@contextmanager
def _accounts() -> Iterator[Session]:
    """A session on the configured database; a service's refusal becomes a clean `Error: ...`."""
    from service.services.errors import ServiceError
    from service.unit_of_work import Unit

    with _wired("users", "The database has no accounts yet: run `claimdesk migrate` first.") as runtime, \
            Unit(runtime.database) as session:
        try:
            yield session
        except ServiceError as exc:
            raise click.ClickException(exc.detail) from None


def _read_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or typed twice without echo. Never an argument,
    which would end up in the shell's history and in every `ps` listing."""
    if from_stdin:
        password = click.get_text_stream("stdin").readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("--password-stdin: standard input holds no password.")
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


_PASSWORD_STDIN = click.option("--password-stdin", is_flag=True,
                               help="Read the password from the first line of standard input "
                                    "instead of prompting for it.")
_ROLES = click.Choice([role.value for role in Role])
_SCOPES = click.Choice([scope.value for scope in Scope])


def _when(moment: datetime | None, never: str = "never") -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else never


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in [headers, *rows])


@main.group()
def users() -> None:
    """Create and manage accounts: reviewers, editors and admins."""


@users.command("create")
@click.argument("username")
@click.option("--role", type=_ROLES, required=True, help="What the user may do.")
@_PASSWORD_STDIN
def users_create(username: str, role: str, password_stdin: bool) -> None:
    """Create the account USERNAME; the password is prompted for (or read from stdin)."""
    from service.services import accounts

    with _accounts() as session:
        # Before asking for a password, so nobody types one twice for a name that cannot be used.
        accounts.check_new_username(session, username)
        user = accounts.create_user(session, username, _read_password(password_stdin), Role(role))
        click.echo(f"created user {user.username} (id {user.id}, {user.role})")


@users.command("list")
def users_list() -> None:
    """List the accounts: id, username, role, whether disabled, last login."""
    from service.services import accounts

    with _accounts() as session:
        rows = [[str(u.id), u.username, u.role, "yes" if u.disabled else "no", _when(u.last_login_at)]
                for u in accounts.list_users(session)]
    if not rows:
        click.echo("no users yet: create one with `claimdesk users create USERNAME --role admin`", err=True)
        return
    click.echo(_table(["id", "username", "role", "disabled", "last login"], rows))


def _set_disabled(username: str, disabled: bool) -> None:
    from service.services import accounts

    with _accounts() as session:
        user = accounts.set_disabled(session, accounts.find_user(session, username), disabled)
        state = "disabled: it can no longer log in and its tokens stop working" if disabled else "enabled"
        click.echo(f"user {user.username} {state}")


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Stop USERNAME from logging in or using its tokens (nothing is deleted)."""
    _set_disabled(username, True)


@users.command("enable")
@click.argument("username")
def users_enable(username: str) -> None:
    """Let a disabled USERNAME log in and use its tokens again."""
    _set_disabled(username, False)


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=_ROLES)
def users_set_role(username: str, role: str) -> None:
    """Give USERNAME the role ROLE (its tokens keep only the scopes the new role allows)."""
    from service.services import accounts

    with _accounts() as session:
        user = accounts.set_role(session, accounts.find_user(session, username), Role(role))
        click.echo(f"user {user.username} is now {user.role}")


@users.command("set-password")
@click.argument("username")
@_PASSWORD_STDIN
def users_set_password(username: str, password_stdin: bool) -> None:
    """Change USERNAME's password; prompted for (or read from stdin)."""
    from service.services import accounts

    with _accounts() as session:
        user = accounts.find_user(session, username)
        accounts.set_password(session, user, _read_password(password_stdin))
        click.echo(f"password of {user.username} changed")


@main.group()
def tokens() -> None:
    """API tokens for integrations, sent as `Authorization: Bearer SECRET`."""


@tokens.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. the integration's name.")
@click.option("--scope", "scopes", type=_SCOPES, multiple=True, required=True,
              help="A scope to grant; repeat for several (admin: admins only).")
@click.option("--expires-in-days", type=click.IntRange(1, 3650), default=None,
              help="Stop accepting the token after this many days (default: never).")
def tokens_create(username: str, name: str, scopes: tuple[str, ...], expires_in_days: int | None) -> None:
    """Create a token for USERNAME and print its secret, this once, on standard output."""
    from service.services import accounts

    expires_at = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
    with _accounts() as session:
        user = accounts.find_user(session, username)
        token, secret = accounts.create_token(session, user, name, list(scopes), expires_at)
        # The note on stderr, the secret alone on stdout: `TOKEN=$(claimdesk tokens create ...)` works.
        click.echo(f"token {token.id} ({token.name!r}) for {user.username}, scopes "
                   f"{', '.join(token.scopes)}, expires {_when(token.expires_at)}.\n"
                   "Its secret follows; it is stored only as a hash and will not be shown again.", err=True)
        click.echo(secret)


@tokens.command("list")
@click.argument("username", required=False)
def tokens_list(username: str | None) -> None:
    """List the tokens (of USERNAME, or everyone's); never their secrets."""
    from service.services import accounts

    now = datetime.now(UTC)
    with _accounts() as session:
        owner = accounts.find_user(session, username) if username else None
        rows = []
        for token in accounts.list_tokens(session, owner.id if owner else None):
            if token.revoked_at:
                state = "revoked"
            elif token.expires_at and token.expires_at <= now:
                state = "expired"
            else:
                state = "owner disabled" if token.user.disabled else "active"
            rows.append([str(token.id), token.user.username, token.name,
                         f"{accounts.TOKEN_PREFIX}{token.prefix}...", ",".join(token.scopes), state,
                         _when(token.expires_at), _when(token.last_used_at)])
    if not rows:
        click.echo("no tokens", err=True)
        return
    click.echo(_table(["id", "user", "name", "starts with", "scopes", "state", "expires", "last used"], rows))


@tokens.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
def tokens_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID for good: requests carrying it are refused from now on."""
    from service.services import accounts

    with _accounts() as session:
        token = accounts.get_token(session, token_id, None)
        already = token.revoked_at is not None
        accounts.revoke_token(session, token)
        click.echo(f"token {token.id} ({token.name!r} of {token.user.username}) "
                   f"{'was already revoked' if already else 'revoked'}")


@main.group("webhooks")
def webhooks_group() -> None:
    """Webhooks: signed POSTs to a URL when articles are flagged, annotations change or batches finish."""


def _webhook_events():
    from service.domain.events import EVENTS

    return click.Choice(EVENTS)


@webhooks_group.command("add")
@click.argument("url")
@click.option("--event", "events", type=_webhook_events(), multiple=True, required=True,
              help="An event to send; repeat for several.")
@click.option("--secret-stdin", is_flag=True,
              help="Read the signing secret (at least 16 characters) from the first line of standard input "
                   "instead of generating one.")
def webhooks_add(url: str, events: tuple[str, ...], secret_stdin: bool) -> None:
    """Register URL for the given events; a generated secret is printed, this once, on standard output."""
    from service.services import webhooks

    secret = None
    if secret_stdin:
        secret = click.get_text_stream("stdin").readline().rstrip("\r\n")
        if not secret:
            raise click.ClickException("--secret-stdin: standard input holds no secret.")
    policy = webhooks.AddressPolicy(_settings().webhook_allow)
    with _accounts() as session:
        webhook, generated = webhooks.create_webhook(session, policy, url, list(events), secret)
        note = f"webhook {webhook.id} for {webhook.url}: {', '.join(webhook.events)}"
        if generated is None:
            click.echo(note)
            return
        # The note on stderr, the secret alone on stdout: `SECRET=$(claimdesk webhooks add ...)` works.
        click.echo(f"{note}.\nIts signing secret follows; it will not be shown again.", err=True)
        click.echo(generated)


@webhooks_group.command("list")
def webhooks_list() -> None:
    """List the webhooks: id, URL, events, state, failed deliveries in a row; never their secrets."""
    from service.services import webhooks

    with _accounts() as session:
        rows = [[str(w.id), w.url, ",".join(w.events),
                 "active" if w.active else f"disabled ({w.disabled_reason})", str(w.consecutive_failures),
                 _when(w.created_at)] for w in webhooks.list_webhooks(session)]
    if not rows:
        click.echo("no webhooks", err=True)
        return
    click.echo(_table(["id", "url", "events", "state", "failures", "created"], rows))


@webhooks_group.command("remove")
@click.argument("webhook_id", type=click.IntRange(1, 2**31 - 1))
def webhooks_remove(webhook_id: int) -> None:
    """Remove webhook WEBHOOK_ID and its delivery log."""
    from service.services import webhooks

    with _accounts() as session:
        url = webhooks.get_webhook(session, webhook_id).url
        webhooks.delete_webhook(session, webhook_id)
        click.echo(f"webhook {webhook_id} ({url}) removed")


@webhooks_group.command("deliveries")
@click.argument("webhook_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--limit", type=click.IntRange(1, 200), default=20, show_default=True)
def webhooks_deliveries(webhook_id: int, limit: int) -> None:
    """The newest deliveries of WEBHOOK_ID: event, status, attempts, last status code, latency, error."""
    from service.services import webhooks

    with _accounts() as session:
        rows = [[str(d.id), d.event, d.status, str(d.attempts), str(d.last_status_code or "-"),
                 f"{d.last_latency_ms} ms" if d.last_latency_ms is not None else "-", _when(d.created_at),
                 (d.last_error or "")[:80]]
                for d in webhooks.list_deliveries(session, webhook_id, limit, None).items]
    if not rows:
        click.echo("no deliveries yet", err=True)
        return
    click.echo(_table(["id", "event", "status", "attempts", "code", "latency", "created", "error"], rows))


def _ensure_first_admin() -> None:
    """First `serve` on a database without users: create `admin`, with no default password ever."""
    from service.bootstrap import build
    from service.services import accounts
    from service.services.errors import ServiceError
    from service.unit_of_work import Unit

    # Taken out of the environment: gunicorn and celery have no use for it, and a long-running
    # process's environment can be read back from /proc.
    given = os.environ.pop(ADMIN_PASSWORD_ENV, "")
    password = given or accounts.generate_password()
    runtime = build(_settings())
    try:
        with Unit(runtime.database) as session:
            try:
                user, created = accounts.ensure_first_admin(session, password)
            except ServiceError as exc:
                raise click.ClickException(f"{ADMIN_PASSWORD_ENV}: {exc.detail}") from None
    finally:
        runtime.close()
    if not created:
        if given:
            click.echo(f"note: {ADMIN_PASSWORD_ENV} is ignored, there are users already "
                       "(change a password with `claimdesk users set-password USERNAME`)", err=True)
        return
    if given:
        click.echo(f"first run: created the user {user.username} (admin) with the password from "
                   f"{ADMIN_PASSWORD_ENV}")
        return
    lines = [f"first run: log in as {user.username} with password {password}",
             f"change it with `claimdesk users set-password {user.username}`",
             "this password is shown only this once"]
    width = max(len(line) for line in lines)
    border = "+" + "-" * (width + 2) + "+"
    click.echo("\n".join([border, *(f"| {line.ljust(width)} |" for line in lines), border]))


if __name__ == "__main__":
    sys.exit(main())
