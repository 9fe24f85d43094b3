"""`make faults`: Friends under five faults, on loopback, with production settings.

Starts, all of its own and on free ports: a Redis server (so that it can be killed), the
PostgreSQL database `friends_faults` (made anew on the machine's server) reached through a TCP
proxy that can cut it, moto's S3 server (the workers reach it through a proxy that can answer
503), an SMTP server counting messages per recipient, gunicorn (2 workers) and two RQ workers
serving every queue. Short retry and sweep intervals come through the environment. Then:

1. Redis killed and started again (3 s down) amid a stream of API sign-ups and photo uploads
   with their posts: every request answers 2xx; afterwards every welcome email is delivered
   once, every photo is ready with one set of files.
2. The database cut for 20 s, while an email is being sent and a photo was just uploaded: `/`
   answers the styled 503 page, `/api/v1/feed/` a JSON 503 with Retry-After, `/healthz` 200 and
   `/readyz` 503 naming the database (when those routes exist); the workers wait, and once it is
   back every email is sent once and every photo is ready; no process died.
3. The jobs of a sent email, a ready photo, a new sign-up and a new upload delivered again
   (twice each, racing two workers): one email each, the same files.
4. S3 answering 503 to the workers for 12 s: the photos uploaded meanwhile are retried, then
   ready.
5. FILE_UPLOAD_TEMP_DIR on a 1 MB tmpfs (needs root; skipped with the reason otherwise): a
   3 MB upload answers 503 with a readable message (JSON in the API, the form again on the
   page), nothing of it stays behind, and the next small upload works.

Prints one line of figures per fault; exits non-zero when any check fails. Stops everything it
started, also on failure or Ctrl-C; at most FAULTS_DEADLINE seconds in all. Logs of the web
and the workers: var/faults/.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests
from benchlib import BASE_DIR, gunicorn, production_env
from faultproxy import FaultProxy

from friends_site.embedded_redis import EmbeddedRedis, free_port, start_redis

DATABASE = "friends_faults"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
PASSWORD = "plum-orchard-velvet-42"
BUCKET = "friends-faults"
FAULTS_DEADLINE = 420
SETTLE_TIMEOUT = 90
LOG_DIR = BASE_DIR / "var" / "faults"
# templates/503.html: the site's page, not a bare error.
STYLED_503_MARKER = "Friends is unavailable for a moment"
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/')


class CheckFailed(Exception):
    pass


@dataclass
class Stack:
    """What the faults act on and look at."""

    base: str
    redis: EmbeddedRedis
    redis_port: int
    redis_dir: Path
    database_proxy: FaultProxy
    storage_proxy: FaultProxy
    smtp: object
    workers: list[subprocess.Popen]
    upload_dir: Path
    upload_dir_not_mounted: str  # "" when mounted, else why not
    users: list[dict] = field(default_factory=list)
    signups: list[str] = field(default_factory=list)  # emails of every account made

    def url(self, path: str) -> str:
        return self.base + path


# --- Setting up -------------------------------------------------------------------------------


def main() -> int:
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGALRM, _exit_on_signal)
    signal.alarm(FAULTS_DEADLINE)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    with ExitStack() as stack:
        started = time.monotonic()
        faults = _start(stack)
        print(f"Started in {time.monotonic() - started:.0f} s: {faults.base}", flush=True)
        for name, fault in (
            ("redis restart", redis_restart),
            ("database cut", database_cut),
            ("twice delivered", twice_delivered),
            ("s3 errors", storage_errors),
            ("disk full", disk_full),
        ):
            started = time.monotonic()
            try:
                figures = fault(faults)
                _alive(faults)
            except Exception as error:  # a check, or anything unforeseen: the next fault runs
                if not isinstance(error, CheckFailed):
                    error = CheckFailed(f"{type(error).__name__}: {error}")
                failures.append(f"{name}: {error}")
                print(f"FAIL {name}: {error}", flush=True)
                continue
            print(f"ok   {name} ({time.monotonic() - started:.0f} s): {figures}", flush=True)
    if failures:
        print(f"\n{len(failures)} fault check(s) failed; logs in {LOG_DIR}", flush=True)
        return 1
    print("\nEvery fault recovered.", flush=True)
    return 0


def _exit_on_signal(signum, _frame):
    raise SystemExit(f"Stopped by signal {signum} (deadline {FAULTS_DEADLINE} s)")


def _start(stack: ExitStack) -> Stack:
    from moto.server import ThreadedMotoServer

    from accounts.tests.smtp_server import SMTPServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    work = Path(tempfile.mkdtemp(prefix="friends-faults-"))
    stack.callback(shutil.rmtree, work, ignore_errors=True)

    upload_dir = work / "upload-tmp"
    upload_dir.mkdir()
    not_mounted = _mount_tiny_tmpfs(upload_dir)  # "" when mounted, else why not
    if not not_mounted:
        stack.callback(subprocess.run, ["umount", str(upload_dir)], check=False)

    redis_port = free_port()
    redis = start_redis(port=redis_port, data_dir=work / "redis")
    faults_holder: dict[str, Stack] = {}
    stack.callback(lambda: faults_holder["stack"].redis.stop() if faults_holder else redis.stop())

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    database_proxy = FaultProxy(target_port=5432).start()
    stack.callback(database_proxy.stop)

    moto_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    stack.callback(moto.stop)
    storage_proxy = FaultProxy(target_port=moto_port).start()
    stack.callback(storage_proxy.stop)

    smtp = SMTPServer().start()
    stack.callback(smtp.stop)

    common = production_env(
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        EMAIL_URL=smtp.url,
        AWS_STORAGE_BUCKET_NAME=BUCKET,
        AWS_S3_REGION_NAME="us-east-1",
        AWS_S3_ADDRESSING_STYLE="path",
        AWS_ACCESS_KEY_ID="faults",
        AWS_SECRET_ACCESS_KEY="faults",
        FILE_UPLOAD_TEMP_DIR=str(upload_dir),
        # The sweep every 5 s; pending rows and silent claims handed out after a few seconds.
        SWEEP_INTERVAL_SECONDS="5",
        SWEEP_GRACE="2",
        CLAIM_HEARTBEAT="1",
        CLAIM_TIMEOUT="8",
        EMAIL_RETRY_INTERVALS="2,2,2,2,2,2,2,2,2",
        EMAIL_MAX_ATTEMPTS="12",
        MEDIA_RETRY_INTERVALS="2,2,2,2,2,2,2,2,2",
        MEDIA_MAX_ATTEMPTS="12",
        LOG_LEVEL="WARNING",
    )
    direct = f"{POSTGRES}/{DATABASE}"
    proxied = f"postgres://postgres@127.0.0.1:{database_proxy.port}/{DATABASE}"
    here = {
        **common,
        "DATABASE_URL": direct,
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
    }
    web = {**here, "DATABASE_URL": proxied}
    worker = {
        **web,
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{storage_proxy.port}",
        # One try per call: the job's own retries (MEDIA_RETRY_INTERVALS) are what is shown.
        "AWS_RETRY_MODE": "standard",
        "AWS_MAX_ATTEMPTS": "1",
    }

    import boto3

    boto3.client(
        "s3",
        endpoint_url=here["AWS_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="faults",
        aws_secret_access_key="faults",
    ).create_bucket(Bucket=BUCKET)

    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=BASE_DIR,
        env=here,
        check=True,
    )
    os.environ.update(here)
    import django

    django.setup()

    web_log = stack.enter_context(open(LOG_DIR / "web.log", "w"))  # noqa: SIM115
    port = stack.enter_context(gunicorn(web, workers=2, output=web_log))
    workers = []
    for number in (1, 2):
        log = stack.enter_context(open(LOG_DIR / f"worker-{number}.log", "w"))  # noqa: SIM115
        workers.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "rqworker", "default", "email", "media"]
                + ["--with-scheduler"],
                cwd=BASE_DIR,
                env=worker,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        )
    stack.callback(_stop_workers, workers)

    faults = Stack(
        base=f"http://127.0.0.1:{port}",
        redis=redis,
        redis_port=redis_port,
        redis_dir=work / "redis",
        database_proxy=database_proxy,
        storage_proxy=storage_proxy,
        smtp=smtp,
        workers=workers,
        upload_dir=upload_dir,
        upload_dir_not_mounted=not_mounted,
    )
    faults_holder["stack"] = faults
    for _ in range(3):
        faults.users.append(_signup(requests.Session(), faults))
    _settle(faults)
    return faults


def _mount_tiny_tmpfs(directory: Path) -> str:
    """Mount a 1 MB tmpfs on `directory`; "" when done, else the reason it was not."""
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(directory)],
        capture_output=True,
        text=True,
    )
    return "" if result.returncode == 0 else f"mount refused: {result.stderr.strip()}"


def _stop_workers(workers: list[subprocess.Popen]) -> None:
    """A warm shut-down (the scheduler child stops too), then the whole group is killed."""
    for process in workers:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
    for process in workers:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- The clients' side ------------------------------------------------------------------------


def _signup(session: requests.Session, faults: Stack) -> dict:
    """A new account through the API; its token. Raises CheckFailed on anything but 201."""
    name = f"u{uuid.uuid4().hex[:10]}"
    email = f"{name}@example.com"
    response = session.post(
        faults.url("/api/v1/auth/signup/"),
        json={"username": name, "email": email, "password": PASSWORD},
        timeout=30,
    )
    _expect(response, 201, "sign-up")
    faults.signups.append(email)
    response = session.post(
        faults.url("/api/v1/auth/token/"),
        json={"username": name, "password": PASSWORD},
        timeout=30,
    )
    _expect(response, (200, 201), "token")
    return {"username": name, "email": email, "token": response.json()["token"]}


def _post_photo(session: requests.Session, faults: Stack, user: dict, data: bytes) -> int:
    """Upload a photo, then a post with it; the photo's id."""
    headers = {"Authorization": f"Token {user['token']}"}
    response = session.post(
        faults.url("/api/v1/media/"),
        files={"file": ("photo.jpg", data, "image/jpeg")},
        headers=headers,
        timeout=30,
    )
    _expect(response, 202, "upload")
    media_id = response.json()["id"]
    response = session.post(
        faults.url("/api/v1/posts/"),
        json={"title": "A photo", "body": "Under a fault.", "media_ids": [media_id]},
        headers=headers,
        timeout=30,
    )
    _expect(response, 201, "post")
    return media_id


