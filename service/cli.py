"""The `claimdesk` command: run the service and the worker, migrate, add and import articles, flag text."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click


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


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--web-workers", default=2, show_default=True, type=click.IntRange(1, 32))
@click.option("--concurrency", "-c", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Celery worker processes.")
def serve(host: str, port: int, web_workers: int, concurrency: int) -> None:
    """Migrate, then run the API (gunicorn), a Celery worker and the sweeper's scheduler; Ctrl-C stops all."""
    from service.storage.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    web = [sys.executable, "-m", "gunicorn", "--config", "python:service.gunicorn_conf",
           "--bind", f"{host}:{port}", "--workers", str(web_workers), "service.wsgi:app"]
    commands = {"web": web, "worker": worker_command(concurrency, "INFO"), "beat": beat_command("INFO")}
    children = {name: subprocess.Popen(command) for name, command in commands.items()}
    click.echo(f"Claimdesk on http://{host}:{port}/ (API docs at /api/docs), database "
               f"{_redacted(settings.database_url)}, broker {settings.broker_url.split('@')[-1]}")

    stopping = False

    def stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(child.poll() is None for child in children.values()):
            time.sleep(0.2)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)  # warm shutdown for gunicorn and celery alike
        deadline = time.monotonic() + 30
        for child in children.values():
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
    failed = [name for name, child in children.items() if child.returncode not in (0, -signal.SIGTERM)]
    if failed and not stopping:
        raise click.ClickException("a process stopped unexpectedly: " + ", ".join(failed))
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
    from sqlalchemy import inspect

    from service.runtime import Runtime
    from service.schemas.articles import ArticleCreateSchema
    from service.services.articles import Submission, submit_article
    from service.services.errors import ServiceError
    from service.services.queue import CeleryQueue
    from service.storage.db import Database
    from workers.celery_app import make_celery

    settings = _settings()
    content = path.read_text(encoding="utf-8", errors="replace")
    if is_html is None:
        is_html = path.suffix.lower() in (".html", ".htm")
    payload = {"html" if is_html else "body": content, "title": title, "url": url, "outlet": outlet}
    try:
        data = ArticleCreateSchema().load({k: v for k, v in payload.items() if v is not None})
    except ValidationError as exc:
        raise click.ClickException(json.dumps(exc.messages)) from None
    runtime = Runtime(settings, Database(settings.database_url), CeleryQueue(make_celery(settings)))
    if not inspect(runtime.database.engine).has_table("articles"):
        raise click.ClickException("The database has no schema yet: run `claimdesk migrate` first.")
    with runtime.database.sessionmaker() as session:
        try:
            article, created = submit_article(session, runtime.queue, Submission(**data),
                                              settings.max_article_chars)
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
    from sqlalchemy import inspect

    from service.api.presenters import batch_view
    from service.services import batches
    from service.services.queue import CeleryQueue
    from service.storage.db import Database
    from workers.celery_app import make_celery

    settings = _settings()
    database = Database(settings.database_url)
    if not inspect(database.engine).has_table("batches"):
        raise click.ClickException("The database schema is not up to date: run `claimdesk migrate` first.")
    limits = batches.ImportLimits(max_lines=settings.max_batch_lines, max_bytes=settings.max_batch_bytes,
                                  max_line_bytes=settings.max_request_bytes,
                                  max_article_chars=settings.max_article_chars)
    with database.sessionmaker() as session, path.open("rb") as stream:
        batch = batches.start_import(session)
        try:
            batches.import_articles(session, CeleryQueue(make_celery(settings)), batch, stream, limits,
                                    on_progress=bar.update)
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

    Offsets index the text exactly as given: nothing is cleaned, so they match the input.
    """
    from workers.detection import detect

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
        flags = [f.to_dict() for f in detect(text)]
        output.write(json.dumps({"id": doc_id, "flags": flags}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    sys.exit(main())
