"""The Celery app's configuration, shared by the senders (web process, CLI) and the worker; each setting
names the failure it prevents."""
from __future__ import annotations

from collections.abc import Sequence

from celery import Celery

from service.broker import TRANSPORT as WHOLE_MESSAGE_FILES
from service.config import Settings
from service.services.queue import SWEEP_STUCK, SWEEP_WEBHOOKS

QUEUE = "claimdesk"


def make_celery(settings: Settings, include: Sequence[str] = ()) -> Celery:
    """The Celery app with the service's broker settings: the web process and the CLI send tasks through
    it (by name), the worker (workers/celery_app.py) runs the tasks it `include`s."""
    app = Celery("claimdesk", broker=settings.broker_url, include=list(include))
    if settings.embedded_broker:
        # kombu's filesystem transport, but a consumer never reads a message half written (service/broker.py).
        app.conf.broker_transport = WHOLE_MESSAGE_FILES
    transport_options = {
        # A message delivered but not acked within this window is handed to another worker; it must
        # outlast the longest task plus any retry countdown, or Redis redelivers work still running.
        "visibility_timeout": 3600,
        # The web process publishes inline: a dead Redis must fail the publish in seconds, not hang
        # the request (the article stays `queued` for the sweeper).
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        **settings.broker_transport_options,
    }
    app.conf.update(
        # JSON only: a pickle payload on a shared broker is remote code execution.
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        # Nothing reads task results; the database holds the outcome. Storing them would fill Redis.
        task_ignore_result=True,
        # Ack after the task finishes, so a worker killed mid-article leaves the message to redeliver...
        task_acks_late=True,
        # ...including when the pool child is SIGKILLed (otherwise Celery acks it as failed).
        task_reject_on_worker_lost=True,
        # One message at a time per process: prefetched messages would wait behind a long article and
        # be lost to the queue's view if the worker dies.
        worker_prefetch_multiplier=1,
        # Backstops for a pathological input: the soft limit lets the task record `failed`.
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_time_limit,
        task_default_queue=QUEUE,
        broker_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
        # Publishing from the web process: retry briefly, then give up and report, never block.
        task_publish_retry=True,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5,
                                   "interval_max": 1},
        broker_connection_timeout=3,
        # Restarted workers must not flood the log with tracebacks for a lost broker; they reconnect.
        broker_connection_max_retries=None,
        worker_hijack_root_logger=False,
        # The embedded filesystem broker has no fan-out exchange for remote control; nothing needs it.
        worker_enable_remote_control=not settings.embedded_broker,
        worker_send_task_events=False,
        # The sweeper re-sends articles whose message was lost (broker restart, failed publish).
        beat_schedule={"sweep-stuck-articles": {"task": SWEEP_STUCK, "schedule": settings.sweep_interval,
                                                "options": {"expires": settings.sweep_interval}},
                       # Batches that settled unobserved (batch.finished) and webhook deliveries whose
                       # message was lost.
                       "sweep-webhooks": {"task": SWEEP_WEBHOOKS, "schedule": settings.sweep_interval,
                                          "options": {"expires": settings.sweep_interval}}},
        beat_schedule_filename=str(settings.instance_path / "celerybeat-schedule"),
    )
    return app

