"""The worker's Celery app: the service's configuration (service/tasking.py) plus the tasks, and the
wiring of each worker process, built when the process starts (service/bootstrap.py)."""
from __future__ import annotations

from celery.signals import worker_init, worker_process_init

from service.bootstrap import Runtime, build
from service.config import Settings
from service.tasking import QUEUE, make_celery

__all__ = ["QUEUE", "app", "runtime"]

app = make_celery(Settings.from_env(), include=["workers.tasks"])
app.claimdesk = None  # the process's Runtime, once started


@worker_init.connect
def _wire_worker(**_kwargs) -> None:
    # The worker's main process: where a solo or threads pool runs the tasks.
    app.claimdesk = build(Settings.from_env(), celery=app)


@worker_process_init.connect
def _wire_pool_process(**_kwargs) -> None:
    # Each prefork pool process wires itself afresh: connections inherited over fork() are shared sockets,
    # and reusing them corrupts both sides' protocol state.
    app.claimdesk = build(Settings.from_env(), celery=app)


def runtime() -> Runtime:
    """The process's wiring; built here if a task runs outside a started worker (`celery call`, a shell)."""
    if app.claimdesk is None:
        app.claimdesk = build(Settings.from_env(), celery=app)
    return app.claimdesk
