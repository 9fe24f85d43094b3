"""Live updates (server-sent events at /events/) under load, in both ways of serving them.

    python scripts/bench_events.py [--streams 1000] [--events 200] [--requests 200]

For each way of serving the site, on loopback, with a private Redis:
  separate  gunicorn (WSGI, 2 sync workers) serves the pages; one uvicorn process serves
            /events/ (a proxy routes /events/ to it in production);
  combined  gunicorn with 2 uvicorn workers (uvicorn-worker) serves everything.
it opens `--streams` event streams for distinct people, each logged in by a session cookie
(an asyncio client on raw sockets), reports the memory (RSS) of the processes holding them
before and after, publishes `--events` events through the real path (a committed transaction,
then core.events.publish_on_commit) and times commit to client (p50, p95), and times the feed
page `/` (`--requests` requests, one kept-alive connection) without and with the streams open.
Then what the same streams would cost as threads of a sync server: a process of the site
holding that many threads, each blocked on its Redis subscription, and its memory.

Uses BENCH_DATABASE_URL (PostgreSQL, made when missing) when set, else a SQLite file in a
temporary folder; seeds demo people (seed_demo) when it holds fewer than `--streams`.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from benchlib import (
    BASE_DIR,
    percentile,
    production_env,
    stop_processes,
    summary,
    timed_get,
    wait_for_http,
)

from friends_site.embedded_redis import free_port, start_redis

HEADER_LIMIT = 64 * 1024


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


# --- The data: people with sessions ----------------------------------------------------------


def manage(env: dict, *args: str, capture: bool = False) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR, env=env, check=True, capture_output=capture, text=True,
    )  # fmt: skip
    return done.stdout if capture else ""


def prepare(env: dict, streams: int) -> tuple[list[tuple[int, str]], str]:
    """((user id, session key) for `streams` people, the session of the feed's viewer)."""
    manage(env, "migrate", "--no-input", "-v0")
    probe = manage(
        env, "shell", "-c",
        "from accounts.models import User; "
        "print(User.objects.filter(username__startswith='demo_').count())",
        capture=True,
    )  # fmt: skip
    if int((probe.split() or ["0"])[-1]) < streams:
        print(f"Seeding {streams} demo people...", flush=True)
        manage(
            env, "seed_demo", "--users", str(streams), "--posts", str(streams * 3),
            "--likes", str(streams * 3), "--comments", str(streams // 3),
            "--follows", str(streams * 20), "--avatars", "0", "--photo-posts", "0",
            "--reset", "--force",
        )  # fmt: skip
    os.environ.update({k: env[k] for k in env if k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))})
    os.environ["EVENTS_CHANNEL_PREFIX"] = env["EVENTS_CHANNEL_PREFIX"]
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count

    from accounts.models import User

    people = list(
        User.objects.filter(username__startswith="demo_")
        .annotate(followees=Count("following_set"))
        .order_by("-followees", "id")[:streams]
    )

    def session_of(user) -> str:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return session.session_key

    sessions = [(user.pk, session_of(user)) for user in people]
    return sessions, sessions[0][1]


# --- Servers -----------------------------------------------------------------------------------


@contextmanager
def serve(env: dict, how: str):
    """Yields (pages port, events port, pids holding the streams)."""
    processes = []
    pages_port, events_port = free_port(), free_port()
    common = ["--log-level", "warning", "--timeout", "120", "--workers", "2"]
    if how == "separate":
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "friends_site.wsgi:application",
             "--bind", f"127.0.0.1:{pages_port}", *common],
            cwd=BASE_DIR, env=env,
        ))  # fmt: skip
        events = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "friends_site.asgi:application",
             "--host", "127.0.0.1", "--port", str(events_port), "--log-level", "warning",
             "--no-access-log"],
            cwd=BASE_DIR, env=env,
        )  # fmt: skip
        processes.append(events)
    else:
        events_port = pages_port
        events = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "friends_site.asgi:application",
             "--worker-class", "uvicorn_worker.UvicornWorker",
             "--bind", f"127.0.0.1:{pages_port}", *common],
            cwd=BASE_DIR, env=env,
        )  # fmt: skip
        processes.append(events)
    try:
        wait_for_http(pages_port, timeout=60)
        wait_for_http(events_port, timeout=60)
        holders = [events.pid] if how == "separate" else children(events.pid)
        yield pages_port, events_port, holders
    finally:
        stop_processes(processes, timeout=15)


