"""An article whose message never reached the broker is re-sent by the sweeper and gets flagged."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.integration.conftest import CLAIMDESK, base_env, start_service, stop_service
from tests.integration.processes import free_port

pytestmark = pytest.mark.integration


def test_article_stored_while_the_broker_is_down_is_flagged_by_the_sweeper(tmp_path):
    env = base_env(tmp_path / "instance") | {"CLAIMDESK_SWEEP_INTERVAL": "1", "CLAIMDESK_STUCK_AFTER": "2"}
    article_file = tmp_path / "article.txt"
    article_file.write_text("Officials said about 300 homes were flooded.\n\n"
                            "\"We were not warned,\" one resident told reporters.\n", encoding="utf-8")
    # Same database, but a broker nobody listens on: the publish fails, the article is kept.
    dead_broker = env | {"CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0"}
    subprocess.run([CLAIMDESK, "migrate"], env=env, cwd=tmp_path, check=True, capture_output=True)
    added = subprocess.run([CLAIMDESK, "add-article", str(article_file)], env=dead_broker, cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    article = json.loads(added.stdout)
    assert article["status"] == "queued" and article["created"] is True

    service = start_service(env, tmp_path)
    try:
        flagged = service.wait_for_status(article["id"], timeout=60)
        assert flagged["status"] == "flagged"
        assert any(claim["flags"] for claim in flagged["claims"])
    finally:
        assert stop_service(service) == 0
    assert "re-sent 1 stuck article" in service.log.read_text()
