"""The production set-up without Docker: compose.yaml's services run as processes, and the image's install.

There is no Docker engine where the tests run, so compose.yaml is read and carried out by hand: the
environment it gives the Claimdesk services (with compose's `${VAR:-default}` interpolation), their
commands in the order `depends_on` sets, and their health checks, against the real PostgreSQL and a
private redis-server. What only Docker can do is replaced, and checked where it can be: the database
and broker URLs must name compose's `postgres` and `redis` services (the test points them at its own
servers), the API listens on a free port instead of 8000, and HOSTNAME (set by Docker in a container)
is the machine's. The Dockerfile's half: its COPY lines make a build context, `pip install .` of it
must hold every file the service reads at run time, and the installed copy must serve the pages.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from tests.integration.conftest import _unavailable, postgres_database
from tests.integration.processes import (
    BIN,
    REDIS_SERVER,
    base_environment,
    free_port,
    log_tails,
    private_redis,
    spawn,
    stop_group,
    wait_until,
)

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CLAIMDESK_SERVICES = ("migrate", "api", "worker", "beat")
_VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: str, variables: dict[str, str]) -> str:
    """compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, $$ for $."""
    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.groups()
        value = variables.get(name)
        unset = value is None or (value == "" and operator is not None and operator.startswith(":"))
        if not unset:
            return value
        if operator in (":-", "-"):
            return argument
        if operator in (":?", "?"):
            raise KeyError(f"{name} is required: {argument}")
        return ""
    return _VARIABLE.sub(substitute, value)


def test_interpolation_follows_compose():
    assert interpolate("a ${X:-d} ${Y:-d} ${Z-d} $${HOME}", {"X": "x", "Y": "", "Z": ""}) == "a x d  ${HOME}"
    with pytest.raises(KeyError, match="set it"):
        interpolate("${S:?set it}", {"S": ""})


def load_compose() -> dict:
    return yaml.safe_load((REPO / "compose.yaml").read_text())


def service_environment(compose: dict, name: str, variables: dict[str, str]) -> dict[str, str]:
    environment = compose["services"][name]["environment"]
    return {key: interpolate(str(value), variables) for key, value in environment.items()}


def read_by_the_code() -> set[str]:
    """Every environment variable the service's code reads by name."""
    names = set()
    for path in (REPO / "service").rglob("*.py"):
        names |= set(re.findall(r"\"((?:CLAIMDESK|DATABASE|CELERY)_[A-Z_]+)\"", path.read_text()))
    return names


def test_compose_sets_only_settings_the_code_reads_and_requires_the_secret_key():
    compose = load_compose()
    known = read_by_the_code()
    for name in CLAIMDESK_SERVICES:
        environment = compose["services"][name]["environment"]
        assert set(environment) <= known, f"{name}: {sorted(set(environment) - known)} is read by nothing"
        with pytest.raises(KeyError, match="CLAIMDESK_SECRET_KEY"):
            service_environment(compose, name, {})


def test_compose_urls_name_its_own_postgres_and_redis():
    compose = load_compose()
    postgres = compose["services"]["postgres"]["environment"]
    variables = {"CLAIMDESK_SECRET_KEY": "k", "POSTGRES_PASSWORD": "pw"}
    for name in CLAIMDESK_SERVICES:
        environment = service_environment(compose, name, variables)
        database = urlsplit(environment["DATABASE_URL"])
        assert database.scheme == "postgresql+psycopg" and database.hostname == "postgres"
        assert database.port == 5432 and database.path == "/" + postgres["POSTGRES_DB"]
        assert database.username == postgres["POSTGRES_USER"]
        assert database.password == interpolate(postgres["POSTGRES_PASSWORD"], variables) == "pw"
        broker = urlsplit(environment["CELERY_BROKER_URL"])
        assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379)
        # They start only once what they use is up: PostgreSQL for all, Redis for all but the migration.
        needed = {"postgres"} if name == "migrate" else {"postgres", "redis"}
        assert needed <= dependencies(compose, name), name


def dependencies(compose: dict, name: str) -> set[str]:
    """Every service `name` waits for, directly or through another."""
    direct = set(compose["services"][name].get("depends_on", {}))
    return direct.union(*(dependencies(compose, d) for d in direct))


def startup_order(compose: dict) -> list[str]:
    """The Claimdesk services, each after those it depends on."""
    order: list[str] = []

    def visit(name: str) -> None:
        for dependency in compose["services"][name].get("depends_on", {}):
            if dependency in CLAIMDESK_SERVICES and dependency not in order:
                visit(dependency)
        if name not in order:
            order.append(name)

    for name in CLAIMDESK_SERVICES:
        visit(name)
    return order


def healthcheck(compose: dict, name: str, env: dict[str, str], port: int) -> list[str]:
    """The service's health check as a command line: CMD runs as given, CMD-SHELL through sh -c."""
    test = [interpolate(part, {}) for part in compose["services"][name]["healthcheck"]["test"]]
    test = [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in test]
    return test[1:] if test[0] == "CMD" else ["sh", "-c", test[1]]


@dataclass
class Stack:
    compose: dict
    env: dict[str, str]  # the last service's, with its overrides: what a `docker compose run` would get
    port: int
    workdir: Path
    processes: dict[str, subprocess.Popen]

    def logs(self) -> str:
        return log_tails(self.workdir)


def succeeds(command: list[str], env: dict[str, str], cwd: Path) -> bool:
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, timeout=60).returncode == 0


