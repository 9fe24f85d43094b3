"""`make run`: Redis (embedded when none answers), migrations, one RQ worker, the web server
(uvicorn: the pages and the live updates' stream, README "Serving").

Ctrl-C (or SIGTERM) stops every process this started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from friends_site.embedded_redis import ensure_redis  # noqa: E402

HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")
QUEUES = ["default", "email", "media"]


def main() -> int:
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "friends_site.settings")
    var = BASE_DIR / "var"
    for folder in ("mail", "static"):
        (var / folder).mkdir(parents=True, exist_ok=True)
    redis_url = os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

    embedded = ensure_redis(redis_url, data_dir=var / "redis")
    print(
        f"Redis: {'embedded server started at ' if embedded else 'using '}{redis_url}", flush=True
    )

    python = sys.executable
    children: list[subprocess.Popen] = []

    def stop() -> None:
        # The worker finishes the job in hand on SIGTERM (warm shutdown); 10 s later whatever
        # is left of each child's process group (reloader, scheduler, job) is killed.
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(child, signal.SIGKILL)
                child.wait()
            _signal_group(child, signal.SIGKILL)  # anything the leader left behind
        if embedded:
            embedded.stop()

    # Explicit handlers: a shell that starts `make run` in the background hands it SIGINT
    # ignored, and Ctrl-C, SIGTERM and a closed terminal must all stop everything.
    for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, _interrupt)
    try:
        subprocess.run([python, "manage.py", "migrate", "--no-input"], cwd=BASE_DIR, check=True)
        # Each child gets its own process group: Ctrl-C reaches this script alone, which then
        # stops them in order (no half-finished job is cut by a stray SIGINT).
        spawn = {"cwd": BASE_DIR, "start_new_session": True}
        children.append(
            subprocess.Popen(
                [python, "manage.py", "rqworker", *QUEUES, "--with-scheduler"], **spawn
            )
        )
        # uvicorn, not runserver: runserver serves async views through WSGI, where the live
        # updates' stream (/events/) cannot stay open. --reload restarts it on code changes;
        # under DEBUG, WhiteNoise serves the static files from their source folders.
        children.append(
            subprocess.Popen(
                [
                    python,
                    "-m",
                    "uvicorn",
                    "friends_site.asgi:application",
                    "--host",
                    HOST,
                    "--port",
                    PORT,
                    "--reload",
                    "--reload-dir",
                    str(BASE_DIR),
                ],
                **spawn,
            )  # fmt: skip
        )
        site = f"http://{HOST}:{PORT}"
        print(
            "\nFriends is starting:\n"
            f"  site           {site}/\n"
            f"  admin          {site}/admin/   (python manage.py createsuperuser)\n"
            f"  RQ dashboard   {site}/admin/rq/\n"
            f"  API docs       {site}/api/v1/docs/\n"
            f"  emails         {var / 'mail'}\n"
            "Ctrl-C stops everything.\n",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("A process exited; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


def _interrupt(signum, _frame) -> None:
    raise KeyboardInterrupt


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


if __name__ == "__main__":
    sys.exit(main())
