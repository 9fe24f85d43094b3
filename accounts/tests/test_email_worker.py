"""Email deliveries against a real SMTP server, with real worker processes where one must die."""

import os
import signal
import time
from pathlib import Path

import django_rq
import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import EmailDelivery
from accounts.services import user_signup
from accounts.tests.smtp_server import SMTPServer
from core import durable
from friends_site.embedded_redis import free_port

STRONG = "plum-orchard-velvet-42"


def kill_tree(pid: int) -> None:
    """SIGKILL a worker and its work horse (RQ forks one per job, in its own process group)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert children, "the worker has no work horse: it is not sending"
    for child in [pid, *map(int, children)]:
        os.kill(child, signal.SIGKILL)


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_sending_still_delivers_exactly_once(worker_process, settings):
    settings.CLAIM_TIMEOUT = 1
    with SMTPServer(delay=3) as smtp:
        env = {"EMAIL_URL": smtp.url}
        user = user_signup(username="ada", email="ada@example.com", password=STRONG)
        delivery = EmailDelivery.objects.get(user=user)
        worker = worker_process("email", extra_env=env)

        # The worker is in the middle of the SMTP conversation when it dies.
        assert wait_until(lambda: smtp.connections_in_data == 1, timeout=20)
        kill_tree(worker.pid)
        worker.wait(timeout=10)
        delivery.refresh_from_db()
        assert delivery.status == "sending"
        time.sleep(1.1)  # the claim goes stale (CLAIM_TIMEOUT) ...
        assert smtp.messages == []  # ... and the cut-off message was never accepted

        smtp.delay = 0
        assert durable.requeue_stale(EmailDelivery) == 1
        worker_process("email", extra_env=env, burst=True).wait(timeout=60)

        assert [m["To"] for m in smtp.wait_for(1)] == ["ada@example.com"]
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("sent", 2)
        assert durable.requeue_stale(EmailDelivery) == 0
        assert len(smtp.wait_for(2, timeout=0.5)) == 1


@pytest.mark.django_db
def test_a_slow_mail_server_does_not_slow_the_signup(
    settings, run_worker, django_capture_on_commit_callbacks
):
    with SMTPServer(delay=3) as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = APIClient().post(
                "/api/v1/auth/signup/",
                {"username": "ada", "email": "ada@example.com", "password": STRONG},
            )
        elapsed = time.monotonic() - started

        assert response.status_code == 201
        assert elapsed < 1.0
        run_worker()  # the worker waits the 3 s instead
        assert [m["To"] for m in smtp.messages] == ["ada@example.com"]
        assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_after_redis_comes_back_a_worker_delivers_the_signup_email_on_its_own(
    worker_process, settings, monkeypatch
):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    with monkeypatch.context() as down:
        queues = {name: {**queue, "URL": dead} for name, queue in django_rq.settings.QUEUES.items()}
        down.setattr(django_rq.settings, "QUEUES", queues)
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead}
        }
        response = APIClient().post(
            "/api/v1/auth/signup/",
            {"username": "ada", "email": "ada@example.com", "password": STRONG},
        )
    assert response.status_code == 201
    assert EmailDelivery.objects.get().status == "pending"

    with SMTPServer() as smtp:
        # No manual step: a worker's maintenance runs the sweep, which enqueues the delivery.
        worker = worker_process(extra_env={"EMAIL_URL": smtp.url, "SWEEP_GRACE": "0"})
        try:
            assert wait_until(lambda: len(smtp.messages) == 1, timeout=30)
            assert wait_until(lambda: EmailDelivery.objects.get().status == "sent", timeout=5)
            time.sleep(0.5)
            assert [m["To"] for m in smtp.messages] == ["ada@example.com"]
        finally:
            # A warm shut-down also stops the worker's scheduler process, which a kill would orphan.
            worker.terminate()
            worker.wait(timeout=20)
