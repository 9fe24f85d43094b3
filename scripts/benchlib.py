"""Shared pieces of the benchmark scripts: a real server on loopback, timing, percentiles."""

from __future__ import annotations

import http.client
import os
import secrets
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from friends_site.embedded_redis import free_port  # noqa: E402


def production_env(**overrides: str) -> dict[str, str]:
    """Production settings served over plain HTTP on loopback, rate limits off."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "friends_site.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", secrets.token_urlsafe(50)),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "RATELIMIT_ENABLE": "0",
        "LOG_LEVEL": "WARNING",
        **overrides,
    }


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2, timeout: float = 60, output=None):
    """Run gunicorn on a free port; yields the port; stops it (and waits) on exit. `output`: an
    open file for its stdout and stderr (default: this process's)."""
    port = free_port()
    if not _static_files_collected():
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
        )
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "friends_site.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--log-level", "warning", "--timeout", "120",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=output,
        stderr=output,
    )  # fmt: skip
    try:
        wait_for_http(port, timeout=timeout)
        yield port
    finally:
        stop_processes([process], timeout=15)


def collect_static(env: dict[str, str]) -> None:
    """collectstatic, unless its manifest is newer than every file of static/: compressing
    every file again takes a minute of CPU on a small machine."""
    manifest = BASE_DIR / "var" / "static" / "staticfiles.json"
    sources = [path.stat().st_mtime for path in (BASE_DIR / "static").rglob("*") if path.is_file()]
    if manifest.exists() and manifest.stat().st_mtime > max(sources, default=0):
        return
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )


def _static_files_collected() -> bool:
    """True when var/static's manifest is newer than every file of static/ and the installed
    requirements: collecting (and compressing) again takes a minute and changes nothing."""
    manifest = BASE_DIR / "var" / "static" / "staticfiles.json"
    if not manifest.exists():
        return False
    sources = [BASE_DIR / "requirements.txt", *(BASE_DIR / "static").rglob("*")]
    newest = max(path.stat().st_mtime for path in sources if path.is_file())
    return manifest.stat().st_mtime > newest


def stop_processes(processes: list[subprocess.Popen], *, timeout: float) -> None:
    """SIGTERM each (a worker finishes its job), wait up to `timeout` s, then SIGKILL."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_http(port: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/login/")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"The server on port {port} did not answer within {timeout} s")


def timed_get(connection: http.client.HTTPConnection, path: str, headers: dict) -> float:
    """One GET on a kept-alive connection; seconds; fails loudly on a non-200."""
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}: {body[:300]!r}")
    return elapsed


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> tuple[float, float]:
    """(median, p95) in milliseconds."""
    return statistics.median(values) * 1000, percentile(values, 0.95) * 1000
