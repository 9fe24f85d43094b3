"""/healthz and /readyz, as load balancers and orchestrators ask them."""

import time

import django_rq
import pytest
from rq.job import Job

from accounts.tests.factories import UserFactory
from core.health import StorageCheck

pytestmark = pytest.mark.django_db

EVERY_CHECK = {"database", "redis", "storage", "private_storage", "queues"}


def answer_within(settings) -> float:
    """The answer's promise (a check's time, and the second django-health-check adds), with
    room for a loaded test machine: far less than the hang each test makes."""
    return settings.READY_CHECK_TIMEOUT + 1 + 1.5


def test_healthz_answers_ok_fast_and_uncached(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_asks_nothing_of_a_signed_in_browsers_session(client, django_assert_num_queries):
    client.force_login(UserFactory())

    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert not response.cookies


def test_healthz_answers_with_the_database_and_redis_down_and_takes_any_host(
    client, database_down, redis_down
):
    # A signed-in browser's cookie, and the address a load balancer probes by.
    client.cookies["sessionid"] = "a-session-the-database-would-be-asked-for"
    response = client.get("/healthz", HTTP_HOST="10.0.3.7:8000")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert not response.cookies


def test_probes_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/login/").status_code == 301  # the site itself is
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_readyz_answers_200_when_every_dependency_answers(client):
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {name: {"ok": True} for name in EVERY_CHECK},
    }
    assert "no-cache" in response["Cache-Control"]


def test_readyz_names_the_database_when_it_is_down(client, database_down):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["error"]
    assert "Traceback" not in response.content.decode()
    assert {name for name, check in body["checks"].items() if check["ok"]} == EVERY_CHECK - {
        "database"
    }


def test_readyz_names_redis_and_the_queues_when_redis_refuses(client, redis_down):
    response = client.get("/readyz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"] == {"ok": False, "error": checks["redis"]["error"]}
    assert "Redis" in checks["redis"]["error"]
    assert checks["queues"] == {"ok": False, "error": "Unavailable: Redis does not answer"}
    assert checks["database"] == {"ok": True}


def test_readyz_answers_within_3_seconds_when_redis_hangs(client, redis_hanging, settings):
    started = time.monotonic()
    response = client.get("/readyz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["ok"] is False
    assert elapsed < answer_within(settings), elapsed


def test_readyz_answers_in_time_when_a_check_hangs_and_names_it(client, monkeypatch, settings):
    monkeypatch.setattr(StorageCheck, "run", lambda check: time.sleep(10))  # a hung disk or S3

    started = time.monotonic()
    response = client.get("/readyz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["storage"] == {"ok": False, "error": "Unavailable: Timed out after 2 seconds"}
    assert checks["database"] == {"ok": True}
    assert elapsed < answer_within(settings), elapsed


def test_readyz_names_a_storage_that_cannot_be_written(client, settings, tmp_path):
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": not_a_folder / "private"},
        },
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["private_storage"]["ok"] is False
    assert "Error" in checks["private_storage"]["error"]  # e.g. NotADirectoryError: ...
    assert checks["storage"] == {"ok": True}


def test_readyz_says_which_queue_has_too_many_waiting_or_failed_jobs(client, settings):
    settings.READY_MAX_QUEUE_LENGTH = 2
    settings.READY_MAX_FAILED_JOBS = 1
    email = django_rq.get_queue("email", commit_mode="auto")
    for _ in range(3):
        email.enqueue("core.tests.jobs.report_request_id")
    media = django_rq.get_queue("media", commit_mode="auto")
    for _ in range(2):
        job = Job.create("core.tests.jobs.report_request_id", connection=media.connection)
        job.origin = media.name
        job.save()
        media.failed_job_registry.add(job, ttl=600)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["queues"] == {
        "ok": False,
        "error": "Unavailable: email: 3 waiting (limit 2); media: 2 failed (limit 1)",
    }


def test_readyz_passes_a_backlog_under_the_limits(client, settings):
    settings.READY_MAX_QUEUE_LENGTH = 3
    email = django_rq.get_queue("email", commit_mode="auto")
    for _ in range(3):
        email.enqueue("core.tests.jobs.report_request_id")

    assert client.get("/readyz").status_code == 200


def test_readyz_asks_no_session_or_user_of_a_signed_in_browser(client, django_assert_num_queries):
    client.force_login(UserFactory())

    # The database check's own SELECT 1 runs in a thread of its own, on its own connection.
    with django_assert_num_queries(0):
        response = client.get("/readyz")

    assert response.status_code == 200
    assert not response.cookies
