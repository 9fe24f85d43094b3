"""Settings for the test suite: the base settings with a Redis database of the tests' own."""

import atexit
import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-only-for-the-test-suite")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_HTTPS", "0")

from friends_site.embedded_redis import free_port, redis_answers, start_redis  # noqa: E402
from friends_site.settings import *  # noqa: E402
from friends_site.settings import REDIS_URL as BASE_REDIS_URL  # noqa: E402

# The suite flushes this database between tests and no other. TEST_REDIS_DB lets two suites
# share one server.
TEST_REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "15"))
VAR_DIR.mkdir(exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)  # whitenoise warns when STATIC_ROOT is missing


def _test_redis_url() -> str:
    base = BASE_REDIS_URL.rsplit("/", 1)[0] if BASE_REDIS_URL.count("/") > 2 else BASE_REDIS_URL
    url = f"{base}/{TEST_REDIS_DB}"
    if redis_answers(url):
        return url
    # No Redis on this machine: start an embedded one for this test run.
    server = start_redis(port=free_port(), data_dir=VAR_DIR / "test-redis", db=TEST_REDIS_DB)
    atexit.register(server.stop)
    os.environ["REDIS_URL"] = server.url  # child processes (workers) of the tests inherit it
    return server.url


REDIS_URL = _test_redis_url()
RQ_QUEUES = {name: {**queue, "URL": REDIS_URL} for name, queue in RQ_QUEUES.items()}
# Pub/sub channels ignore the database number: each test run listens on its own.
EVENTS_CHANNEL_PREFIX = f"test{TEST_REDIS_DB}:events"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "friends-test",
    }
}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A job whose database error never clears (a test's) gives up after a second, not a minute.
DURABLE_DATABASE_WAIT = 1
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that worker processes started by the tests see the same data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{TEST_REDIS_DB}.sqlite3")}
