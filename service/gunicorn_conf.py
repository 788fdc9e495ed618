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
# gunicorn answers a request line or header field over its limits with an HTML page it cannot be told to
# change. Its limits are raised above the ones the app enforces (service/http_limits.py: 4,094 and 8,190
# bytes, gunicorn's defaults), so over-long requests reach the app and get a problem document; gunicorn's
# page is left for requests over its maximum request line (8,190) or these doubled header fields.
limit_request_line = 8190
limit_request_field_size = 16380
