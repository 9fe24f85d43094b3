"""The email job delivered twice (RQ redelivering it, the sweep and the after-commit enqueue
both queueing it): one email. (`make faults` does it with two racing worker processes.)"""

import django_rq
import pytest
from django.core import mail

from accounts.models import EmailDelivery
from accounts.services import user_signup

pytestmark = pytest.mark.django_db


def test_the_welcome_email_job_delivered_three_times_sends_one_email(
    run_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user = user_signup(username="ada", email="ada@example.com", password="plum-orchard-42")
    delivery = EmailDelivery.objects.get(user=user)
    queue = django_rq.get_queue("email", commit_mode="auto")  # not deferred to a commit
    for copy in range(2):
        queue.enqueue("accounts.jobs.send_email", delivery.pk, job_id=f"again-{copy}")

    run_worker()

    assert [message.to for message in mail.outbox] == [["ada@example.com"]]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (EmailDelivery.Status.DONE, 1)
    queue.enqueue("accounts.jobs.send_email", delivery.pk, job_id="again-later")
    run_worker()
    assert len(mail.outbox) == 1