def _browser_signed_in(faults: Stack, user: dict) -> requests.Session:
    """A browser's session, signed in through the log-in form."""
    browser = requests.Session()
    login = browser.get(faults.url("/login/"), timeout=30)
    response = browser.post(
        faults.url("/login/"),
        data={
            "csrfmiddlewaretoken": _csrf_token(login.text),
            "username": user["username"],
            "password": PASSWORD,
        },
        timeout=30,
        allow_redirects=False,
    )
    _expect(response, 302, "log-in")
    return browser


def _expect(response: requests.Response, status, what: str) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    if response.status_code not in statuses:
        raise CheckFailed(f"{what} answered {response.status_code}: {response.text[:300]!r}")


def _photo(seed: int, size: tuple[int, int] = (96, 64)) -> bytes:
    from PIL import Image

    image = Image.new("RGB", size, ((seed * 40) % 256, (seed * 90) % 256, 120))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _noise_photo(min_bytes: int) -> bytes:
    """A JPEG of noise (it barely compresses) of at least `min_bytes`."""
    from PIL import Image

    side = 1200
    while True:
        image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=95)
        if out.tell() >= min_bytes:
            return out.getvalue()
        side += 200


# --- The server's side: what the database and storage say -------------------------------------


def _settle(faults: Stack, timeout: float = SETTLE_TIMEOUT) -> float:
    """Wait until no email and no photo is pending or processing; seconds it took."""
    from django.db import close_old_connections

    from accounts.models import EmailDelivery
    from media.models import Media

    started = time.monotonic()
    busy_states = ("PENDING", "PROCESSING")
    while True:
        close_old_connections()
        emails = EmailDelivery.objects.filter(
            status__in=[getattr(EmailDelivery.Status, name) for name in busy_states]
        ).count()
        photos = Media.objects.filter(
            status__in=[getattr(Media.Status, name) for name in busy_states]
        ).count()
        if not emails and not photos:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise CheckFailed(
                f"after {timeout:.0f} s, {emails} email(s) and {photos} photo(s) still unfinished"
            )
        time.sleep(0.25)


