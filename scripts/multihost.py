"""Several hosts (`make multihost`): two web servers and two workers sharing PostgreSQL, Redis, S3.

Starts a local S3 (moto's server mode: a bucket whose `public/` objects anyone may read and whose
`private/` ones only signed requests), a PostgreSQL database made anew (MULTIHOST_DATABASE_URL,
default postgres://postgres@127.0.0.1:5432/friends_multihost), Redis database 8 of
127.0.0.1:6379 (MULTIHOST_REDIS_URL; flushed), and two "hosts", A and B, each with its own
working directory, temporary folders and MEDIA_ROOT under one temporary directory, its own
gunicorn (production settings, plain HTTP) and its own RQ worker (every queue, the scheduler).

Checks, printing times and counts, and exits non-zero when one fails:

1. a photo uploaded through host A's API, as multipart and as a direct presigned upload (the
   bytes go to S3, never to a web server), is processed by host B's worker (A's worker starts
   only afterwards; RQ's record of each job names its worker);
2. its variants are served from S3: both hosts' API answer the same bucket URLs, each fetched
   anonymously is a WebP image;
3. the originals stay private: an anonymous GET of their objects is refused (403);
4. with both workers up, the sweep runs once per SWEEP_INTERVAL_SECONDS (here 10 s) across the
   hosts: over 40 s (--window) it runs window/interval times, ±1 (not twice as often), and
   never twice within an interval.

Everything it starts is stopped at the end, also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from urllib.parse import urlparse

from benchlib import BASE_DIR, collect_static, production_env, wait_for_http

from friends_site.embedded_redis import free_port

DATABASE_URL = os.environ.get(
    "MULTIHOST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/friends_multihost"
)
REDIS_URL = os.environ.get("MULTIHOST_REDIS_URL", "redis://127.0.0.1:6379/8")
BUCKET = "friends-multihost"
REGION = "us-east-1"
SWEEP_INTERVAL = 10
READY_TIMEOUT = 60


class CheckFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)
    print(f"  ok  {message}")


@dataclass
class Host:
    name: str
    directory: Path
    env: dict[str, str]
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# --- What it starts -----------------------------------------------------------------------------


@contextmanager
def local_s3():
    """moto's S3 on a free port with the bucket; yields (endpoint, boto3 client)."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 request otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="multihost",
            aws_secret_access_key="multihost",
        )
        client.create_bucket(Bucket=BUCKET)
        # As a deployment does (docs/OPERATIONS.md): anyone may read the variants, nobody the
        # originals (no ACL on an object makes it private).
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicVariants",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{BUCKET}/public/*",
                }
            ],
        }
        client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
        yield endpoint, client
    finally:
        server.stop()


def fresh_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def fresh_redis(url: str):
    """Flush this Redis database (only it) and return a connection to it."""
    import redis

    connection = redis.Redis.from_url(url)
    connection.flushdb()
    return connection


def start(host: Host, command: list[str], log_name: str) -> subprocess.Popen:
    """A process of `host`, in its own directory and process group, its output in a log."""
    log = open(host.directory / f"{log_name}.log", "wb")  # noqa: SIM115 - closed with the run
    return subprocess.Popen(
        command,
        cwd=host.directory,
        env=host.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def web_server(host: Host) -> subprocess.Popen:
    host.port = free_port()
    return start(
        host,
        [
            sys.executable, "-m", "gunicorn", "friends_site.wsgi:application",
            "--config", str(BASE_DIR / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{host.port}", "--workers", "2",
            "--log-level", "warning", "--timeout", "60",
        ],
        "gunicorn",
    )  # fmt: skip


def worker(host: Host) -> subprocess.Popen:
    return start(
        host,
        [
            sys.executable, str(BASE_DIR / "manage.py"), "rqworker", "default", "email", "media",
            "--with-scheduler", "--name", worker_name(host),
        ],
        "worker",
    )  # fmt: skip


def worker_name(host: Host) -> str:
    return f"host-{host.name.lower()}-{os.getpid()}"


def stop(processes: list[subprocess.Popen], *, timeout: float = 15) -> None:
    """SIGTERM each process group (a worker finishes its job), then SIGKILL what remains."""
    for process in processes:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- The API, as a client ------------------------------------------------------------------------


def api(method: str, host: Host, path: str, token: str | None = None, **kwargs):
    import requests

    headers = {"Authorization": f"Token {token}"} if token else {}
    response = requests.request(
        method, f"{host.url}/api/v1/{path}", headers=headers, timeout=30, **kwargs
    )
    return response


def expect(response, status: int, what: str) -> dict:
    if response.status_code != status:
        raise CheckFailed(f"{what}: {response.status_code} {response.text[:300]}")
    return response.json()


def test_jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1200, 800), (200, 40, 90)).save(out, "JPEG", quality=90)
    return out.getvalue()


