"""The request id: in the answer, on every log line of the request, and in the jobs it queues
and their log lines (core.request_id, friends_site/worker.py)."""

import json
import logging
import os
import subprocess
import sys
from datetime import timedelta

import django_rq
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from rest_framework.test import APIClient

from accounts.models import EmailDelivery
from accounts.tests.factories import UserFactory
from conftest import _database_url as database_url_of
from core import durable, request_id
from core.request_id import _known_user_id

pytestmark = pytest.mark.django_db


def test_every_answer_carries_a_new_id(client):
    first = client.get("/login/")["X-Request-ID"]
    second = client.get("/login/")["X-Request-ID"]

    assert len(first) == 32
    assert int(first, 16) >= 0  # hexadecimal
    assert first != second


def test_a_sane_id_from_the_proxy_is_kept(client):
    assert client.get("/login/", HTTP_X_REQUEST_ID="lb-7f3a.2_x")["X-Request-ID"] == "lb-7f3a.2_x"


@pytest.mark.parametrize(
    "sent", ["", "a" * 65, "two words", "semi;colon", 'quote"', "line\\nbreak", "ünïcode"]
)
def test_an_id_that_could_forge_a_line_or_header_is_replaced(client, sent):
    answered = client.get("/login/", HTTP_X_REQUEST_ID=sent)["X-Request-ID"]

    assert answered != sent
    assert len(answered) == 32


def test_one_access_line_a_request_with_the_id_status_duration_and_user(client, log_lines):
    me = UserFactory()
    client.force_login(me)

    client.get("/people/", {"q": "secret-query"}, HTTP_X_REQUEST_ID="req-1")

    access = [line for line in log_lines() if line["logger"] == "friends.access"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "req-1"
    assert (line["method"], line["path"], line["status"], line["user_id"]) == (
        "GET",
        "/people/",
        200,
        me.pk,
    )
    assert isinstance(line["duration_ms"], float)
    assert {"time", "level", "message"} <= set(line)
    assert "secret-query" not in json.dumps(line)  # no query string in the log


def test_probes_are_access_logged_only_when_they_fail(client, log_lines, redis_down):
    client.get("/healthz")
    client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    client.get("/readyz")  # Redis down: 503

    access = [line for line in log_lines() if line["logger"] == "friends.access"]
    assert [(line["path"], line["status"]) for line in access] == [("/readyz", 503)]


def test_the_access_line_never_loads_the_user_itself(rf):
    def load_user():
        raise AssertionError("the access line asked the database who this is")

    request = rf.get("/")
    request.user = SimpleLazyObject(load_user)  # as AuthenticationMiddleware leaves it

    assert _known_user_id(request) is None


def test_log_lines_written_during_the_request_carry_its_id_and_outside_none(log_lines):
    logger = logging.getLogger("friends.test")
    token = request_id.bind("req-3")
    try:
        logger.warning("inside")
    finally:
        request_id.unbind(token)
    logger.warning("outside")

    inside, outside = [line for line in log_lines() if line["logger"] == "friends.test"]
    assert inside["request_id"] == "req-3"
    assert "request_id" not in outside


def test_json_lines_still_mask_email_addresses_in_messages_and_tracebacks(log_lines):
    logger = logging.getLogger("friends.test")
    try:
        raise ValueError("no such user grace@example.org")
    except ValueError:
        logger.exception("refused %s", "ada@example.com")

    (line,) = [line for line in log_lines() if line["logger"] == "friends.test"]
    assert line["message"] == "refused <email>"
    assert "ValueError: no such user <email>" in line["exc_info"]
    assert "@example" not in json.dumps(line)


def test_jobs_queued_meanwhile_carry_the_id_however_they_are_queued():
    token = request_id.bind("req-4")
    try:
        queued = django_rq.get_queue("email", commit_mode="auto").enqueue(
            "core.tests.jobs.report_request_id"
        )
        delivery = EmailDelivery.objects.create(recipient="ada@example.com", kind="welcome")
        durable.enqueue(EmailDelivery, delivery.pk, attempt=0)
        durable.enqueue(EmailDelivery, delivery.pk, attempt=1, at=_in_an_hour())
    finally:
        request_id.unbind(token)
    outside = django_rq.get_queue("email", commit_mode="auto").enqueue(
        "core.tests.jobs.report_request_id"
    )

    queue = django_rq.get_queue("email")
    scheduled = queue.scheduled_job_registry.get_job_ids()
    jobs = [
        queued,
        queue.fetch_job(f"emaildelivery-{delivery.pk}-0"),
        queue.fetch_job(scheduled[0]),
    ]
    assert [job.meta.get("request_id") for job in jobs] == ["req-4"] * 3
    assert "request_id" not in queue.fetch_job(outside.id).meta


@pytest.mark.django_db(transaction=True)
def test_the_id_of_a_sign_up_travels_into_the_welcome_email_job_and_the_workers_lines(
    redis_connection,
):
    response = APIClient().post(
        "/api/v1/auth/signup/",
        {"username": "ada", "email": "ada@example.com", "password": "plum-orchard-velvet-42"},
        format="json",
        HTTP_X_REQUEST_ID="signup-1",
    )
    assert response.status_code == 201
    (job,) = django_rq.get_queue("email").jobs
    assert job.meta["request_id"] == "signup-1"
    # Another job queued by the same request, to see the id inside a job's own code.
    token = request_id.bind("signup-1")
    try:
        probe = django_rq.get_queue("email", commit_mode="auto").enqueue(
            "core.tests.jobs.report_request_id"
        )
    finally:
        request_id.unbind(token)

    # The real worker: `manage.py rqworker` (friends_site.worker.Worker, a forked work horse
    # for each job), logging JSON as in production.
    result = subprocess.run(
        [sys.executable, "manage.py", "rqworker", "email", "--burst"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "friends_site.test_settings",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "TEST_REDIS_DB": str(settings.TEST_REDIS_DB),
            "LOG_FORMAT": "json",
        },
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    lines = [
        json.loads(line)
        for line in (result.stdout + result.stderr).splitlines()
        if line.startswith("{")
    ]
    # Every line from the moment a job is taken (the line that takes it names the job).
    done = [line for line in lines if "Job OK" in line["message"]]
    assert [line["message"].endswith(f"({job.id})") for line in done] == [True, False]
    assert [line.get("request_id") for line in done] == ["signup-1", "signup-1"]
    (ran,) = [line for line in lines if line["message"] == "The job runs"]
    assert ran["request_id"] == "signup-1"
    probe.refresh()
    assert probe.return_value() == "signup-1"
    assert EmailDelivery.objects.get().status == EmailDelivery.Status.DONE


def _in_an_hour():
    return timezone.now() + timedelta(hours=1)


def _database_url() -> str:
    return database_url_of(connection.settings_dict)
