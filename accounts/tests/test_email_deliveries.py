from datetime import timedelta

import django_rq
import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from accounts.jobs import send_email
from accounts.models import EmailDelivery
from accounts.tests.factories import UserFactory
from accounts.tests.smtp_server import SMTPServer
from core import durable
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
    assert delivery.finished_at is not None
    assert message.extra_headers["Message-ID"].startswith(f"<email-delivery-{delivery.pk}.")


def test_a_sent_delivery_is_never_sent_again():
    delivery = delivery_for(UserFactory())

    assert send_email(delivery.pk) == "done"
    assert send_email(delivery.pk) == "skipped"

    assert len(mail.outbox) == 1


def test_a_delivery_another_worker_is_sending_is_left_alone():
    delivery = delivery_for(UserFactory(), status="sending", claimed_at=timezone.now(), attempts=1)

    assert send_email(delivery.pk) == "skipped"
    assert durable.requeue_stale(EmailDelivery) == 0
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
    job = Job.fetch(f"emaildelivery-{delivery.pk}-1", connection=django_rq.get_connection("email"))
    assert job.get_status() == "scheduled"
    assert durable.requeue_stale(EmailDelivery) == 0  # not due yet: the sweeper leaves it


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
    assert durable.requeue_stale(EmailDelivery) == 0


def test_a_greylisting_server_gets_the_welcome_email_once_after_retries(
    smtp, settings, run_worker, django_capture_on_commit_callbacks
):
    # 451 to RCPT TO: "try again later", the first two times (greylisting, a busy mailbox).
    settings.EMAIL_RETRY_INTERVALS = [0]
    smtp.rcpt_refusals = ["451 4.7.1 Greylisted, please try again later"] * 2
    with django_capture_on_commit_callbacks(execute=True):
        response = APIClient().post(
            "/api/v1/auth/signup/",
            {"username": "ada", "email": "ada@example.com", "password": STRONG},
        )
    assert response.status_code == 201

    run_worker()

    assert [message["To"] for message in smtp.messages] == ["ada@example.com"]
    assert smtp.rcpt_attempts == 3
    delivery = EmailDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, "")


def test_a_recipient_refused_for_good_is_tried_once_and_failed_with_the_reason(
    smtp, run_worker, redis_connection
):
    smtp.rcpt_refusals = ["550 5.1.1 No such user here"]
    delivery = delivery_for(UserFactory())
    durable.enqueue(EmailDelivery, delivery.pk, attempt=0)

    run_worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "550 5.1.1 No such user here" in delivery.last_error
    assert smtp.rcpt_attempts == 1
    assert smtp.messages == []
    assert django_rq.get_queue("email").count == 0
    assert ScheduledJobRegistry(queue=django_rq.get_queue("email")).count == 0


def test_a_4xx_reply_to_the_message_is_retried_and_a_5xx_one_is_not(smtp, settings):
    settings.EMAIL_RETRY_INTERVALS = [60]
    smtp.refusals = ["452 4.3.1 Insufficient system storage", "554 5.7.1 Message rejected"]
    first, second = delivery_for(UserFactory()), delivery_for(UserFactory())

    assert send_email(first.pk) == "retrying"
    assert send_email(second.pk) == "failed"

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.attempts) == ("pending", 1)
    assert "452" in first.last_error
    assert (second.status, second.attempts) == ("failed", 1)
    assert "Message rejected" in second.last_error


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
        assert durable.requeue_stale(EmailDelivery) == 0  # still down: nothing to do
    delivery = EmailDelivery.objects.get(user__username="ada")
    assert delivery.status == "pending"
    assert django_rq.get_queue("email").count == 0

    # Redis is back; the sweep (every minute in the workers) finds the pending delivery once.
    settings.SWEEP_GRACE = 0
    assert durable.requeue_stale(EmailDelivery) == 1
    assert durable.requeue_stale(EmailDelivery) == 0
    run_worker()
    assert durable.requeue_stale(EmailDelivery) == 0
    run_worker()

    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_a_pending_delivery_younger_than_the_grace_period_is_not_swept(settings):
    settings.SWEEP_GRACE = 30
    delivery_for(UserFactory())

    assert durable.requeue_stale(EmailDelivery) == 0


def test_a_stale_claim_of_a_dead_worker_is_sent_again(settings, run_worker):
    settings.CLAIM_TIMEOUT = 60
    claimed_at = timezone.now() - timedelta(seconds=61)
    delivery = delivery_for(UserFactory(), status="sending", claimed_at=claimed_at, attempts=1)

    assert durable.requeue_stale(EmailDelivery) == 1
    run_worker()

    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