def wait_ready(host: Host, token: str, media_ids: list[int]) -> dict[int, dict]:
    deadline = time.monotonic() + READY_TIMEOUT
    items: dict[int, dict] = {}
    while time.monotonic() < deadline:
        items = {
            media_id: expect(api("GET", host, f"media/{media_id}/", token), 200, "GET media")
            for media_id in media_ids
        }
        if all(item["status"] in ("ready", "failed") for item in items.values()):
            return items
        time.sleep(0.3)
    raise CheckFailed(f"not ready within {READY_TIMEOUT} s: {items}")


# --- The run -------------------------------------------------------------------------------------


def run(window: float) -> None:
    started = time.monotonic()
    processes: list[subprocess.Popen] = []
    with ExitStack() as stack:
        root = Path(tempfile.mkdtemp(prefix="friends-multihost-"))
        stack.callback(shutil.rmtree, root, ignore_errors=True)
        stack.callback(lambda: stop(processes))
        try:
            fetched = run_hosts(stack, root, processes, window, started)
        except (CheckFailed, RuntimeError, subprocess.CalledProcessError):
            print_logs(root)
            raise
    print(f"multihost: all checks passed in {time.monotonic() - started:.1f} s "
          f"({fetched} variants fetched from S3)")  # fmt: skip


