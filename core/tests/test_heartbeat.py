"""Claims kept fresh while a worker is busy: the sweeper never takes work from a live worker."""

import threading
import time

import pytest
from django.db import connections
from django.utils import timezone

from accounts.models import EmailDelivery
from accounts.services import email_delivery_send
from accounts.tests.factories import UserFactory
from accounts.tests.smtp_server import SMTPServer
from core import durable
from core.heartbeat import RowHeartbeat

pytestmark = pytest.mark.django_db(transaction=True)


def sending_delivery() -> EmailDelivery:
    user = UserFactory()
    return EmailDelivery.objects.create(
        user=user,
        recipient=user.email,
        kind=EmailDelivery.Kind.WELCOME,
        status=EmailDelivery.Status.PROCESSING,
        claimed_at=timezone.now(),
        attempts=1,
    )


def test_the_heartbeat_moves_the_claim_forward_while_the_block_runs_and_stops_after():
    delivery = sending_delivery()
    claim = EmailDelivery.objects.filter(pk=delivery.pk, status=EmailDelivery.Status.PROCESSING)
    with RowHeartbeat(claim, field="claimed_at", stamp=delivery.claimed_at, interval=0.1) as beat:
        time.sleep(0.45)
    stamped = EmailDelivery.objects.get(pk=delivery.pk).claimed_at
    assert stamped > delivery.claimed_at
    assert stamped == beat.stamp
    time.sleep(0.3)
    assert EmailDelivery.objects.get(pk=delivery.pk).claimed_at == stamped  # stopped


def test_the_heartbeat_stops_once_the_claim_is_finished_by_someone_else():
    delivery = sending_delivery()
    claim = EmailDelivery.objects.filter(pk=delivery.pk, status=EmailDelivery.Status.PROCESSING)
    with RowHeartbeat(claim, field="claimed_at", stamp=delivery.claimed_at, interval=0.1):
        time.sleep(0.15)
        EmailDelivery.objects.filter(pk=delivery.pk).update(status=EmailDelivery.Status.DONE)
        finished = EmailDelivery.objects.get(pk=delivery.pk).claimed_at
        time.sleep(0.3)
    after = EmailDelivery.objects.get(pk=delivery.pk)
    assert (after.status, after.claimed_at) == (EmailDelivery.Status.DONE, finished)


def test_a_slow_mail_server_is_not_mistaken_for_a_dead_worker(settings, redis_connection):
    settings.CLAIM_TIMEOUT = 1
    settings.CLAIM_HEARTBEAT = 0.2
    settings.SWEEP_GRACE = 0
    with SMTPServer(delay=2.5) as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        delivery = sending_delivery()
        EmailDelivery.objects.filter(pk=delivery.pk).update(
            status=EmailDelivery.Status.PENDING, claimed_at=None, attempts=0
        )
        results = []

        def send() -> None:  # as a worker would, in a thread with its own connection
            try:
                results.append(email_delivery_send(delivery_id=delivery.pk))
            finally:
                connections.close_all()

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(1.8)  # longer than CLAIM_TIMEOUT: only the heartbeat keeps it fresh
        assert EmailDelivery.objects.get(pk=delivery.pk).status == EmailDelivery.Status.PROCESSING
        assert durable.requeue_stale(EmailDelivery) == 0
        sender.join(timeout=10)

    assert results == ["done"]
    assert len(smtp.messages) == 1
    assert EmailDelivery.objects.get(pk=delivery.pk).status == EmailDelivery.Status.DONE
