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
