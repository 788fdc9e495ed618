"""gunicorn settings shared by `claimdesk serve`, the Dockerfile and compose (GUNICORN_CMD_ARGS overrides)."""
import os

bind = os.environ.get("CLAIMDESK_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("CLAIMDESK_WEB_WORKERS", "2"))
# Threads: a slow client downloading an export or uploading a batch must not hold a whole process.
worker_class = "gthread"
threads = 4
# Batch uploads of up to 200 MB and streamed exports run for minutes; the 30 s default would kill them.
timeout = 300
graceful_timeout = 30
accesslog = "-"
# gunicorn 27's control socket is unused here, and its default path ($HOME/.gunicorn/gunicorn.ctl) is one
# per user: every Claimdesk on the host (a second instance, the tests' services) would take it over.
control_socket_disable = True
