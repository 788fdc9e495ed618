"""`claimdesk webhooks` as the real script: add, list, remove and the delivery log."""
from __future__ import annotations

from pathlib import Path

from service.services import webhooks
from service.storage.db import Database
from tests.cli.conftest import run
from tests.fakes import RecordingQueue
from tests.receiver import Receiver

LOCAL = {"CLAIMDESK_WEBHOOK_ALLOW": "127.0.0.1/32"}
SECRET = "a-long-enough-test-secret"


def database_of(folder: Path) -> Database:
    return Database(f"sqlite:///{folder / 'instance' / 'claimdesk.db'}")


def test_add_prints_a_generated_secret_alone_and_list_never_shows_it(migrated):
    added = run(migrated, "webhooks", "add", "http://127.0.0.1:9/hook", "--event", "annotation.created",
                "--event", "article.flagged", env=LOCAL)
    assert added.returncode == 0, added.stderr
    secret = added.stdout.strip()
    assert len(secret) >= 32 and "\n" not in secret
    assert "webhook 1 for http://127.0.0.1:9/hook: article.flagged, annotation.created" in added.stderr
    assert "will not be shown again" in added.stderr

    listed = run(migrated, "webhooks", "list")
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split() == ["id", "url", "events", "state", "failures", "created"]
    assert row.split()[:5] == ["1", "http://127.0.0.1:9/hook", "article.flagged,annotation.created", "active",
                               "0"]
    assert secret not in listed.stdout + listed.stderr


def test_add_reads_a_secret_from_stdin(migrated):
    added = run(migrated, "webhooks", "add", "http://127.0.0.1:9/hook", "--event", "batch.finished",
                "--secret-stdin", stdin=SECRET + "\n", env=LOCAL)
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "webhook 1 for http://127.0.0.1:9/hook: batch.finished"
    assert SECRET not in added.stdout + added.stderr
    with database_of(migrated).sessionmaker() as session:
        assert webhooks.get_webhook(session, 1).secret == SECRET

    short = run(migrated, "webhooks", "add", "http://127.0.0.1:9/hook", "--event", "batch.finished",
                "--secret-stdin", stdin="short\n", env=LOCAL)
    assert short.returncode == 1 and "at least 16 characters" in short.stderr


def test_private_addresses_are_refused_without_the_allow_list(migrated):
    for url in ("http://127.0.0.1:9/hook", "http://10.0.0.1/hook", "http://localhost/hook"):
        refused = run(migrated, "webhooks", "add", url, "--event", "annotation.created")
        assert refused.returncode == 1, refused.stdout
        assert "Error: Deliveries cannot go to this URL" in refused.stderr
    unknown = run(migrated, "webhooks", "add", "https://93.184.215.14/", "--event", "article.deleted")
    assert unknown.returncode == 2 and "article.deleted" in unknown.stderr
    assert run(migrated, "webhooks", "list").stderr.strip() == "no webhooks"


def test_deliveries_shows_the_log_and_remove_removes(migrated):
    with Receiver(script=[500]) as receiver:
        added = run(migrated, "webhooks", "add", receiver.url, "--event", "annotation.created", env=LOCAL)
        assert added.returncode == 0, added.stderr
        assert run(migrated, "webhooks", "deliveries", "1").stderr.strip() == "no deliveries yet"
        database = database_of(migrated)
        policy = webhooks.DeliveryPolicy(webhooks.AddressPolicy(["127.0.0.1/32"]))
        with database.sessionmaker() as session:
            delivery = webhooks.ping(session, 1, "ops")
            webhooks.deliver(session, RecordingQueue(), delivery.id, policy)
        database.dispose()

    log = run(migrated, "webhooks", "deliveries", "1")
    assert log.returncode == 0, log.stderr
    header, row = log.stdout.splitlines()
    assert header.split() == ["id", "event", "status", "attempts", "code", "latency", "created", "error"]
    assert row.split()[:5] == ["1", "ping", "pending", "1", "500"]
    assert row.rstrip().endswith("HTTP 500: boom")

    removed = run(migrated, "webhooks", "remove", "1")
    assert removed.returncode == 0 and removed.stdout.strip() == f"webhook 1 ({receiver.url}) removed"
    again = run(migrated, "webhooks", "remove", "1")
    assert again.returncode == 1 and "There is no webhook 1." in again.stderr