def _emails_once(faults: Stack) -> int:
    """Every account's welcome email sent, and received exactly once; how many."""
    from accounts.models import EmailDelivery

    received = Counter(str(message["To"]) for message in faults.smtp.messages)
    twice = {address: count for address, count in received.items() if count > 1}
    missing = [address for address in faults.signups if address not in received]
    if twice or missing:
        raise CheckFailed(f"emails received more than once: {twice}; never: {missing}")
    unsent = EmailDelivery.objects.exclude(status=EmailDelivery.Status.DONE).count()
    if unsent:
        raise CheckFailed(f"{unsent} email deliveries not sent")
    return len(faults.signups)


def _photos_ready(media_ids: list[int]) -> dict[int, dict[str, str]]:
    """Every photo ready with exactly its variants in storage; {id: {key: etag}}."""
    from media.models import Media

    files = {}
    for media in Media.objects.filter(pk__in=media_ids):
        if media.status != Media.Status.DONE:
            raise CheckFailed(f"photo {media.pk} is {media.status}: {media.last_error}")
        files[media.pk] = _stored_files(media)
        expected = {variant["name"] for variant in media.variants.values()}
        stored = {key.removeprefix("public/") for key in files[media.pk]}
        if stored != expected or not expected:
            raise CheckFailed(f"photo {media.pk}: stored {sorted(stored)}, not {sorted(expected)}")
    if len(files) != len(set(media_ids)):
        raise CheckFailed(f"photos lost: {sorted(set(media_ids) - set(files))}")
    return files


