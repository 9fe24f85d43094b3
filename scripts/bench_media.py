"""Media: upload latency of a 24 MP vs a 0.1 MP JPEG, time to ready, the job vs bare Pillow, memory.

Starts a Redis server of its own, gunicorn with production settings on a temporary SQLite
database and media folder (rate limits off), then measures:

  (a) POST /api/v1/media/ median latency, a photo-like 24-megapixel JPEG (several MB, like a
      camera's) vs a 0.1-megapixel JPEG, interleaved on loopback (goal: at most 1.3x). Two more
      series split the photo's time: a smooth 24 MP JPEG of a few hundred kB (the pixel count
      alone: goal 1.3x of the 0.1 MP one) and the photo's byte count of zeros, refused at the
      first bytes (moving the body through gunicorn and the multipart parser, no image work).
      Every request body is built once, before the timed loop. Then, with one RQ worker, the
      time from the upload of a 24 MP JPEG (EXIF orientation 6, GPS tags) until GET media/<id>/
      says "ready" (goal: under 10 s), and checks the served display variant: upright, no EXIF.
  (b) the media job (media.services.media_process: read the original from storage, decode,
      orient, sRGB, two WebP variants, blurhash, write, mark ready) against a minimal Pillow
      pipeline doing the same decode (draft), resize and WebP encode, same run, interleaved
      (goal: at most 1.3x).
  (c) the peak memory (ru_maxrss from wait4) of a process running the job on a 24 MP vs a 1 MP
      JPEG (goal: at most 2x), and of one that only starts up (Django, Pillow) for reference.

Stops every process it started and deletes its files. Run: `python scripts/bench_media.py`
(or `make bench`); `--rounds N` changes the sample size.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

from benchlib import BASE_DIR, gunicorn, production_env, stop_processes

from friends_site.embedded_redis import free_port, start_redis

READY_TIMEOUT = 60
CHILD = """
import os, sys, django
django.setup()
from media.models import Media
from media.services import media_process
if sys.argv[1] != "baseline":
    media_id = int(sys.argv[1])
    Media.objects.filter(pk=media_id).update(status="pending", attempts=0)
    outcome = media_process(media_id=media_id)
    assert outcome == "done", outcome
else:
    from media import imaging  # noqa: F401  the same imports, no image
    Media.objects.exists()
"""


def photo_jpeg(width: int, height: int, *, orientation: int | None = None, gps=False) -> bytes:
    """A photo-like JPEG: smooth gradients with grain, so it compresses like a camera picture."""
    from PIL import Image, ImageChops

    gradient = Image.linear_gradient("L").resize((width, height))
    channels = []
    for sigma, shift in ((30, 0), (40, 60), (50, 120)):
        grain = Image.effect_noise((max(1, width // 2), max(1, height // 2)), sigma)
        grain = grain.resize((width, height), Image.Resampling.BILINEAR)
        channels.append(ImageChops.add(grain, gradient.point(lambda v, s=shift: (v + s) % 256), 2))
    image = Image.merge("RGB", channels)
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 5.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def smooth_jpeg(width: int, height: int) -> bytes:
    """A 24 MP JPEG of few bytes (a plain gradient): what the pixel count alone costs."""
    from PIL import Image

    out = io.BytesIO()
    Image.linear_gradient("L").resize((width, height)).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def multipart(name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = b"".join(
        [
            f"--{boundary}\r\n".encode(),
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'.encode(),
            b"Content-Type: image/jpeg\r\n\r\n",
            data,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    return body, f"multipart/form-data; boundary={boundary}"


def upload(
    connection: http.client.HTTPConnection,
    token: str,
    data: bytes | tuple[bytes, str],
    *,
    expect: int = 202,
) -> tuple[float, dict]:
    """One timed upload; `data` is a file's bytes or a body already built by multipart()."""
    body, content_type = data if isinstance(data, tuple) else multipart("file", "photo.jpg", data)
    headers = {"Authorization": f"Token {token}", "Content-Type": content_type}
    started = time.perf_counter()
    connection.request("POST", "/api/v1/media/", body=body, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    elapsed = time.perf_counter() - started
    if response.status != expect:
        raise RuntimeError(f"Upload answered {response.status}: {payload[:300]!r}")
    return elapsed, json.loads(payload)


def get_json(connection: http.client.HTTPConnection, token: str, path: str) -> dict:
    connection.request("GET", path, headers={"Authorization": f"Token {token}"})
    response = connection.getresponse()
    payload = response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}: {payload[:300]!r}")
    return json.loads(payload)


@contextmanager
def media_worker(env: dict[str, str], redis_url: str):
    """One RQ worker on the "media" queue; returns once it is registered; stopped on exit."""
    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(redis_url)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "media"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not Worker.all(connection=connection):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("The RQ worker did not start")
            time.sleep(0.1)
        yield process
    finally:
        stop_processes([process], timeout=20)


