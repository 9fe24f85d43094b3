"""The checks of `make load` (scripts/load.py) that say nothing was lost: each one passes on a
complete run and fails when one post, photo or email is missing or doubled. `make load` itself
runs in CI as a whole; here its verdicts are tried on rows made by hand."""

import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from accounts.models import EmailDelivery
from accounts.tests.factories import UserFactory
from media.models import Media
from posts.tests.factories import PostFactory

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import load  # noqa: E402

pytestmark = pytest.mark.django_db
RUN = "ldtest"


class Sink:
    """What the SMTP sink of load.py offers the checks: the messages accepted so far."""

    def __init__(self, recipients: list[str]):
        self.messages = []
        for recipient in recipients:
            message = EmailMessage()
            message["To"] = recipient
            message["Subject"] = "Welcome"
            self.messages.append(message)

    def wait_for(self, count: int, timeout: float = 0) -> list[EmailMessage]:
        return list(self.messages)


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch):
    # The run's time to settle is over already: the checks judge what is there.
    monkeypatch.setattr(load, "SETTLE_TIMEOUT", 0)
    monkeypatch.setattr(load, "DUPLICATE_WATCH", 0)


@pytest.fixture
def complete_run():
    """Two people of the run, each with a sent welcome email, a post and a ready photo."""
    people = [UserFactory(username=f"{RUN}{n}") for n in range(2)]
    UserFactory(username="someone-else")  # not of the run: never counted
    posts = [PostFactory(author=person) for person in people]
    photos = [
        Media.objects.create(owner=person, status=Media.Status.DONE, original="originals/x.jpg")
        for person in people
    ]
    for person in people:
        EmailDelivery.objects.create(
            user=person,
            recipient=person.email,
            kind=EmailDelivery.Kind.WELCOME,
            status=EmailDelivery.Status.DONE,
        )
    record = {
        "signed_up": [{"username": p.username, "email": p.email} for p in people],
        "post_ids": [post.pk for post in posts],
        "post_attempts": len(posts),
        "media_ids": [photo.pk for photo in photos],
    }
    return people, record


def verdicts(record: dict, sink: Sink) -> dict[str, bool]:
    results = load.verify(run=RUN, record=record, smtp=sink, settled_since=0)
    return {name: ok for name, ok, _detail in results}


def test_a_complete_run_passes_every_check(complete_run):
    people, record = complete_run
    assert all(verdicts(record, Sink([p.email for p in people])).values())


def test_a_post_answered_but_not_in_the_database_fails(complete_run):
    people, record = complete_run
    record["post_ids"][0] += 1000
    results = verdicts(record, Sink([p.email for p in people]))
    assert not results["every post created is in the database"]


def test_a_post_in_the_database_that_nobody_sent_fails(complete_run):
    people, record = complete_run
    PostFactory(author=people[0])
    results = verdicts(record, Sink([p.email for p in people]))
    assert not results["every post created is in the database"]


def test_a_photo_still_pending_fails(complete_run):
    people, record = complete_run
    Media.objects.filter(pk=record["media_ids"][0]).update(status=Media.Status.PENDING)
    results = verdicts(record, Sink([p.email for p in people]))
    assert not results[f"every photo ready within {load.SETTLE_TIMEOUT} s of the end"]


def test_a_welcome_email_sent_twice_fails(complete_run):
    people, record = complete_run
    results = verdicts(record, Sink([p.email for p in people] + [people[0].email]))
    assert not results["every person got exactly one welcome email"]


def test_a_welcome_email_never_sent_fails(complete_run):
    people, record = complete_run
    EmailDelivery.objects.filter(user=people[1]).update(status=EmailDelivery.Status.FAILED)
    results = verdicts(record, Sink([people[0].email]))
    assert not results["every person got exactly one welcome email"]
    assert not results["every email delivery row says sent"]


def test_a_person_who_signed_up_but_is_not_in_the_database_fails(complete_run):
    people, record = complete_run
    record["signed_up"].append({"username": f"{RUN}lost", "email": f"{RUN}lost@example.com"})
    results = verdicts(record, Sink([p.email for p in people]))
    assert not results["every sign-up is a person in the database"]