def _stored_files(media) -> dict[str, str]:
    from django.core.files.storage import storages

    client = storages["default"].connection.meta.client
    prefix = f"public/media/{media.pk}-{media.storage_key}/"
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return {item["Key"]: item["ETag"] for item in listing.get("Contents", [])}


def _private_objects() -> int:
    from django.core.files.storage import storages

    client = storages["default"].connection.meta.client
    return client.list_objects_v2(Bucket=BUCKET, Prefix="private/").get("KeyCount", 0)


def _alive(faults: Stack) -> None:
    """The workers and the web server lived through it."""
    for number, process in enumerate(faults.workers, 1):
        if process.poll() is not None:
            raise CheckFailed(f"worker {number} exited with {process.returncode}")
    try:
        requests.get(faults.url("/login/"), timeout=10).raise_for_status()
    except requests.RequestException as error:
        raise CheckFailed(f"the web server does not answer: {error}") from error


def _clean_page(response: requests.Response) -> bool:
    return not any(marker in response.text for marker in TRACEBACK_MARKERS)


# --- 1. Redis restarted amid sign-ups and uploads -------------------------------------------


def redis_restart(faults: Stack) -> str:
    outcomes: Counter = Counter()
    failures: list[str] = []
    media_ids: list[int] = []
    stop = threading.Event()
    lock = threading.Lock()

    def client(number: int) -> None:
        session = requests.Session()
        turn = 0
        while not stop.is_set():
            turn += 1
            try:
                if turn % 2:
                    _signup(session, faults)
                    kind = "sign-up"
                else:
                    user = faults.users[(number + turn) % len(faults.users)]
                    media_id = _post_photo(session, faults, user, _photo(turn))
                    with lock:
                        media_ids.append(media_id)
                    kind = "upload+post"
                with lock:
                    outcomes[kind] += 1
            except (CheckFailed, requests.RequestException) as error:
                with lock:
                    failures.append(str(error))

    threads = [threading.Thread(target=client, args=(number,), daemon=True) for number in range(2)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2.5)
        faults.redis.process.kill()  # no warning, as a crash
        faults.redis.process.wait()
        down_at = time.monotonic()
        time.sleep(3)
        faults.redis = start_redis(port=faults.redis_port, data_dir=faults.redis_dir)
        down_for = time.monotonic() - down_at
        time.sleep(3)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    if failures:
        raise CheckFailed(f"{len(failures)} request(s) failed, first: {failures[0]}")
    recovered = _settle(faults)
    emails = _emails_once(faults)
    _photos_ready(media_ids)
    return (
        f"{sum(outcomes.values())} requests ({outcomes['sign-up']} sign-ups, "
        f"{outcomes['upload+post']} uploads with a post), all 2xx, Redis down {down_for:.1f} s; "
        f"all done {recovered:.1f} s after the stream: {emails} welcome emails each received once, "
        f"{len(media_ids)} photos ready with one set of files"
    )


