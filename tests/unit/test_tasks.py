"""workers/tasks.py: one flagging task; the single-article name delegates to it."""
from __future__ import annotations

from service.services.queue import FLAG_ARTICLE, FLAG_ARTICLES
from workers import tasks


def test_one_article_runs_the_many_articles_task_with_a_list_of_one(monkeypatch):
    calls = []
    monkeypatch.setattr(tasks, "_flag", lambda task, ids: calls.append((task.name, ids)) or len(ids))
    assert tasks.app.tasks[FLAG_ARTICLE].run(7) == 1
    assert tasks.app.tasks[FLAG_ARTICLES].run([7, 8]) == 2
    assert calls == [(FLAG_ARTICLE, [7]), (FLAG_ARTICLES, [7, 8])]


def test_each_worker_process_wires_itself_when_it_starts_not_at_import(monkeypatch, tmp_path):
    from celery.signals import worker_process_init

    from workers import celery_app

    monkeypatch.setenv("CLAIMDESK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setattr(celery_app.app, "claimdesk", None)
    worker_process_init.send(sender=None)
    first = celery_app.runtime()
    # Tasks are sent through the worker's own app, and the process's settings are read once, here.
    assert first.queue.celery is celery_app.app and first.settings.instance_path == tmp_path.resolve()
    worker_process_init.send(sender=None)  # another pool process: connections of its own
    assert celery_app.runtime() is not first and celery_app.runtime().database is not first.database
    first.close()
    celery_app.runtime().close()
