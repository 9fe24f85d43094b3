"""/metrics: who may read it, and what Prometheus reads there (core.metrics)."""

import os
import subprocess
import sys

import django_rq
import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families
from rq.job import Job

from accounts.models import EmailDelivery

pytestmark = pytest.mark.django_db

OUTSIDER = "203.0.113.9"


def samples(response) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a metrics page."""
    assert response.status_code == 200, response.content
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def scrape(client, **headers) -> dict:
    return samples(client.get("/metrics", REMOTE_ADDR="127.0.0.1", **headers))


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": "Token s3cret-token"}],
    ids=["nothing", "a wrong token", "another scheme"],
)
def test_others_get_a_plain_404_as_for_a_page_that_is_not_there(client, settings, headers):
    settings.METRICS_TOKEN = "s3cret-token"

    response = client.get("/metrics", REMOTE_ADDR=OUTSIDER, **headers)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"Not Found"


def test_the_allowed_addresses_and_the_token_bearer_read_it(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1/32", "10.0.0.0/8"]

    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    bearer = client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert bearer.status_code == 200
    assert bearer["Content-Type"].startswith("text/plain; version=")


def test_no_token_configured_means_no_token_opens_it(client, settings):
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 404


def test_behind_a_proxy_the_client_address_counts_not_the_proxys(client, settings):
    settings.TRUSTED_PROXY_HOPS = 1  # nginx on the same host: REMOTE_ADDR is 127.0.0.1

    through_proxy = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=OUTSIDER)
    local = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert through_proxy.status_code == 404
    assert local.status_code == 200


def test_queues_failed_and_started_jobs_and_workers_by_queue(client):
    email = django_rq.get_queue("email", commit_mode="auto")
    for _ in range(3):
        email.enqueue("core.tests.jobs.report_request_id")
    media = django_rq.get_queue("media", commit_mode="auto")
    failed = Job.create("core.tests.jobs.report_request_id", connection=media.connection)
    failed.origin = "media"
    failed.save()
    media.failed_job_registry.add(failed, ttl=600)

    figures = scrape(client)

    for queue, waiting, failures in (("default", 0, 0), ("email", 3, 0), ("media", 0, 1)):
        labels = (("queue", queue),)
        assert figures[("friends_queue_jobs", labels)] == waiting
        assert figures[("friends_queue_failed_jobs", labels)] == failures
        assert figures[("friends_queue_started_jobs", labels)] == 0
        assert figures[("friends_queue_scheduled_jobs", labels)] == 0
        assert figures[("friends_queue_workers", labels)] == 0
    assert figures[("friends_metrics_source_up", (("source", "redis"),))] == 1


def test_email_deliveries_and_media_by_status(client):
    for status in ("sent", "sent", "failed", "pending"):
        EmailDelivery.objects.create(recipient="ada@example.com", kind="welcome", status=status)

    figures = scrape(client)

    def work(model, status):
        return figures[("friends_work_items", (("model", model), ("status", status)))]

    assert [
        work("accounts.EmailDelivery", s) for s in ("pending", "sending", "sent", "failed")
    ] == [
        1,
        0,
        2,
        1,
    ]
    assert [work("media.Media", s) for s in ("pending", "processing", "ready", "failed")] == [0] * 4
    assert figures[("friends_metrics_source_up", (("source", "database"),))] == 1


def test_request_latency_by_view_and_method(client):
    key = (
        "django_http_requests_latency_seconds_by_view_method_count",
        (("method", "GET"), ("view", "accounts:login")),
    )
    before = scrape(client).get(key, 0)

    client.get("/login/")
    client.get("/login/")

    assert scrape(client)[key] == before + 2


def test_a_source_that_does_not_answer_is_said_and_the_rest_still_shown(client, redis_down):
    figures = scrape(client)

    assert figures[("friends_metrics_source_up", (("source", "redis"),))] == 0
    assert figures[("friends_metrics_source_up", (("source", "database"),))] == 1
    assert not [name for name, _labels in figures if name.startswith("friends_queue_")]


def test_with_a_multiprocess_folder_the_page_adds_up_every_process(tmp_path):
    """As under gunicorn with PROMETHEUS_MULTIPROC_DIR: two processes answer requests, a third
    answers the scrape with the sum of both."""
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "friends_site.test_settings",
        "REDIS_URL": settings.REDIS_URL,
        "TEST_REDIS_DB": str(settings.TEST_REDIS_DB),
    }
    serve = (
        "import django; django.setup(); from django.test import Client; c = Client(); "
        "[c.get('/login/', HTTP_HOST='localhost') for _ in range({n})]; "
        "print(c.get('/metrics', REMOTE_ADDR='127.0.0.1').content.decode())"
    )
    outputs = []
    for requests in (2, 3, 0):
        result = subprocess.run(
            [sys.executable, "-c", serve.replace("{n}", str(requests))],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)

    families = {family.name: family for family in text_string_to_metric_families(outputs[-1])}
    counts = [
        sample.value
        for sample in families["django_http_requests_latency_seconds_by_view_method"].samples
        if sample.name.endswith("_count") and sample.labels.get("view") == "accounts:login"
    ]
    assert counts == [5]
    assert len(list(tmp_path.glob("*.db"))) >= 2