# --- 2. The database away for 20 s ----------------------------------------------------------


def database_cut(faults: Stack) -> str:
    from accounts.models import EmailDelivery

    session = requests.Session()
    user = faults.users[0]
    token = {"Authorization": f"Token {user['token']}"}
    browser = _browser_signed_in(faults, user)
    health_routed = session.get(faults.url("/healthz"), timeout=10).status_code != 404
    ready_routed = session.get(faults.url("/readyz"), timeout=10).status_code != 404

    # Work submitted just before the cut, one email in the middle of its SMTP conversation.
    faults.smtp.delay = 2
    in_data = faults.smtp.connections_in_data
    _signup(session, faults)
    media_id = _post_photo(session, faults, user, _photo(7))
    deadline = time.monotonic() + 10
    while faults.smtp.connections_in_data == in_data and time.monotonic() < deadline:
        time.sleep(0.02)
    if faults.smtp.connections_in_data == in_data:
        raise CheckFailed("no email was being sent when the cut was due")
    sending = EmailDelivery.objects.filter(status=EmailDelivery.Status.PROCESSING).count()

    faults.database_proxy.fail("cut")
    cut_at = time.monotonic()
    try:
        time.sleep(1)
        seen = _while_the_database_is_away(faults, browser, token, health_routed, ready_routed)
        time.sleep(max(0.0, 20 - (time.monotonic() - cut_at)))
    finally:
        faults.database_proxy.heal()
    faults.smtp.delay = 0
    recovered = _settle(faults)
    emails = _emails_once(faults)
    _photos_ready([media_id])
    return (
        f"cut 20 s ({faults.database_proxy.refused} connections refused): {seen}; "
        f"in flight at the cut: {sending} email(s) being sent and 1 photo; all done "
        f"{recovered:.1f} s after the database came back, {emails} welcome emails each once"
    )


