"""Sign-up latency with the welcome email queued vs sent inside the request.

Starts a real SMTP server on 127.0.0.1 (3 s per message, and an instant one), a Redis server of
its own, gunicorn with production settings on a temporary SQLite database (rate limits off), and
RQ workers; then times POST /api/v1/auth/signup/ in three set-ups:

  queued, 3 s SMTP      the app as it ships
  queued, instant SMTP  the baseline: what the signup costs without any mail server
  inline, 3 s SMTP      EMAIL_SEND_INLINE=1 (a benchmark-only setting): the email is sent in
                        the request, as an app without a queue would

It prints median and p95 for each and the ratios, checks that every email arrived (and that
every delivery row is "sent"), and stops every process it started. Run: `python
scripts/bench_signup.py` (or `make bench`); `--requests N` changes the sample size.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from benchlib import BASE_DIR, gunicorn, production_env, stop_processes, summary

from accounts.tests.smtp_server import SMTPServer
from friends_site.embedded_redis import free_port, start_redis

SLOW_SMTP_SECONDS = 3.0
PASSWORD = "plum-orchard-velvet-42"
DELIVERY_TIMEOUT = 90


@contextmanager
def workers(env: dict[str, str], count: int):
    """`count` RQ workers on every queue, with the scheduler; stopped (and waited for) on exit."""
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", "rqworker", "email", "default", "--with-scheduler"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    try:
        yield processes
    finally:
        stop_processes(processes, timeout=20)


def signup(connection: http.client.HTTPConnection, username: str) -> float:
    body = json.dumps(
        {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    )
    started = time.perf_counter()
    connection.request(
        "POST", "/api/v1/auth/signup/", body=body, headers={"Content-Type": "application/json"}
    )
    response = connection.getresponse()
    payload = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 201:
        raise RuntimeError(f"Sign-up answered {response.status}: {payload[:300]!r}")
    return elapsed


def run_case(
    name: str, *, env: dict[str, str], smtp: SMTPServer, requests: int, worker_count: int
) -> list[float]:
    """Time `requests` sign-ups (after 2 warm-ups); wait until every email reached `smtp`."""
    env = {**env, "EMAIL_URL": smtp.url}
    before = len(smtp.messages)
    prefix = name.replace(" ", "").replace(",", "").replace("-", "")
    with workers(env, worker_count), gunicorn(env) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for warm_up in range(2):
            signup(connection, f"{prefix}warm{warm_up}")
        timings = [signup(connection, f"{prefix}{number}") for number in range(requests)]
        connection.close()
        expected = before + requests + 2
        started = time.monotonic()
        arrived = len(smtp.wait_for(expected, timeout=DELIVERY_TIMEOUT))
        waited = time.monotonic() - started
    if arrived != expected:
        raise RuntimeError(f"{name}: {arrived - before} of {expected - before} emails arrived")
    print(
        f"  {name:<22} {expected - before} emails arrived ({waited:.1f} s after the last request)",
        flush=True,
    )
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20, help="timed sign-ups per set-up")
    parser.add_argument("--inline-requests", type=int, default=6, help="for the inline set-up")
    parser.add_argument("--workers", type=int, default=4, help="RQ worker processes")
    args = parser.parse_args()

    started = time.monotonic()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-signup-")))
        redis = start_redis(port=free_port(), data_dir=tmp / "redis")
        stack.callback(redis.stop)
        slow = stack.enter_context(SMTPServer(delay=SLOW_SMTP_SECONDS))
        instant = stack.enter_context(SMTPServer())
        database = tmp / "bench.sqlite3"
        env = production_env(
            DATABASE_URL=f"sqlite:///{database}",
            REDIS_URL=redis.url,
            MEDIA_ROOT=str(tmp / "media"),
            SITE_URL="http://127.0.0.1:8000",
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
        )
        print(
            f"Sign-up benchmark: {args.requests} timed POST /api/v1/auth/signup/ per set-up "
            f"({args.inline_requests} inline), gunicorn 2 workers, {args.workers} RQ workers, "
            f"SQLite, SMTP delay {SLOW_SMTP_SECONDS:.0f} s",
            flush=True,
        )
        common = {"env": env, "worker_count": args.workers}
        queued_slow = run_case("queued, 3 s SMTP", smtp=slow, requests=args.requests, **common)
        queued_fast = run_case(
            "queued, instant SMTP", smtp=instant, requests=args.requests, **common
        )
        inline_slow = run_case(
            "inline, 3 s SMTP",
            smtp=slow,
            requests=args.inline_requests,
            env={**env, "EMAIL_SEND_INLINE": "1"},
            worker_count=1,
        )
        with sqlite3.connect(database) as db:
            statuses = dict(
                db.execute("SELECT status, COUNT(*) FROM accounts_emaildelivery GROUP BY status")
            )

    figures = {
        "queued, 3 s SMTP": summary(queued_slow),
        "queued, instant SMTP": summary(queued_fast),
        "inline, 3 s SMTP": summary(inline_slow),
    }
    print("\n  set-up                  median ms    p95 ms")
    for name, (median, p95) in figures.items():
        print(f"  {name:<22} {median:>10.1f} {p95:>9.1f}")
    slow_median, fast_median, inline_median = (figures[name][0] for name in figures)
    print(
        f"\n  queued 3 s SMTP / queued instant SMTP: {slow_median / fast_median:.2f}x"
        " (goal: at most 1.20x)"
    )
    print(f"  inline 3 s SMTP / queued 3 s SMTP:     {inline_median / slow_median:.1f}x")
    print(f"  delivery rows: {statuses}; total {time.monotonic() - started:.0f} s", flush=True)
    ok = set(statuses) == {"sent"} and slow_median / fast_median <= 1.2
    if not ok:
        print("  FAILED: emails not all sent, or the queued sign-up is slowed by the mail server")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
