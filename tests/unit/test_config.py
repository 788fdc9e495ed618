"""Settings.from_env: the embedded defaults, overrides and errors a deployment sees."""
from __future__ import annotations

from pathlib import Path

import pytest

from service.config import Settings
from service.domain import DEFAULT_VERDICTS


def test_embedded_defaults_live_in_the_instance_folder(tmp_path):
    settings = Settings.from_env({"CLAIMDESK_INSTANCE_PATH": str(tmp_path)})
    assert settings.instance_path == tmp_path.resolve()
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'claimdesk.db'}"
    assert settings.broker_url == "filesystem://localhost/" and settings.embedded_broker
    messages = str(tmp_path.resolve() / "broker" / "messages")
    assert settings.broker_transport_options["data_folder_in"] == messages
    assert settings.broker_transport_options["data_folder_out"] == messages
    assert settings.verdicts == DEFAULT_VERDICTS
    assert (settings.max_request_bytes, settings.max_article_chars) == (5 * 1024 * 1024, 500_000)
    assert settings.log_level == "INFO"


def test_prepare_instance_creates_the_broker_folders(tmp_path):
    settings = Settings.from_env({"CLAIMDESK_INSTANCE_PATH": str(tmp_path / "new")})
    settings.prepare_instance()
    broker = tmp_path / "new" / "broker"
    assert (broker / "messages").is_dir() and (broker / "control").is_dir()


def test_services_from_the_environment(tmp_path):
    settings = Settings.from_env({
        "CLAIMDESK_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": "postgresql+psycopg://claimdesk:secret@db/claimdesk",
        "CELERY_BROKER_URL": "redis://redis:6379/0",
        "CLAIMDESK_VERDICTS": " true, ,false ,",
        "CLAIMDESK_MAX_REQUEST_BYTES": "1024",
        "CLAIMDESK_MAX_ARTICLE_CHARS": "",
        "CLAIMDESK_TASK_SOFT_TIME_LIMIT": "5",
        "CLAIMDESK_TASK_TIME_LIMIT": "7",
        "CLAIMDESK_LOG_LEVEL": "debug",
    })
    assert settings.database_url == "postgresql+psycopg://claimdesk:secret@db/claimdesk"
    assert settings.broker_url == "redis://redis:6379/0" and not settings.embedded_broker
    assert settings.broker_transport_options == {}
    assert settings.verdicts == ("true", "false")
    assert settings.max_request_bytes == 1024 and settings.max_article_chars == 500_000
    assert (settings.task_soft_time_limit, settings.task_time_limit) == (5, 7)
    assert settings.log_level == "DEBUG"


def test_a_setting_that_is_not_a_number_is_named():
    with pytest.raises(ValueError, match="CLAIMDESK_MAX_ARTICLE_CHARS must be an integer, got 'lots'"):
        Settings.from_env({"CLAIMDESK_MAX_ARTICLE_CHARS": "lots"})


def test_without_an_instance_path_the_default_is_under_the_working_directory():
    assert Settings.from_env({}).instance_path == (Path.cwd() / "instance").resolve()


def test_the_organisation_and_public_address_exports_name():
    defaults = Settings.from_env({})
    assert (defaults.org_name, defaults.org_url, defaults.public_url) == ("Claimdesk", None, None)
    settings = Settings.from_env({"CLAIMDESK_ORG_NAME": " Westbridge Checks ",
                                  "CLAIMDESK_ORG_URL": "https://checks.example",
                                  "CLAIMDESK_PUBLIC_URL": "https://desk.example/claimdesk/"})
    assert settings.org_name == "Westbridge Checks" and settings.org_url == "https://checks.example"
    assert settings.public_url == "https://desk.example/claimdesk"
    with pytest.raises(ValueError, match=r"CLAIMDESK_PUBLIC_URL must be an http\(s\) URL"):
        Settings.from_env({"CLAIMDESK_PUBLIC_URL": "desk.example"})


def test_the_hosts_exported_links_may_take_from_a_request():
    assert Settings.from_env({}).allowed_hosts == ("localhost", "127.0.0.1", "::1")
    settings = Settings.from_env({"CLAIMDESK_ALLOWED_HOSTS": " Desk.Example, .newsroom.example,[2001:DB8:0::1],"
                                                             "10.0.0.5"})
    assert settings.allowed_hosts == ("desk.example", ".newsroom.example", "2001:db8::1", "10.0.0.5")
    for entry in ("desk.example:8000", "https://desk.example", "*.example", "10.0.0.0/8"):
        with pytest.raises(ValueError, match="CLAIMDESK_ALLOWED_HOSTS: .* is neither a host name nor an address"):
            Settings.from_env({"CLAIMDESK_ALLOWED_HOSTS": entry})


def test_the_session_key_is_made_once_and_kept(tmp_path):
    settings = Settings.from_env({"CLAIMDESK_INSTANCE_PATH": str(tmp_path / "instance")})
    key = settings.session_secret()
    assert len(key) >= 16
    assert Settings.from_env({"CLAIMDESK_INSTANCE_PATH": str(tmp_path / "instance")}).session_secret() == key
    assert [p.name for p in (tmp_path / "instance").iterdir()] == ["secret_key"]  # no draft left behind
    assert Settings.from_env({"CLAIMDESK_INSTANCE_PATH": str(tmp_path),
                              "CLAIMDESK_SECRET_KEY": "from-the-environment"}).session_secret() \
        == "from-the-environment"


def test_a_process_asking_while_another_writes_the_key_reads_a_whole_one(tmp_path, monkeypatch):
    """The web processes start together. One asking while another is still writing the key must get a
    whole key, the same one: it used to read the file created but still empty, and signed no sessions."""
    import secrets

    instance = str(tmp_path / "instance")
    token_urlsafe = secrets.token_urlsafe
    meanwhile: list[str] = []

    def another_process_asks(n: int) -> str:
        if not meanwhile:
            meanwhile.append("")  # asks once, while this process is writing its key
            meanwhile[0] = Settings.from_env({"CLAIMDESK_INSTANCE_PATH": instance}).session_secret()
        return token_urlsafe(n)

    monkeypatch.setattr(secrets, "token_urlsafe", another_process_asks)
    key = Settings.from_env({"CLAIMDESK_INSTANCE_PATH": instance}).session_secret()
    assert len(meanwhile[0]) >= 16 and key == meanwhile[0]


def test_an_empty_session_key_file_is_refused_with_what_to_do(tmp_path):
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(ValueError, match="delete it to have a new one made, or set CLAIMDESK_SECRET_KEY"):
        Settings.from_env({"CLAIMDESK_INSTANCE_PATH": str(tmp_path)}).session_secret()


def _ask_for_the_session_key(instance: str, barrier, keys) -> None:
    barrier.wait()
    keys.put(Settings.from_env({"CLAIMDESK_INSTANCE_PATH": instance}).session_secret())


def test_two_processes_starting_at_once_get_the_same_whole_key(tmp_path):
    """gunicorn's workers boot together on a new instance; the old code gave one of them no key most times."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    for attempt in range(20):
        barrier, keys = context.Barrier(2), context.Queue()
        askers = [context.Process(target=_ask_for_the_session_key,
                                  args=(str(tmp_path / str(attempt)), barrier, keys)) for _ in range(2)]
        for process in askers:
            process.start()
        got = [keys.get(timeout=30), keys.get(timeout=30)]
        for process in askers:
            process.join(timeout=30)
        assert len(got[0]) >= 16 and got[0] == got[1], f"attempt {attempt}: {got}"