def run_hosts(
    stack: ExitStack, root: Path, processes: list[subprocess.Popen], window: float, started: float
) -> int:
    """Everything of the run but cleaning up; returns how many variants it fetched from S3."""
    import requests
    from rq.job import Job
    from rq.registry import FinishedJobRegistry, StartedJobRegistry

    endpoint, s3 = stack.enter_context(local_s3())
    fresh_database(DATABASE_URL)
    redis = fresh_redis(REDIS_URL)
    print(f"S3 {endpoint} bucket {BUCKET}; {DATABASE_URL}; {REDIS_URL}")

    secret = secrets.token_urlsafe(50)
    hosts = []
    for name in ("A", "B"):
        directory = root / f"host-{name.lower()}"
        temp = directory / "tmp"
        temp.mkdir(parents=True)
        env = production_env(
            DJANGO_SECRET_KEY=secret,
            DATABASE_URL=DATABASE_URL,
            REDIS_URL=REDIS_URL,
            EMAIL_URL="dummymail://",
            AWS_STORAGE_BUCKET_NAME=BUCKET,
            AWS_S3_ENDPOINT_URL=endpoint,
            AWS_S3_REGION_NAME=REGION,
            AWS_S3_ADDRESSING_STYLE="path",
            AWS_ACCESS_KEY_ID="multihost",
            AWS_SECRET_ACCESS_KEY="multihost",
            MEDIA_ROOT=str(directory / "media"),
            FILE_UPLOAD_TEMP_DIR=str(temp),
            TMPDIR=str(temp),
            SWEEP_INTERVAL_SECONDS=str(SWEEP_INTERVAL),
            EVENTS_CHANNEL_PREFIX=f"multihost{os.getpid()}",
            PYTHONPATH=str(BASE_DIR),
        )
        hosts.append(Host(name=name, directory=directory, env=env))
    host_a, host_b = hosts

    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=BASE_DIR, env=host_a.env, check=True,
    )  # fmt: skip
    collect_static(host_a.env)
    print(f"database migrated, static collected: {time.monotonic() - started:.1f} s")

    processes += [web_server(host_a), web_server(host_b), worker(host_b)]
    for host in hosts:
        wait_for_http(host.port, timeout=60)
    print(f"hosts up (A: {host_a.url}, B: {host_b.url}, worker on B only): "
          f"{time.monotonic() - started:.1f} s")  # fmt: skip

    # --- 1. Uploaded through A, processed by B ---------------------------------------------
    print("Uploads through host A:")
    account = {"username": "multihost", "email": "multihost@example.com"}
    password = secrets.token_urlsafe(16)
    expect(api("POST", host_a, "auth/signup/", json={**account, "password": password}), 201,
           "sign-up on A")  # fmt: skip
    token = expect(
        api("POST", host_b, "auth/token/",
            json={"username": "multihost", "password": password}),
        200, "token from B",
    )["token"]  # fmt: skip
    limits = expect(api("GET", host_a, "limits/"), 200, "limits")
    check(limits["direct_uploads"] is True, "GET limits/ says direct uploads are available")

    photo = test_jpeg()
    upload_started = time.monotonic()
    multipart = expect(
        api("POST", host_a, "media/", token,
            files={"file": ("photo.jpg", photo, "image/jpeg")}),
        202, "multipart upload on A",
    )  # fmt: skip
    direct = expect(
        api("POST", host_a, "media/uploads/", token,
            json={"content_type": "image/jpeg", "size": len(photo)}),
        201, "direct upload started on A",
    )  # fmt: skip
    early = api("POST", host_a, f"media/{direct['id']}/complete/", token)
    check(early.status_code == 409, "complete/ before the file is in S3 is a 409")
    sent = requests.post(
        direct["upload"]["url"], data=direct["upload"]["fields"],
        files={"file": ("photo.jpg", photo, "image/jpeg")}, timeout=30,
    )  # fmt: skip
    check(sent.status_code in (200, 201, 204), f"the presigned POST to S3: {sent.status_code}")
    completed = expect(
        api("POST", host_a, f"media/{direct['id']}/complete/", token), 202, "complete/ on A"
    )
    check(completed["status"] == "pending", "complete/ answers 202 pending")
    media_ids = [multipart["id"], direct["id"]]
    ready_on_b = wait_ready(host_b, token, media_ids)
    ready_seconds = time.monotonic() - upload_started
    check(all(item["status"] == "ready" for item in ready_on_b.values()),
          f"both photos ready ({ready_seconds:.1f} s from the first upload)")  # fmt: skip
    for media_id in media_ids:
        job = Job.fetch(f"media-{media_id}-0", connection=redis)
        check(job.worker_name == worker_name(host_b),
              f"media {media_id} processed by {job.worker_name}")  # fmt: skip

    # --- 2. Served from S3 through either host --------------------------------------------
    print("Variants served from S3:")
    ready_on_a = wait_ready(host_a, token, media_ids)
    fetched = 0
    for media_id in media_ids:
        variants_a = ready_on_a[media_id]["variants"]
        variants_b = ready_on_b[media_id]["variants"]
        check(variants_a == variants_b and set(variants_a) >= {"display", "thumbnail"},
              f"media {media_id}: A and B answer the same variants")  # fmt: skip
        for variant in variants_a.values():
            check(variant["url"].startswith(f"{endpoint}/{BUCKET}/public/"),
                  f"{variant['url']} is in the bucket")  # fmt: skip
            response = requests.get(variant["url"], timeout=10)  # anonymous
            check(response.status_code == 200 and response.content[8:12] == b"WEBP",
                  f"anonymous GET of it: {response.status_code}, a WebP image")  # fmt: skip
            fetched += 1

    # --- 3. Originals stay private -------------------------------------------------------
    print("Originals:")
    originals = s3.list_objects_v2(Bucket=BUCKET, Prefix="private/").get("Contents", [])
    check(len(originals) == 2, f"{len(originals)} originals under private/")
    for original in originals:
        response = requests.get(f"{endpoint}/{BUCKET}/{original['Key']}", timeout=10)
        check(response.status_code == 403,
              f"anonymous GET of {original['Key']}: {response.status_code}")  # fmt: skip

    # --- 4. One sweep per interval across both hosts ---------------------------------------
    print(f"Sweeps, both workers up, over {window:.0f} s (interval {SWEEP_INTERVAL} s):")
    processes.append(worker(host_a))
    time.sleep(2)  # A's worker starts
    window_start = time.time()
    time.sleep(window)
    window_end = time.time()
    job_ids = set(FinishedJobRegistry("default", connection=redis).get_job_ids())
    job_ids |= set(StartedJobRegistry("default", connection=redis).get_job_ids())
    sweeps = []
    for job in Job.fetch_many(sorted(job_ids), connection=redis):
        if job is None or job.func_name != "core.sweep.run_sweep":
            continue
        at = job.enqueued_at.replace(tzinfo=job.enqueued_at.tzinfo or UTC).timestamp()
        if window_start <= at < window_end:
            sweeps.append((at, job.worker_name))
    sweeps.sort()
    gaps = [later[0] - earlier[0] for earlier, later in zip(sweeps, sweeps[1:], strict=False)]
    expected = window / SWEEP_INTERVAL
    runners = sorted({name or "?" for _at, name in sweeps})
    print(f"  sweeps: {len(sweeps)} (expected {expected:.1f} ± 1), gaps "
          f"{', '.join(f'{gap:.1f}' for gap in gaps)} s, run by {', '.join(runners)}")  # fmt: skip
    check(abs(len(sweeps) - expected) <= 1, f"{len(sweeps)} sweeps in {window:.0f} s")
    check(all(gap >= SWEEP_INTERVAL - 0.5 for gap in gaps),
          "never two sweeps within one interval")  # fmt: skip
    exited = [process.args[2] for process in processes if process.poll() is not None]
    check(not exited, "every web server and worker still running")
    return fetched


def _interrupted(signum, frame) -> None:
    """SIGTERM (CI cancelling) cleans up as Ctrl-C does."""
    raise KeyboardInterrupt


def print_logs(root: Path) -> None:
    """The last lines of every process's log, to see why a check failed."""
    for log in sorted(root.glob("host-*/*.log")):
        lines = log.read_text(errors="replace").splitlines()[-25:]
        print(f"--- {log.relative_to(root)} (last {len(lines)} lines)", file=sys.stderr)
        print("\n".join(lines), file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=40, help="seconds of sweeps watched")
    arguments = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        run(arguments.window)
    except CheckFailed as error:
        print(f"multihost: FAILED: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("multihost: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