def _while_the_database_is_away(faults, browser, token, health_routed, ready_routed) -> str:
    """What a signed-in browser (its session is in the database), an API client and the
    operator's probes are answered."""
    session = requests.Session()
    page = browser.get(faults.url("/"), timeout=30)
    if page.status_code != 503 or STYLED_503_MARKER not in page.text or not _clean_page(page):
        raise CheckFailed(f"/ answered {page.status_code}, not the styled 503: {page.text[:200]!r}")
    feed = session.get(faults.url("/api/v1/feed/"), headers=token, timeout=30)
    if (
        feed.status_code != 503
        or not feed.headers.get("Content-Type", "").startswith("application/json")
        or not feed.headers.get("Retry-After")
        or not feed.json().get("detail")
    ):
        raise CheckFailed(f"/api/v1/feed/ answered {feed.status_code}: {feed.text[:200]!r}")
    signup = session.post(
        faults.url("/api/v1/auth/signup/"),
        json={"username": "cutoff", "email": "cutoff@example.com", "password": PASSWORD},
        timeout=30,
    )
    if signup.status_code != 503 or "application/json" not in signup.headers["Content-Type"]:
        raise CheckFailed(f"a sign-up answered {signup.status_code}: {signup.text[:200]!r}")
    seen = (
        f"/ (signed in) styled 503, feed and sign-up JSON 503 Retry-After "
        f"{feed.headers['Retry-After']}"
    )
    if health_routed:
        health = session.get(faults.url("/healthz"), timeout=30)
        if health.status_code != 200:
            raise CheckFailed(f"/healthz answered {health.status_code}")
        seen += ", /healthz 200"
    else:
        seen += ", /healthz not routed (check skipped)"
    if ready_routed:
        ready = session.get(faults.url("/readyz"), timeout=30)
        if ready.status_code != 503 or "database" not in ready.text.lower():
            raise CheckFailed(f"/readyz answered {ready.status_code}: {ready.text[:300]!r}")
        seen += ", /readyz 503 naming the database"
    else:
        seen += ", /readyz not routed (check skipped)"
    return seen


# --- 3. The same jobs delivered twice ---------------------------------------------------------


def twice_delivered(faults: Stack) -> str:
    import django_rq

    from accounts.models import EmailDelivery
    from media.models import Media

    session = requests.Session()
    faults.smtp.delay = 1  # the copies arrive while the first run still sends
    sent = EmailDelivery.objects.filter(status=EmailDelivery.Status.DONE).first()
    ready = Media.objects.filter(status=Media.Status.DONE).first()
    before = _stored_files(ready)
    # New work, its job queued after commit, and queued twice more at once: two workers race.
    fresh_email = _signup(session, faults)["email"]
    fresh_delivery = EmailDelivery.objects.get(recipient=fresh_email)
    fresh_media = _post_photo(session, faults, faults.users[1], _photo(11))
    # "auto": queued at once, as RQ redelivering a job would, not at a commit.
    queue_email = django_rq.get_queue("email", commit_mode="auto")
    queue_media = django_rq.get_queue("media", commit_mode="auto")
    jobs = []
    for copy in (1, 2):
        for queue, job, pk in (
            (queue_email, "accounts.jobs.send_email", fresh_delivery.pk),
            (queue_media, "media.jobs.process_media", fresh_media),
            (queue_email, "accounts.jobs.send_email", sent.pk),
            (queue_media, "media.jobs.process_media", ready.pk),
        ):
            jobs.append(queue.enqueue(job, pk, job_id=f"again-{copy}-{queue.name}-{pk}"))
    deadline = time.monotonic() + 60
    while any(job.get_status(refresh=True) not in ("finished", "failed") for job in jobs):
        if time.monotonic() > deadline:
            raise CheckFailed("the jobs delivered again did not finish within 60 s")
        time.sleep(0.2)
    faults.smtp.delay = 0
    failed = [job.id for job in jobs if job.get_status() == "failed"]
    if failed:
        raise CheckFailed(f"jobs failed: {failed}")
    _settle(faults)
    emails = _emails_once(faults)
    files = _photos_ready([ready.pk, fresh_media])
    if files[ready.pk] != before:
        raise CheckFailed(f"photo {ready.pk}'s files changed: {before} -> {files[ready.pk]}")
    outcomes = Counter(job.return_value() for job in jobs)
    return (
        f"{len(jobs)} extra jobs ({dict(outcomes)}): {emails} welcome emails each once, "
        f"photo {ready.pk} kept its {len(before)} files byte for byte, "
        f"new photo {fresh_media} has one set of {len(files[fresh_media])}"
    )


