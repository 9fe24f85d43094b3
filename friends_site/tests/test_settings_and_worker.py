import os
import subprocess
import sys

import django_rq
import pytest
from django.conf import settings

from friends_site.worker import SWEEP_LOCK_KEY, schedule_sweep


def test_tests_use_their_own_redis_database(redis_connection):
    assert redis_connection.connection_pool.connection_kwargs["db"] == settings.TEST_REDIS_DB
    assert all(queue["URL"] == settings.REDIS_URL for queue in settings.RQ_QUEUES.values())


def test_the_suite_keeps_djangos_check_for_orm_calls_from_async_code():
    # Only the browser journeys (e2e/conftest.py) lift it, while they run.
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in os.environ


def test_sweep_is_scheduled_once_per_interval_however_many_workers(redis_connection):
    assert schedule_sweep(redis_connection) is True
    assert schedule_sweep(redis_connection) is False
    assert django_rq.get_queue("default").count == 1
    assert 0 < redis_connection.ttl(SWEEP_LOCK_KEY) <= 60


def test_the_sweep_interval_is_a_setting_and_workers_look_often_enough(redis_connection, settings):
    from friends_site.worker import Worker

    settings.SWEEP_INTERVAL_SECONDS = 12
    assert schedule_sweep(redis_connection) is True
    assert 0 < redis_connection.ttl(SWEEP_LOCK_KEY) <= 12
    worker = Worker(["default"], connection=redis_connection)
    # Idle or busy, a worker looks at least twice an interval (a sixth here): with two hosts
    # the sweep still runs about once per interval (make multihost counts them).
    assert worker.dequeue_timeout == worker.maintenance_interval == 2


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run `code` in a new interpreter with production settings and only `env` set."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "friends_site.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("debug", [{"DJANGO_DEBUG": "0"}, {}])
@pytest.mark.parametrize(
    "start",
    [
        "import friends_site.wsgi",
        "import django; django.setup(); "
        "from friends_site.worker import Worker; Worker(['default'])",
    ],
    ids=["web server", "worker"],
)
def test_production_refuses_to_start_without_a_secret_key(debug, start):
    result = run_python(start, **debug)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_offline_commands_run_without_a_secret_key():
    result = run_python(
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'makemigrations', '--check', '--dry-run'])",
        DATABASE_URL="sqlite:///:memory:",
    )
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_production_starts_with_a_secret_key():
    result = run_python("import friends_site.wsgi", DJANGO_SECRET_KEY="k" * 50)
    assert result.returncode == 0, result.stderr