def minimal_pipeline(data: bytes, *, display: int, thumbnail: int, quality: int) -> None:
    """What any image service must do at least: decode (draft), resize, encode two WebPs."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    scale = display / max(image.size)
    size = (round(image.width * scale), round(image.height * scale))
    image.draft("RGB", size)
    image = image.convert("RGB").resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    image.save(io.BytesIO(), "WEBP", quality=quality, method=4)
    scale = thumbnail / max(image.size)
    small = image.resize(
        (round(image.width * scale), round(image.height * scale)),
        Image.Resampling.LANCZOS,
        reducing_gap=3.0,
    )
    small.save(io.BytesIO(), "WEBP", quality=quality, method=4)


# A small launcher reports the child's peak: a child forked straight from this big process
# would inherit its peak (Linux keeps ru_maxrss across exec).
LAUNCHER = """
import os, subprocess, sys
process = subprocess.Popen(sys.argv[1:])
_pid, status, usage = os.wait4(process.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def peak_rss_mb(env: dict[str, str], argument: str) -> float:
    """Peak resident memory (MB) of a fresh process running CHILD with `argument`."""
    result = subprocess.run(
        [sys.executable, "-c", LAUNCHER, sys.executable, "-c", CHILD, argument],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    code, max_rss = result.stdout.split()
    if int(code):
        raise RuntimeError(f"The memory probe ({argument}) failed: {result.stderr[-500:]}")
    return int(max_rss) / 1024  # kilobytes on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed uploads per size")
    parser.add_argument("--job-rounds", type=int, default=5, help="job and pipeline runs")
    args = parser.parse_args()
    started = time.monotonic()

    big = photo_jpeg(6000, 4000)
    smooth = smooth_jpeg(6000, 4000)
    tiny = photo_jpeg(400, 250)
    one_mp = photo_jpeg(1224, 817)
    rotated = photo_jpeg(6000, 4000, orientation=6, gps=True)

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-media-")))
        redis = start_redis(port=free_port(), data_dir=tmp / "redis")
        stack.callback(redis.stop)
        env = production_env(
            DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
            REDIS_URL=redis.url,
            MEDIA_ROOT=str(tmp / "media"),
            LOG_LEVEL="ERROR",  # the refused uploads of series (a) are expected 415s
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
        )
        os.environ.update(env)
        import django

        django.setup()
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core.files.uploadedfile import SimpleUploadedFile

        from accounts.services import token_create
        from media.models import Media
        from media.services import media_create, media_process

        user = get_user_model().objects.create_user("bench", "bench@example.com", "x-long-pw-42")
        _token, token = token_create(user=user, name="Media benchmark")
        print(
            f"Media benchmark: 24 MP JPEG {len(big) / 1e6:.1f} MB, 0.1 MP JPEG "
            f"{len(tiny) / 1e3:.0f} kB, 1 MP JPEG {len(one_mp) / 1e3:.0f} kB; gunicorn 2 workers, "
            "SQLite, local storage",
            flush=True,
        )

        # (a) upload latency, then time to ready with one worker.
        with gunicorn(env) as port:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            # The bodies are built once: the timed section only sends them.
            tiny_body = multipart("file", "photo.jpg", tiny)
            big_body = multipart("file", "photo.jpg", big)
            smooth_body = multipart("file", "photo.jpg", smooth)
            # The same number of bytes that are no image: refused at the first bytes (415), so
            # this is what moving the body through the server costs, without any image work.
            zeros_body = multipart("file", "photo.jpg", b"\0" * len(big))
            for _ in range(2):
                upload(connection, token, tiny_body)
                upload(connection, token, big_body)
            big_times, tiny_times, bytes_times, smooth_times = [], [], [], []
            for _ in range(args.rounds):
                tiny_times.append(upload(connection, token, tiny_body)[0])
                big_times.append(upload(connection, token, big_body)[0])
                bytes_times.append(upload(connection, token, zeros_body, expect=415)[0])
                smooth_times.append(upload(connection, token, smooth_body)[0])
            from redis import Redis
            from rq import Queue

            Queue("media", connection=Redis.from_url(redis.url)).empty()  # not timed: no worker

            ready_times = []
            with media_worker(env, redis.url):
                for _ in range(3):
                    began = time.perf_counter()
                    _elapsed, item = upload(connection, token, rotated)
                    while item["status"] not in ("ready", "failed"):
                        if time.perf_counter() - began > READY_TIMEOUT:
                            raise RuntimeError("The upload was not ready in time")
                        time.sleep(0.05)
                        item = get_json(connection, token, f"/api/v1/media/{item['id']}/")
                    ready_times.append(time.perf_counter() - began)
                    if item["status"] != "ready":
                        raise RuntimeError(f"Processing failed: {item['error']}")
            display = item["variants"]["display"]
            path = display["url"].split(str(port), 1)[-1]
            connection.request("GET", path)
            response = connection.getresponse()
            served = response.read()
            nosniff = response.getheader("X-Content-Type-Options")
            connection.close()

        from PIL import Image

        served_image = Image.open(io.BytesIO(served))
        served_ok = (
            served_image.size == (1365, 2048)
            and b"Exif" not in served
            and not served_image.getexif()
            and nosniff == "nosniff"
        )

        # (b) the job against a minimal Pillow pipeline, same process, interleaved.
        media = media_create(owner=user, file=SimpleUploadedFile("big.jpg", big))
        Queue("media", connection=Redis.from_url(redis.url)).empty()
        sizes = {
            "display": settings.MEDIA_DISPLAY_SIZE,
            "thumbnail": settings.MEDIA_THUMBNAIL_SIZE,
            "quality": settings.MEDIA_WEBP_QUALITY,
        }
        job_times, pillow_times = [], []
        for round_number in range(args.job_rounds + 1):
            began = time.perf_counter()
            minimal_pipeline(big, **sizes)
            pillow_time = time.perf_counter() - began
            Media.objects.filter(pk=media.pk).update(status="pending", attempts=0)
            began = time.perf_counter()
            outcome = media_process(media_id=media.pk)
            job_time = time.perf_counter() - began
            assert outcome == "done", outcome
            if round_number:  # the first round warms up both
                pillow_times.append(pillow_time)
                job_times.append(job_time)

        # (c) peak memory of a process running the job: 24 MP vs 1 MP (and bare start-up).
        small_media = media_create(owner=user, file=SimpleUploadedFile("one.jpg", one_mp))
        Queue("media", connection=Redis.from_url(redis.url)).empty()
        rss_big = peak_rss_mb(env, str(media.pk))
        rss_small = peak_rss_mb(env, str(small_media.pk))
        rss_base = peak_rss_mb(env, "baseline")
        from django.db import connections

        connections.close_all()

    big_median = statistics.median(big_times) * 1000
    tiny_median = statistics.median(tiny_times) * 1000
    bytes_median = statistics.median(bytes_times) * 1000
    smooth_median = statistics.median(smooth_times) * 1000
    smooth_ratio = smooth_median / tiny_median
    bytes_ratio = big_median / bytes_median
    job_median = statistics.median(job_times) * 1000
    pillow_median = statistics.median(pillow_times) * 1000
    upload_ratio = big_median / tiny_median
    job_ratio = job_median / pillow_median
    rss_ratio = rss_big / rss_small
    print(f"\n  (a) POST /api/v1/media/ median of {args.rounds}, interleaved")
    print(f"      0.1 MP JPEG {tiny_median:8.1f} ms")
    print(
        f"      24 MP JPEG, photo-like {len(big) / 1e6:.1f} MB {big_median:8.1f} ms"
        f"   ratio {upload_ratio:.2f}x (goal: <= 1.3x)"
    )
    print(
        f"      24 MP JPEG, smooth {len(smooth) / 1e3:.0f} kB {smooth_median:8.1f} ms"
        f"   ratio {smooth_ratio:.2f}x (goal: <= 1.3x: no pixel work in the request)"
    )
    print(
        f"      {len(big) / 1e6:.1f} MB of zeros, refused at the first bytes {bytes_median:.1f} ms:"
        f" the photo-like upload costs {bytes_ratio:.2f}x moving its bytes"
        f" (+{big_median - tiny_median:.1f} ms over the 0.1 MP one)"
    )
    print(
        "      24 MP upload -> ready, one worker: "
        + ", ".join(f"{seconds:.2f} s" for seconds in ready_times)
        + " (goal: < 10 s)"
    )
    print(
        f"      served display variant {served_image.size[0]}x{served_image.size[1]} (upright),"
        f" EXIF {'absent' if b'Exif' not in served else 'PRESENT'}, nosniff {nosniff}"
    )
    print(f"  (b) 24 MP JPEG, median of {args.job_rounds}")
    print(f"      media job          {job_median:8.1f} ms")
    print(
        f"      minimal Pillow     {pillow_median:8.1f} ms   ratio {job_ratio:.2f}x (goal: <= 1.3x)"
    )
    print("  (c) peak RSS of a process running the job")
    print(f"      24 MP JPEG {rss_big:7.1f} MB")
    print(f"      1 MP JPEG  {rss_small:7.1f} MB   ratio {rss_ratio:.2f}x (goal: <= 2x)")
    print(
        f"      start-up only {rss_base:5.1f} MB; above it: 24 MP +{rss_big - rss_base:.1f} MB,"
        f" 1 MP +{rss_small - rss_base:.1f} MB"
    )
    print(f"  total {time.monotonic() - started:.0f} s", flush=True)
    goals = {
        "24 MP photo-like upload <= 1.3x the 0.1 MP one": upload_ratio <= 1.3,
        "24 MP smooth upload <= 1.3x the 0.1 MP one": smooth_ratio <= 1.3,
        "ready in < 10 s": max(ready_times) < 10,
        "served variant upright, no EXIF, nosniff": served_ok,
        "media job <= 1.3x minimal Pillow": job_ratio <= 1.3,
        "peak memory 24 MP <= 2x 1 MP": rss_ratio <= 2,
    }
    missed = [goal for goal, met in goals.items() if not met]
    if missed:
        print("  FAILED: " + "; ".join(missed))
    else:
        print("  OK: every goal met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
