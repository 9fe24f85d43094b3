import subprocess
import sys

import django_rq
import pytest
from django.conf import settings

from friends_site.worker import SWEEP_LOCK_KEY, schedule_sweep


def test_tests_use_their_own_redis_database(redis_connection):
    assert redis_connection.connection_pool.connection_kwargs["db"] == settings.TEST_REDIS_DB
    assert all(queue["URL"] == settings.REDIS_URL for queue in settings.RQ_QUEUES.values())


def test_sweep_is_scheduled_once_per_interval_however_many_workers(redis_connection):
    assert schedule_sweep(redis_connection) is True
    assert schedule_sweep(redis_connection) is False
    assert django_rq.get_queue("default").count == 1
    assert 0 < redis_connection.ttl(SWEEP_LOCK_KEY) <= 60


@pytest.mark.parametrize("debug", ["0", ""])
def test_production_settings_refuse_to_start_without_a_secret_key(debug):
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "friends_site.settings"}
    if debug:
        env["DJANGO_DEBUG"] = debug
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