@pytest.fixture
def compose_stack(tmp_path) -> Iterator[Stack]:
    """compose.yaml's Claimdesk services started in order as process groups, after its migrate step."""
    if REDIS_SERVER is None:
        _unavailable("redis-server is not installed (Debian package redis-server)")
    compose = load_compose()
    port = free_port()
    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_database())
        redis = stack.enter_context(private_redis(tmp_path / "redis"))
        variables = {"CLAIMDESK_SECRET_KEY": secrets.token_urlsafe(32)}
        base = base_environment() | {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                                     "HOSTNAME": socket.gethostname()}
        processes = {}
        env = {}
        for name in startup_order(compose):
            env = base | service_environment(compose, name, variables) | {
                "DATABASE_URL": database_url, "CELERY_BROKER_URL": redis.url(0),
                "CLAIMDESK_INSTANCE_PATH": str(tmp_path / "instance"), "CLAIMDESK_BIND": f"127.0.0.1:{port}"}
            command = compose["services"][name]["command"]
            if compose["services"][name].get("restart") == "no":  # a step: must finish, and well
                done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True,
                                      timeout=120)
                assert done.returncode == 0, f"{name}: {done.stdout}{done.stderr}"
            else:
                processes[name] = spawn(command, env, tmp_path, tmp_path / f"{name}.log")
                stack.callback(stop_group, processes[name], 15)
        yield Stack(compose, env, port, tmp_path, processes)


def test_compose_services_start_pass_their_health_checks_and_flag_an_article(compose_stack):
    compose, env, port, workdir, logs = (compose_stack.compose, compose_stack.env, compose_stack.port,
                                         compose_stack.workdir, compose_stack.logs)
    for name in ("api", "worker"):
        command = healthcheck(compose, name, env, port)
        wait_until(lambda command=command: succeeds(command, env, workdir), 90,
                   lambda name=name: f"{name}'s health check still fails after 90 s\n{logs()}", every=0.5)

    # The README's next step: the first account, then (here) a token to call the API with.
    created = subprocess.run(["claimdesk", "users", "create", "admin", "--role", "admin", "--password-stdin"],
                             input="compose admin password\n", env=env, cwd=workdir, capture_output=True,
                             text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    token = subprocess.run(["claimdesk", "tokens", "create", "admin", "--name", "compose", "--scope", "read",
                            "--scope", "write"], env=env, cwd=workdir, capture_output=True, text=True,
                           timeout=60, check=True).stdout.strip()
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    api = f"http://127.0.0.1:{port}/api/v1"
    body = ('"We will not close the library," the mayor told councillors on Tuesday. Spending on it fell '
            "by 12 per cent last year, according to the council's own accounts.")
    answer = http.post(f"{api}/articles", json={"body": body, "outlet": "Compose Courier"}, timeout=30)
    assert answer.status_code == 202, answer.text
    article_id = answer.json()["id"]

    def flagged() -> bool:
        return http.get(f"{api}/articles/{article_id}", timeout=10).json()["status"] == "flagged"

    wait_until(flagged, 60, lambda: f"compose's worker did not flag the article in 60 s\n{logs()}")
    kinds = {flag["kind"] for claim in http.get(f"{api}/articles/{article_id}", timeout=10).json()["claims"]
             for flag in claim["flags"]}
    assert kinds == {"quote", "number", "sourcing"}
    for name, process in compose_stack.processes.items():
        assert process.poll() is None, f"{name} exited with {process.returncode}\n{logs()}"
    assert "beat: Starting" in (workdir / "beat.log").read_text(errors="replace"), logs()


def dockerfile_copies() -> list[str]:
    """The paths the Dockerfile copies into the image before `pip install .`."""
    sources = []
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            sources += line.split()[1:-1]
    return sources


def test_the_image_install_holds_every_file_the_service_reads(tmp_path):
    context = tmp_path / "context"
    context.mkdir()
    for source in dockerfile_copies():
        if (REPO / source).is_dir():
            shutil.copytree(REPO / source, context / source,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(REPO / source, context / source)
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
                    str(context)], check=True, capture_output=True, timeout=300)
    # Every file under detection/, service/ and workers/ that git tracks is in the install (code,
    # templates, static files, migrations), so the image cannot miss what the checkout has.
    tracked = subprocess.run(["git", "ls-files", "detection", "service", "workers"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout.split()
    missing = [path for path in tracked if not (site / path).is_file()]
    assert not missing, f"pip install . of the Dockerfile's context leaves out {missing}"

    # The installed copy (not the checkout: run from elsewhere, it comes first on the path) migrates a
    # database and serves the desk's pages, their static files and the API's docs.
    (tmp_path / "instance").mkdir()
    script = f"""
import json, service
from service.app import create_app
from service.config import Settings
from service.storage.migrate import upgrade
settings = Settings.from_env({{"CLAIMDESK_INSTANCE_PATH": {str(tmp_path / "instance")!r}}})
upgrade(settings.database_url)
client = create_app(settings).test_client()
print(json.dumps({{"module": service.__file__, "statuses": [client.get(path).status_code for path in
    ("/login", "/desk/static/desk.css", "/api/docs", "/api/openapi.json", "/api/v1/version")]}}))
"""
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": str(site)})
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout.strip().splitlines()[-1])
    assert shown["module"].startswith(str(site)), shown
    assert shown["statuses"] == [200] * 5, shown