# --- The streams' client: asyncio on raw sockets ------------------------------------------------


class Streams:
    """`count` open /events/ streams, read on an event loop of their own thread."""

    def __init__(self, port: int):
        self.port = port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.received: dict[int, float] = {}  # bench event number: when it arrived
        self.tasks: list[asyncio.Task] = []
        self.ready = 0
        self.failed: list[str] = []

    def run(self, coroutine, timeout: float):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def open(self, sessions: list[tuple[int, str]], timeout: float = 120) -> float:
        started = time.perf_counter()
        self.run(self._open_all(sessions), timeout)
        return time.perf_counter() - started

    async def _open_all(self, sessions):
        gate = asyncio.Semaphore(100)
        connected = [asyncio.get_running_loop().create_future() for _ in sessions]
        for (_user_id, session), done in zip(sessions, connected, strict=True):
            self.tasks.append(asyncio.ensure_future(self._stream(session, gate, done)))
        await asyncio.gather(*connected)

    async def _stream(self, session: str, gate, connected) -> None:
        try:
            async with gate:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", self.port, limit=HEADER_LIMIT
                )
                writer.write(
                    f"GET /events/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={session}\r\n"
                    "Accept: text/event-stream\r\n\r\n".encode()
                )
                status = await reader.readline()
                if b" 200 " not in status:
                    raise RuntimeError(status.decode().strip())
                while (await reader.readline()) not in (b"\r\n", b""):
                    pass
                buffer = ""
                while "event: notifications" not in buffer:  # the state sent on connect
                    buffer += await self._chunk(reader)
            self.ready += 1
            connected.set_result(True)
            buffer = ""
            while True:
                buffer += await self._chunk(reader)
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    if "event: bench" in block:
                        data = json.loads(block.split("data: ", 1)[1])
                        self.received[data["n"]] = time.time()
        except asyncio.CancelledError:
            writer.close()
            raise
        except Exception as error:  # noqa: BLE001 - counted and reported
            self.failed.append(str(error))
            if not connected.done():
                connected.set_result(False)

    @staticmethod
    async def _chunk(reader) -> str:
        size = int((await reader.readline()).strip() or b"0", 16)
        if size == 0:
            raise ConnectionError("the stream ended")
        data = await reader.readexactly(size + 2)
        return data[:-2].decode()

    def close(self) -> None:
        async def cancel():
            for task in self.tasks:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)

        self.run(cancel(), 60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def commit_to_client(streams: Streams, users: list[int], count: int) -> list[float]:
    """Publish `count` events through the real path; seconds from commit to client, each."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from core import events

    committed: dict[int, float] = {}
    for n in range(count):
        user_id = users[(n * 7919) % len(users)]  # spread over the people
        with transaction.atomic():
            User.objects.filter(pk=user_id).update(last_login=timezone.now())
            transaction.on_commit(lambda n=n: committed.__setitem__(n, time.time()))
            events.publish_on_commit(user_id=user_id, kind="bench", data={"n": n})
        time.sleep(0.02)
    deadline = time.monotonic() + 10
    while len(streams.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    missing = count - len(streams.received)
    if missing:
        print(f"  !! {missing} of {count} events never arrived")
    return [streams.received[n] - committed[n] for n in streams.received]


def feed_latency(port: int, session: str, requests: int) -> tuple[float, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": f"sessionid={session}"}
    for _ in range(20):
        timed_get(connection, "/", headers)
    timings = [timed_get(connection, "/", headers) for _ in range(requests)]
    connection.close()
    return summary(timings)


# --- The same streams as threads -------------------------------------------------------------

THREADS_PROBE = """
import os, sys, threading, time
import django
django.setup()
import redis
from core.events import channel_for

def rss():
    for line in open(f"/proc/{os.getpid()}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

count = int(sys.argv[1])
before = rss()
stop = threading.Event()
subscribed = threading.Semaphore(0)

def hold(n):
    pubsub = redis.Redis.from_url(os.environ["REDIS_URL"]).pubsub()
    pubsub.subscribe(channel_for(n))
    subscribed.release()
    while not stop.is_set():
        pubsub.get_message(timeout=1)

threads = [threading.Thread(target=hold, args=(n,), daemon=True) for n in range(count)]
for thread in threads:
    thread.start()
for _ in range(count):
    subscribed.acquire()
time.sleep(1)
print(f"{before:.1f} {rss():.1f} {threading.active_count()}")
stop.set()
"""


def threads_cost(env: dict, count: int) -> tuple[float, float, int]:
    done = subprocess.run(
        [sys.executable, "-c", THREADS_PROBE, str(count)],
        cwd=BASE_DIR, env=env, check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    before, after, alive = done.stdout.split()[-3:]
    return float(before), float(after), int(alive)


# --- Main --------------------------------------------------------------------------------------


def measure(env, how, sessions, viewer, args) -> dict:
    with serve(env, how) as (pages_port, events_port, holders):
        feed_without = feed_latency(pages_port, viewer, args.requests)
        warm = Streams(events_port)  # the first request loads the site's code: not a stream's cost
        warm.open(sessions[:4] * 2)
        warm.close()
        time.sleep(1)
        rss_before = sum(rss_mb(pid) for pid in holders)
        streams = Streams(events_port)
        try:
            opening = streams.open(sessions)
            time.sleep(2)  # settle: every subscription made
            rss_after = sum(rss_mb(pid) for pid in holders)
            latencies = commit_to_client(streams, [u for u, _s in sessions], args.events)
            feed_with = feed_latency(pages_port, viewer, args.requests)
            still_open = sum(1 for task in streams.tasks if not task.done())
        finally:
            streams.close()
    return {
        "how": how, "processes": len(holders), "opened": streams.ready,
        "failed": len(streams.failed), "opening_s": opening, "still_open": still_open,
        "rss_before": rss_before, "rss_after": rss_after,
        "p50": percentile(latencies, 0.5) * 1000 if latencies else float("nan"),
        "p95": percentile(latencies, 0.95) * 1000 if latencies else float("nan"),
        "events": len(latencies), "feed_without": feed_without, "feed_with": feed_with,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--only", choices=["separate", "combined"])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-events-") as folder:
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
        if database_url.startswith("postgres"):
            from bench_feed import ensure_database

            ensure_database(database_url)
        redis = start_redis(port=free_port(), data_dir=Path(folder) / "redis")
        env = production_env(
            DATABASE_URL=database_url, REDIS_URL=redis.url, EVENTS_CHANNEL_PREFIX="bench"
        )
        try:
            manage(env, "collectstatic", "--no-input", "-v0")
            sessions, viewer = prepare(env, args.streams)
            engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
            print(f"\nEvent streams: {len(sessions)} people, {engine}, {os.cpu_count()} CPUs")
            results = [
                measure(env, how, sessions, viewer, args)
                for how in ("separate", "combined")
                if args.only in (None, how)
            ]
            alive_before, alive_after, threads = threads_cost(env, len(sessions))
        finally:
            redis.stop()

    for r in results:
        label = {
            "separate": "separate: gunicorn WSGI (2 sync workers) + 1 uvicorn process for /events/",
            "combined": "combined: gunicorn with 2 uvicorn workers for everything",
        }[r["how"]]
        ratio = r["feed_with"][0] / r["feed_without"][0]
        ratio95 = r["feed_with"][1] / r["feed_without"][1]
        print(f"\n{label}")
        print(
            f"  streams open            {r['opened']} of {len(sessions)} in {r['opening_s']:.1f} s"
            f" ({r['failed']} failed, {r['still_open']} still open at the end)"
        )
        print(
            f"  memory (RSS) of the {r['processes']} process(es) holding them: "
            f"{r['rss_before']:.1f} MB before, {r['rss_after']:.1f} MB with them open "
            f"(+{(r['rss_after'] - r['rss_before']) * 1024 / max(1, r['opened']):.0f} KB a stream)"
        )
        print(
            f"  commit to client        p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms over "
            f"{r['events']} events (target: p95 < 100 ms)"
        )
        print(
            f"  feed page /             median {r['feed_without'][0]:.1f} ms without, "
            f"{r['feed_with'][0]:.1f} ms with them open: ratio {ratio:.2f}x median, "
            f"{ratio95:.2f}x p95 (target: <= 1.2x)"
        )
    print(
        f"\nThe same {len(sessions)} streams as threads of a sync server (one process of the site, "
        f"each thread blocked on its Redis subscription): {threads} threads, "
        f"{alive_before:.1f} MB before, {alive_after:.1f} MB with them "
        f"(+{(alive_after - alive_before) * 1024 / len(sessions):.0f} KB a stream)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
