"""`make load`: 50 simulated people for 60 s against the production set-up on loopback, then
checks that nothing was lost.

    python scripts/load.py [--users 50] [--spawn-rate 10] [--duration 60]

Starts, on 127.0.0.1 only: an SMTP sink counting messages per recipient, gunicorn with 4
workers and production settings (rate limits off, plain HTTP), and two RQ workers on every
queue with the scheduler (at a lower CPU priority, nice 10), on PostgreSQL (LOAD_DATABASE_URL,
default the database friends_load, made anew each run) and database 9 of REDIS_URL's Redis
server (emptied at the start; an embedded Redis when none answers). Then runs Locust headless
(scripts/locustfile.py: people sign up, follow, post text and photos, read the feed and pages,
like and comment) and prints
requests per second, p50, p95 and p99 per endpoint and every error, the latency of the
requests that hash a password apart from the rest, and the CPU time the web server, the
workers and Locust used (the machine is small, and may be shared). It then checks:

  - no request failed (every answer outside 2xx is a failure, and so is an exception in a
    simulated person);
  - p95 over all requests under 500 ms;
  - every post the people created is in the database, and none that nobody sent;
  - every photo they uploaded is `ready` within 60 s of the end;
  - every person got exactly one welcome email, and every delivery row says `sent`.

Prints PASS or FAIL for each, exits non-zero on any FAIL, and stops everything it started in
every case (Ctrl-C too).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from email.utils import getaddresses
from pathlib import Path

from benchlib import BASE_DIR, gunicorn, percentile, production_env, stop_processes
from fuzz import fresh_database

from accounts.tests.smtp_server import SMTPServer
from friends_site.embedded_redis import free_port, redis_answers, start_redis

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/friends_load"
REDIS_DB = 9
P95_LIMIT_MS = 500
# After the load stops: how long photos and emails may take to be done.
SETTLE_TIMEOUT = 60
# After the last expected email: how long to listen for a second copy of any.
DUPLICATE_WATCH = 3
# The requests that hash a password (Locust's names for them, scripts/locustfile.py).
PASSWORD_HASHING = {"/api/v1/auth/signup/", "/api/v1/auth/token/", "/signup/ (POST)"}
WORKER_COMMAND = ["manage.py", "rqworker", "default", "email", "media", "--with-scheduler"]
# Web and workers share this machine's two cores: the workers run at a lower CPU priority, as
# deploy/systemd/friends-worker@.service runs them (Nice=10), so that a burst of jobs (a fork
# each) waits for the cores a request needs instead of the request waiting for it. The jobs
# still have to finish within SETTLE_TIMEOUT of the end: checked below.
WORKER_NICENESS = 10


def run_locust(*, port: int, args, work: Path, run: str) -> dict:
    """Locust headless against the port; returns what the people recorded (locustfile.py)."""
    record = work / "record.json"
    command = [
        str(Path(sys.executable).parent / "locust"),
        "-f", str(BASE_DIR / "scripts" / "locustfile.py"),
        "--headless",
        "-u", str(args.users),
        "-r", str(args.spawn_rate),
        "-t", f"{args.duration}s",
        # When the time is up, each person finishes what they are doing (the post they are
        # sending is answered and recorded) instead of being cut off mid-request.
        "--stop-timeout", "15",
        "--host", f"http://127.0.0.1:{port}",
        "--only-summary",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    print("$ " + " ".join(command), flush=True)
    env = {**os.environ, "LOAD_RUN": run, "LOAD_RECORD": str(record)}
    # Locust's own summary goes to a file (the table below says the same); its warnings show.
    # It exits 1 when a request failed: the checks below say so, with the details.
    with open(work / "locust.log", "w") as log:
        subprocess.run(command, cwd=BASE_DIR, env=env, stdout=log, timeout=args.duration + 120)
    if not record.exists():
        print((work / "locust.log").read_text()[-3000:])
        raise RuntimeError("Locust stopped without writing its record")
    return json.loads(record.read_text())


def print_stats(record: dict, duration: float) -> None:
    header = f"{'method':<6} {'endpoint':<42} {'requests':>8} {'errors':>6} {'req/s':>6}"
    header += f" {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    print("\n" + header)
    print("-" * len(header))
    for row in [*sorted(record["endpoints"], key=lambda row: row["name"]), record["total"]]:
        print(
            f"{row['method'][:6]:<6} {row['name'][:42]:<42} {row['requests']:>8}"
            f" {row['errors']:>6} {row['rps']:>6.1f} {row['p50']:>7.0f} {row['p95']:>7.0f}"
            f" {row['p99']:>7.0f} {row['max']:>7.0f}"
        )
    print(f"(over {duration:.0f} s of load; Locust rounds times over 100 ms to 2 digits)")
    for error in record["errors"]:
        print(
            f"  error x{error['occurrences']}: {error['method']} {error['name']}:"
            f" {error['error'][:200]}"
        )
    for exception in record["exceptions"]:
        print(f"  exception x{exception['count']} in the people: {exception['message'][:200]}")


def print_phases(record: dict) -> None:
    """Where the time went: the sign-ups and log-ins (a password hash each) against the rest,
    and the rest once the last of them was answered."""
    timeline = record["timeline"]
    hashing = [row for row in timeline if row[1] in PASSWORD_HASHING]
    others = [row for row in timeline if row[1] not in PASSWORD_HASHING]
    if not hashing or not others:
        return
    last = max(when for when, _name, _ms in hashing)
    after = [row for row in others if row[0] > last]
    during = [row for row in others if row[0] <= last]
    print("\nLatency by phase (ms):")
    for label, rows in (
        ("sign-up and log-in requests (a password hash each)", hashing),
        ("all other requests", others),
        ("  answered while sign-ups were still going on", during),
        ("  answered after the last sign-up or log-in", after),
    ):
        if rows:
            times = [ms for _when, _name, ms in rows]
            print(
                f"  {label:<52} {len(rows):>6} requests  p50 {percentile(times, 0.5):>6.0f}"
                f"  p95 {percentile(times, 0.95):>6.0f}  p99 {percentile(times, 0.99):>6.0f}"
            )
    started = min(when for when, _name, _ms in timeline)
    print(f"  the last sign-up or log-in was answered {last - started:.0f} s into the run")


def cpu_seconds() -> Counter:
    """CPU time (user and system, with that of reaped children) of the web server and the
    workers this script started, by kind."""
    import psutil

    totals: Counter = Counter()
    for process in psutil.Process().children(recursive=True):
        try:
            command = " ".join(process.cmdline())
            times = process.cpu_times()
        except psutil.Error:
            continue  # ended meanwhile
        kind = "web" if "gunicorn" in command else "RQ workers" if "rqworker" in command else ""
        if kind:
            totals[kind] += times.user + times.system + times.children_user + times.children_system
    return totals


def own_children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_until(check, timeout: float, interval: float = 0.5):
    """Call `check` until it returns (True, detail) or the time is up; the last detail."""
    deadline = time.monotonic() + timeout
    while True:
        done, detail = check()
        if done or time.monotonic() >= deadline:
            return done, detail
        time.sleep(interval)


def verify(*, run: str, record: dict, smtp: SMTPServer, settled_since: float) -> list[tuple]:
    """The checks against the database and the SMTP sink: (name, ok, detail) each."""
    from accounts.models import EmailDelivery, User
    from media.models import Media
    from posts.models import Post

    results = []
    people = User.objects.filter(username__startswith=run)
    confirmed = {person["email"] for person in record["signed_up"]}
    # Everyone the run made, also a sign-up whose answer the end of the run cut off.
    emails = set(people.values_list("email", flat=True))
    results.append(
        (
            "every sign-up is a person in the database",
            confirmed <= emails,
            f"{len(confirmed)} answered, {len(emails)} in the database",
        )
    )

    created = set(record["post_ids"])
    stored = set(Post.objects.filter(author__in=people).values_list("id", flat=True))
    missing = created - stored
    results.append(
        (
            "every post created is in the database",
            not missing and len(stored) <= record["post_attempts"],
            f"{len(created)} created, {len(stored)} in the database,"
            f" {record['post_attempts']} attempted"
            + (f"; missing {sorted(missing)[:10]}" if missing else ""),
        )
    )

    uploaded = set(record["media_ids"])
    photos = Media.objects.filter(owner__in=people)

    def photos_ready():
        statuses = Counter(photos.values_list("status", flat=True))
        known = set(photos.values_list("id", flat=True))
        done = uploaded <= known and statuses[Media.Status.DONE] == sum(statuses.values())
        return done, statuses

    ready, statuses = wait_until(photos_ready, SETTLE_TIMEOUT - (time.monotonic() - settled_since))
    results.append(
        (
            f"every photo ready within {SETTLE_TIMEOUT} s of the end",
            ready,
            f"{len(uploaded)} uploaded, "
            + ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
            + f" after {time.monotonic() - settled_since:.1f} s",
        )
    )

    deliveries = EmailDelivery.objects.filter(user__in=people)

    def emails_sent():
        received = Counter(
            address.lower()
            for message in smtp.wait_for(0, timeout=0)
            for _name, address in getaddresses(message.get_all("To", []))
        )
        statuses = Counter(deliveries.values_list("status", flat=True))
        done = all(received[email] >= 1 for email in emails) and statuses[
            EmailDelivery.Status.DONE
        ] == sum(statuses.values())
        return done, (received, statuses)

    sent, (received, statuses) = wait_until(
        emails_sent, SETTLE_TIMEOUT - (time.monotonic() - settled_since)
    )
    if sent:
        time.sleep(DUPLICATE_WATCH)  # a second copy of any would arrive now
        _sent, (received, statuses) = emails_sent()
    kinds = Counter(deliveries.values_list("kind", flat=True))
    once = [email for email in emails if received[email] == 1]
    twice = [email for email in emails if received[email] > 1]
    strangers = set(received) - emails
    results.append(
        (
            "every person got exactly one welcome email",
            len(once) == len(emails) and not strangers and kinds == {"welcome": len(emails)},
            f"{len(once)} of {len(emails)} exactly once, {len(twice)} more than once, "
            f"{len(emails) - len(once) - len(twice)} none, {len(strangers)} to others; "
            f"delivery rows {dict(kinds)}",
        )
    )
    results.append(
        (
            "every email delivery row says sent",
            bool(statuses) and set(statuses) == {EmailDelivery.Status.DONE},
            ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())),
        )
    )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    args = parser.parse_args()
    started = time.monotonic()
    # Stopped from outside (a CI timeout, kill): unwind like Ctrl-C, so that everything
    # started here is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    database_url = os.environ.get("LOAD_DATABASE_URL", DEFAULT_DATABASE_URL)
    fresh_database(database_url)
    base_redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    redis_url = f"{base_redis}/{REDIS_DB}"
    run = "ld" + uuid.uuid4().hex[:6]
    results: list[tuple] = []
    with ExitStack() as stack:
        if not redis_answers(redis_url):
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="load-redis-")))
            embedded = start_redis(port=free_port(), data_dir=data_dir)
            stack.callback(embedded.stop)
            redis_url = embedded.url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
        import redis

        redis.Redis.from_url(redis_url).flushdb()  # the run's own database, and no other
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="friends-load-")))
        (work / "media").mkdir()
        smtp = stack.enter_context(SMTPServer())
        env = production_env(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            MEDIA_ROOT=str(work / "media"),
            EMAIL_URL=smtp.url,
            RATELIMIT_ENABLE="0",
            DJANGO_HTTPS="0",
            LOG_LEVEL="WARNING",
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
        )
        port = stack.enter_context(gunicorn(env, workers=4))
        worker_log = open(work / "workers.log", "w")  # noqa: SIM115  closed by the stack
        stack.callback(worker_log.close)
        workers = [
            subprocess.Popen(
                [sys.executable, *WORKER_COMMAND],
                cwd=BASE_DIR,
                env=env,
                preexec_fn=lambda: os.nice(WORKER_NICENESS),
                stdout=worker_log,
                stderr=subprocess.STDOUT,
            )
            for _ in range(2)
        ]
        stack.callback(stop_processes, workers, timeout=20)
        print(
            f"gunicorn (4 workers) on 127.0.0.1:{port}, 2 RQ workers (nice {WORKER_NICENESS}),"
            f" SMTP sink on {smtp.url},"
            f" {database_url}, {redis_url}; people named {run}*; set up in"
            f" {time.monotonic() - started:.0f} s",
            flush=True,
        )

        load_started = time.monotonic()
        cpu_before, locust_before, load_before = cpu_seconds(), own_children_cpu(), os.getloadavg()
        record = run_locust(port=port, args=args, work=work, run=run)
        settled_since = time.monotonic()
        cpu = cpu_seconds() - cpu_before
        cpu["Locust"] = own_children_cpu() - locust_before  # the only child reaped meanwhile
        print_stats(record, settled_since - load_started)
        print_phases(record)
        elapsed = settled_since - load_started
        print(
            "\nCPU seconds used during the load: "
            + ", ".join(f"{kind} {seconds:.0f}" for kind, seconds in sorted(cpu.items()))
            + f", of {os.cpu_count()} cores x {elapsed:.0f} s = {os.cpu_count() * elapsed:.0f};"
            f" the machine's load average (1 min) {load_before[0]:.1f} before,"
            f" {os.getloadavg()[0]:.1f} after (others' work shares the cores)"
        )
        total = record["total"]
        raised = sum(exception["count"] for exception in record["exceptions"])
        results.append(
            (
                "no request failed",
                total["errors"] == 0 and raised == 0 and total["requests"] > 0,
                f"{total['errors']} errors in {total['requests']} requests, {raised} exceptions"
                " in the simulated people",
            )
        )
        slowest = max(record["endpoints"], key=lambda row: row["p95"])
        results.append(
            (
                f"p95 over all requests under {P95_LIMIT_MS} ms",
                total["p95"] < P95_LIMIT_MS,
                f"p95 {total['p95']:.0f} ms, p50 {total['p50']:.0f} ms, p99 {total['p99']:.0f}"
                f" ms, {total['rps']:.1f} req/s; slowest p95: {slowest['method']}"
                f" {slowest['name']} {slowest['p95']:.0f} ms",
            )
        )

        os.environ.update(env)
        import django

        django.setup()
        results += verify(run=run, record=record, smtp=smtp, settled_since=settled_since)
        if not all(ok for _name, ok, _detail in results):
            print("\nThe workers' last lines:")
            worker_log.flush()
            print("".join((work / "workers.log").read_text().splitlines(True)[-30:]))

    print()
    for name, ok, detail in results:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    failed = not all(ok for _name, ok, _detail in results)
    print(f"\nload: {'FAILED' if failed else 'OK'} in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # everything started was stopped on the way out
        print("\nload: interrupted; everything it started is stopped")
        sys.exit(130)
