from datetime import timedelta

import django_rq
import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient
from rq.job import Job

from accounts.jobs import send_email
from accounts.models import EmailDelivery
from accounts.services import email_deliveries_requeue_stale
from accounts.tests.factories import UserFactory
from accounts.tests.smtp_server import SMTPServer
from friends_site.embedded_redis import free_port

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-velvet-42"


def delivery_for(user, **fields) -> EmailDelivery:
    return EmailDelivery.objects.create(user=user, recipient=user.email, kind="welcome", **fields)


@pytest.fixture
def smtp(settings):
    """A real SMTP server the in-process worker sends to."""
    with SMTPServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        yield server


def test_welcome_email_has_a_text_and_an_html_part(run_worker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = APIClient().post(
            "/api/v1/auth/signup/",
            {"username": "ada", "email": "ada@example.com", "password": STRONG},
        )
    assert response.status_code == 201

    run_worker()

    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert "Welcome to Friends!" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "<strong>ada</strong>" in html
    delivery = EmailDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    assert delivery.sent_at is not None
    assert message.extra_headers["Message-ID"].startswith(f"<email-delivery-{delivery.pk}.")


def test_a_sent_delivery_is_never_sent_again():
    delivery = delivery_for(UserFactory())

    assert send_email(delivery.pk) == "sent"
    assert send_email(delivery.pk) == "skipped"

    assert len(mail.outbox) == 1


def test_a_delivery_another_worker_is_sending_is_left_alone():
    delivery = delivery_for(UserFactory(), status="sending", claimed_at=timezone.now(), attempts=1)

    assert send_email(delivery.pk) == "skipped"
    assert email_deliveries_requeue_stale() == 0
    assert mail.outbox == []


def test_a_transient_smtp_error_is_retried_and_recorded(smtp, settings, run_worker):
    settings.EMAIL_RETRY_INTERVALS = [0]
    smtp.refusals = ["451 4.3.0 Try again later"]
    delivery = delivery_for(UserFactory())
    django_rq.get_queue("email", commit_mode="auto").enqueue(send_email, delivery.pk)

    run_worker()

    assert len(smtp.messages) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_retries_wait_with_backoff(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    settings.EMAIL_RETRY_INTERVALS = [30, 120]
    delivery = delivery_for(UserFactory())

    assert send_email(delivery.pk) == "retrying"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "Connection refused" in delivery.last_error
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=25) < wait <= timedelta(seconds=30)
    job = Job.fetch(f"send-email-{delivery.pk}-1", connection=django_rq.get_connection("email"))
    assert job.get_status() == "scheduled"
    assert email_deliveries_requeue_stale() == 0  # not due yet: the sweeper leaves it


def test_gives_up_after_the_last_attempt(settings, run_worker):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_RETRY_INTERVALS = [0]
    settings.EMAIL_MAX_ATTEMPTS = 3
    delivery = delivery_for(UserFactory())
    django_rq.get_queue("email", commit_mode="auto").enqueue(send_email, delivery.pk)

    run_worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert "Connection refused" in delivery.last_error
    assert email_deliveries_requeue_stale() == 0


def test_a_refused_recipient_fails_at_once(smtp):
    smtp.refusals = ["550 5.1.1 No such mailbox"]
    delivery = delivery_for(UserFactory())

    assert send_email(delivery.pk) == "failed"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "No such mailbox" in delivery.last_error


def test_signup_while_redis_is_down_succeeds_and_the_sweeper_delivers_later(
    monkeypatch, settings, run_worker, django_capture_on_commit_callbacks
):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    queues = {name: {**queue, "URL": dead} for name, queue in django_rq.settings.QUEUES.items()}
    with monkeypatch.context() as down:
        down.setattr(django_rq.settings, "QUEUES", queues)
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead}
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = APIClient().post(
                "/api/v1/auth/signup/",
                {"username": "ada", "email": "ada@example.com", "password": STRONG},
            )
        assert response.status_code == 201
        assert email_deliveries_requeue_stale() == 0  # still down: nothing to do
    delivery = EmailDelivery.objects.get(user__username="ada")
    assert delivery.status == "pending"
    assert django_rq.get_queue("email").count == 0

    # Redis is back; the sweep (every minute in the workers) finds the pending delivery once.
    settings.EMAIL_SWEEP_GRACE = 0
    assert email_deliveries_requeue_stale() == 1
    assert email_deliveries_requeue_stale() == 0
    run_worker()
    assert email_deliveries_requeue_stale() == 0
    run_worker()

    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_a_pending_delivery_younger_than_the_grace_period_is_not_swept(settings):
    settings.EMAIL_SWEEP_GRACE = 30
    delivery_for(UserFactory())

    assert email_deliveries_requeue_stale() == 0


def test_a_stale_claim_of_a_dead_worker_is_sent_again(settings, run_worker):
    settings.EMAIL_CLAIM_TIMEOUT = 60
    claimed_at = timezone.now() - timedelta(seconds=61)
    delivery = delivery_for(UserFactory(), status="sending", claimed_at=claimed_at, attempts=1)

    assert email_deliveries_requeue_stale() == 1
    run_worker()

    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