# --- 4. S3 answering errors -------------------------------------------------------------------


def storage_errors(faults: Stack) -> str:
    from media.models import Media

    session = requests.Session()
    faults.storage_proxy.fail("http503")
    failing_at = time.monotonic()
    try:
        media_ids = [
            _post_photo(session, faults, faults.users[n % 3], _photo(20 + n)) for n in range(3)
        ]
        time.sleep(max(0.0, 12 - (time.monotonic() - failing_at)))
        during = Media.objects.filter(pk__in=media_ids, status=Media.Status.DONE).count()
    finally:
        faults.storage_proxy.heal()
    if during:
        raise CheckFailed(f"{during} photo(s) ready while S3 refused every request")
    recovered = _settle(faults)
    _photos_ready(media_ids)
    attempts = sorted(
        Media.objects.filter(pk__in=media_ids).values_list("attempts", flat=True), reverse=True
    )
    if attempts[0] < 2:
        raise CheckFailed(f"no photo was retried (attempts {attempts})")
    return (
        f"S3 answered 503 to {faults.storage_proxy.refused} requests in 12 s; "
        f"{len(media_ids)} photos retried (attempts {attempts}), ready {recovered:.1f} s after"
    )


# --- 5. The temporary folder's disk full ------------------------------------------------------


def disk_full(faults: Stack) -> str:
    from media.models import Media

    if faults.upload_dir_not_mounted:
        return f"SKIPPED: {faults.upload_dir_not_mounted}"
    user = faults.users[2]
    token = {"Authorization": f"Token {user['token']}"}
    big = _noise_photo(3 * 1024 * 1024)
    photos, originals = Media.objects.count(), _private_objects()

    api = requests.post(
        faults.url("/api/v1/media/"),
        files={"file": ("big.jpg", big, "image/jpeg")},
        headers=token,
        timeout=60,
    )
    if (
        api.status_code != 503
        or "application/json" not in api.headers.get("Content-Type", "")
        or "no room" not in api.json().get("detail", "")
        or not api.headers.get("Retry-After")
    ):
        raise CheckFailed(f"the API upload answered {api.status_code}: {api.text[:300]!r}")

    browser = _browser_signed_in(faults, user)
    form = browser.get(faults.url("/posts/new/"), timeout=30)
    page = browser.post(
        faults.url("/posts/new/"),
        data={"csrfmiddlewaretoken": _csrf_token(form.text), "title": "Big", "body": "Big."},
        files={"images": ("big.jpg", big, "image/jpeg")},
        timeout=60,
    )
    if (
        page.status_code != 503
        or "no room to receive this upload" not in page.text
        or 'name="title"' not in page.text
        or not _clean_page(page)
    ):
        raise CheckFailed(f"the page answered {page.status_code}: {page.text[:300]!r}")

    left = list(faults.upload_dir.iterdir())
    if left or Media.objects.count() != photos or _private_objects() != originals:
        raise CheckFailed(f"something of the refused uploads stayed behind: {left}")
    small = _post_photo(requests.Session(), faults, user, _photo(30))
    _settle(faults)
    _photos_ready([small])
    return (
        f"a {len(big) / 2**20:.1f} MB upload into a 1 MB temp folder: API 503 JSON "
        f"(Retry-After {api.headers['Retry-After']}), the form page again with 503, nothing "
        f"kept; the next small upload is ready"
    )


def _csrf_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not found:
        raise CheckFailed("no CSRF token in the page")
    return found.group(1)


if __name__ == "__main__":
    sys.exit(main())
