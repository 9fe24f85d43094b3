"""gunicorn's settings for Friends. gunicorn reads this file from the directory it starts in
(the Procfile's, scripts/benchlib.py's); flags on its command line still win.

A request gunicorn cannot read (a request line over `limit_request_line`, headers over
`limit_request_field_size`, a malformed line or header) is refused before Django sees it, and
gunicorn answers such refusals with an HTML page of its own. Here they answer in the API's
one error format (core.errors: detail, code, errors), which the schema lists for 414 and 431:
no path is known yet at that point to choose a page instead, and a browser shows the message
plainly enough.
"""

import json
import os

from gunicorn import util

# gunicorn's defaults, written out: the API's URLs are short, and these bound the memory a
# connection may hold before anything is answered.
limit_request_line = 4094
limit_request_field_size = 8190
limit_request_fields = 100


def _write_error_json(sock, status_int, reason, mesg):
    code = reason.lower().replace(" ", "_")
    body = json.dumps(
        {"detail": f"{reason}: {mesg}" if mesg else reason, "code": code, "errors": {}}
    )
    payload = body.encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin1") + payload)


util.write_error = _write_error_json


# --- Prometheus with several worker processes (core/metrics.py, docs/OPERATIONS.md) --------
# With PROMETHEUS_MULTIPROC_DIR set, each worker process writes its counts to files there and
# /metrics adds them up. The files of a previous run are removed when gunicorn starts, and a
# worker that exits has its gauges marked dead, so that the figures stay those of live workers.


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
