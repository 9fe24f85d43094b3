"""Notifications: the events the services write, and what the job (deliver_notifications, run
by a real worker on the tests' Redis) makes of them."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Block, Mute, User
from accounts.services import follow_create, follow_delete, user_delete
from accounts.tests.factories import UserFactory
from core import durable, sweep
from media.models import Media
from media.tests import media_images as images
from posts.models import (
    Notification,
    NotificationActor,
    NotificationEvent,
    NotificationKind,
)
from posts.selectors.notifications import notifications_describe
from posts.services import (
    comment_create,
    comment_update,
    like_set,
    like_unset,
    post_create,
    post_update,
)
from posts.services.notifications import (
    _deliver,
    notification_event_restart,
    notification_settings_set,
    notifications_deliver,
    notifications_forget_old,
    notifications_mark_read,
)
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

Kind = NotificationKind


@pytest.fixture
def act(django_capture_on_commit_callbacks, run_worker):
    """`with act(): <a change>`: the change's after-commit work is queued, then a worker runs
    every job, and the jobs those queue, until none is left."""

    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield
        for _ in range(5):
            with django_capture_on_commit_callbacks(execute=True) as queued:
                run_worker()
            if not queued:
                return

    return run


def lines_of(user) -> list[Notification]:
    """`user`'s notifications, the newest first, as the page reads them."""
    return notifications_describe(
        Notification.objects.filter(recipient=user)
        .select_related("latest_actor", "post", "comment", "media")
        .order_by("-updated_at", "-id"),
        user=user,
    )


def texts_of(user) -> list[str]:
    return [line.summary.text for line in lines_of(user)]


@pytest.fixture
def alice():
    return UserFactory(username="alice", display_name="Alice")


@pytest.fixture
def bob():
    return UserFactory(username="bob", display_name="Bob")


@pytest.fixture
def carol():
    return UserFactory(username="carol", display_name="Carol")


# --- Likes ------------------------------------------------------------------------------------


def test_a_like_notifies_the_author_once_through_the_worker(act, alice, bob):
    post = PostFactory(author=alice, title="Spring")

    with act():
        like_set(user=bob, post=post)

    event = NotificationEvent.objects.get()
    assert (event.kind, event.status) == (Kind.LIKE, NotificationEvent.Status.DONE)
    assert texts_of(alice) == ["Bob liked your post “Spring”"]
    notification = Notification.objects.get()
    assert notification.read_at is None
    assert lines_of(alice)[0].summary.url == f"/posts/{post.pk}/"
    assert texts_of(bob) == []


def test_likes_of_several_people_make_one_line_that_names_the_latest(act, alice, bob, carol):
    post = PostFactory(author=alice, title="Spring")
    dave = UserFactory(display_name="Dave")

    for person in (bob, carol, dave):
        with act():
            like_set(user=person, post=post)

    assert texts_of(alice) == ["Dave and 2 others liked your post “Spring”"]
    notification = Notification.objects.get()
    assert (notification.actor_count, notification.latest_actor) == (3, dave)
    assert notification.group_key == f"like:post:{post.pk}"


def test_like_unlike_and_like_again_is_one_notification_of_one_person(act, alice, bob):
    post = PostFactory(author=alice, title="Spring")
    with act():
        like_set(user=bob, post=post)
    notifications_mark_read(user=alice)

    with act():
        like_unset(user=bob, post=post)
    with act():
        like_set(user=bob, post=post)

    notification = Notification.objects.get()
    assert notification.actor_count == 1
    assert notification.read_at is not None  # nothing new: it stays read
    assert NotificationEvent.objects.filter(kind=Kind.LIKE).count() == 2


def test_a_like_taken_back_before_the_job_runs_tells_nobody(
    django_capture_on_commit_callbacks, run_worker, alice, bob
):
    post = PostFactory(author=alice)
    with django_capture_on_commit_callbacks(execute=True):
        like_set(user=bob, post=post)
    like_unset(user=bob, post=post)

    run_worker()

    assert Notification.objects.count() == 0
    assert NotificationEvent.objects.get().status == NotificationEvent.Status.DONE


def test_a_new_person_makes_a_read_line_unread_again_and_moves_it_to_the_top(
    act, alice, bob, carol
):
    liked = PostFactory(author=alice, title="Liked")
    with act():
        like_set(user=bob, post=liked)
    with act():
        follow_create(follower=carol, followee=alice)
    notifications_mark_read(user=alice)
    assert texts_of(alice)[0] == "Carol started following you"

    with act():
        like_set(user=carol, post=liked)

    first = lines_of(alice)[0]
    assert first.summary.text == "Carol and 1 other liked your post “Liked”"
    assert first.read_at is None


# --- What tells nobody ------------------------------------------------------------------------


def test_what_people_do_to_themselves_tells_nobody(act, alice):
    post = PostFactory(author=alice)

    with act():
        like_set(user=alice, post=post)
        comment_create(post=post, author=alice, body="Me again, @alice")
        post_create(author=alice, title="Note to self", body="@alice remember")

    assert Notification.objects.count() == 0


@pytest.mark.parametrize("who", ["author blocked the liker", "liker blocked the author", "muted"])
def test_nobody_blocked_either_way_or_muted_is_told(
    django_capture_on_commit_callbacks, run_worker, alice, bob, who
):
    post = PostFactory(author=alice)
    with django_capture_on_commit_callbacks(execute=True):
        like_set(user=bob, post=post)
    # Between the like and its delivery: the job decides with what holds when it runs.
    if who == "author blocked the liker":
        Block.objects.create(blocker=alice, blocked=bob)
    elif who == "liker blocked the author":
        Block.objects.create(blocker=bob, blocked=alice)
    else:
        Mute.objects.create(muter=alice, muted=bob)

    run_worker()

    assert Notification.objects.count() == 0
    assert NotificationEvent.objects.get().status == NotificationEvent.Status.DONE


def test_a_muted_person_is_not_heard_but_others_still_are(act, alice, bob, carol):
    post = PostFactory(author=alice, title="Spring")
    Mute.objects.create(muter=alice, muted=bob)

    with act():
        like_set(user=bob, post=post)
        like_set(user=carol, post=post)

    assert texts_of(alice) == ["Carol liked your post “Spring”"]


def test_kinds_switched_off_are_not_delivered_and_the_others_are(act, alice, bob):
    post = PostFactory(author=alice, title="Spring")
    notification_settings_set(
        user=alice, enabled=[kind for kind in Kind.values if kind != Kind.LIKE]
    )

    with act():
        like_set(user=bob, post=post)
        comment_create(post=post, author=bob, body="Lovely")

    assert texts_of(alice) == ["Bob commented on your post “Spring”"]


def test_someone_who_left_is_not_told_and_tells_nobody(
    django_capture_on_commit_callbacks, run_worker, alice, bob, carol
):
    post = PostFactory(author=alice)
    others = PostFactory(author=carol)
    with django_capture_on_commit_callbacks(execute=True):
        like_set(user=bob, post=post)
        like_set(user=alice, post=others)
    # Both leave (deactivated) before the job runs: bob, who liked, and carol, who was liked.
    User.objects.filter(pk__in=[bob.pk, carol.pk]).update(is_active=False)

    run_worker()

    assert Notification.objects.count() == 0
    assert set(NotificationEvent.objects.values_list("status", flat=True)) == {"done"}


# --- Comments and replies ---------------------------------------------------------------------


def test_a_comment_tells_the_author_and_earlier_commenters_get_a_reply(act, alice, bob, carol):
    post = PostFactory(author=alice, title="Spring")
    dave = UserFactory(display_name="Dave")

    with act():
        comment_create(post=post, author=bob, body="First")
    with act():
        comment_create(post=post, author=alice, body="Thanks")  # the author answers
    with act():
        comment_create(post=post, author=carol, body="Second")
    with act():
        comment_create(post=post, author=bob, body="Again")
    with act():
        comment_create(post=post, author=dave, body="Third")

    assert texts_of(alice) == ["Dave and 2 others commented on your post “Spring”"]
    # Bob commented first: told of the author's answer, Carol's and Dave's (never of his own);
    # Carol of Bob's second and Dave's.
    assert texts_of(bob) == ["Dave and 2 others also commented on “Spring”"]
    assert texts_of(carol) == ["Dave and 1 other also commented on “Spring”"]
    assert texts_of(dave) == []
    assert lines_of(bob)[0].summary.url == f"/posts/{post.pk}/#comments"
    carol_line = Notification.objects.get(recipient=carol)
    assert set(carol_line.actors.values_list("actor", flat=True)) == {bob.pk, dave.pk}


def test_the_author_is_never_told_of_a_reply_only_of_the_comment(act, alice, bob):
    post = PostFactory(author=alice)
    with act():
        comment_create(post=post, author=alice, body="Opening words")
    with act():
        comment_create(post=post, author=bob, body="Hello")

    assert list(Notification.objects.values_list("recipient", "kind")) == [(alice.pk, Kind.COMMENT)]


# --- Mentions ---------------------------------------------------------------------------------


def test_a_mention_in_a_post_tells_that_person_once_whatever_the_edits(act, alice, bob, carol):
    with act():
        post = post_create(author=alice, title="Plans", body="Coffee, @bob?")
    assert texts_of(bob) == ["Alice mentioned you in a post “Plans”"]
    assert lines_of(bob)[0].summary.url == f"/posts/{post.pk}/"
    notifications_mark_read(user=bob)

    with act():
        post_update(post=post, editor=alice, body="Coffee, @bob? At ten.")
    with act():
        post_update(post=post, editor=alice, body="Coffee, @BOB and @carol?")

    bobs = Notification.objects.get(recipient=bob)
    assert (bobs.actor_count, bobs.read_at is not None) == (1, True)
    assert texts_of(carol) == ["Alice mentioned you in a post “Plans”"]
    assert NotificationActor.objects.count() == 2


def test_a_mention_in_a_comment_tells_once_per_comment(act, alice, bob, carol):
    post = PostFactory(author=carol, title="Spring")

    with act():
        first = comment_create(post=post, author=alice, body="@bob look")
    with act():
        comment_update(comment=first, editor=alice, body="@bob look at this")
    with act():
        comment_create(post=post, author=alice, body="@bob and again")

    assert texts_of(bob) == [
        "Alice mentioned you in a comment on “Spring”",
        "Alice mentioned you in a comment on “Spring”",
    ]
    assert lines_of(bob)[1].summary.url == f"/posts/{post.pk}/#comment-{first.pk}"


def test_only_real_active_people_who_may_see_the_post_are_mentioned(act, alice, bob, carol):
    UserFactory(username="gone", is_active=False)
    hidden = UserFactory(username="hidden")
    Block.objects.create(blocker=alice, blocked=hidden)
    dotted = UserFactory(username="dot.ted")

    with act():
        post_create(
            author=alice,
            title="Hello",
            body="@nobody @gone @hidden mail bob@example.com, see https://example.com/@carol "
            "and thanks @dot.ted. (@Bob)",
        )

    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"bob", "dot.ted"}
    assert texts_of(dotted) == ["Alice mentioned you in a post “Hello”"]


def test_a_text_without_mentions_writes_no_mention_event(act, alice):
    with act():
        post = post_create(author=alice, title="Quiet", body="No names here, mail me@host.org")
        post_update(post=post, editor=alice, title="Still quiet")

    assert not NotificationEvent.objects.filter(kind=Kind.MENTION).exists()


# --- Follows ----------------------------------------------------------------------------------


def test_follows_tell_the_followee_grouped(act, alice, bob, carol):
    with act():
        follow_create(follower=bob, followee=alice)
    assert texts_of(alice) == ["Bob started following you"]
    assert lines_of(alice)[0].summary.url == "/u/bob/"

    with act():
        follow_create(follower=carol, followee=alice)
        follow_create(follower=carol, followee=alice)  # again: nothing new

    assert texts_of(alice) == ["Carol and 1 other started following you"]
    assert lines_of(alice)[0].summary.url == "/u/alice/followers/"
    assert NotificationEvent.objects.count() == 2


def test_a_follow_undone_before_the_job_runs_tells_nobody(
    django_capture_on_commit_callbacks, run_worker, alice, bob
):
    with django_capture_on_commit_callbacks(execute=True):
        follow_create(follower=bob, followee=alice)
    follow_delete(follower=bob, followee=alice)

    run_worker()

    assert Notification.objects.count() == 0


# --- Photos that could not be processed -------------------------------------------------------


def test_a_photo_of_a_post_that_fails_tells_its_owner_why(act, alice):
    broken = images.upload(images.jpeg((400, 300))[:1500], "cut.jpg")

    with act():
        post = post_create(author=alice, title="Holiday", images=[broken])

    media = Media.objects.get()
    assert media.status == Media.Status.FAILED
    [line] = lines_of(alice)
    assert line.kind == Kind.PHOTO_FAILED
    assert line.summary.text.startswith("Your photo could not be processed: ")
    assert "truncated" in line.summary.text
    assert line.summary.url == f"/posts/{post.pk}/"
    assert line.summary.actor is None


def test_an_upload_on_no_post_that_fails_tells_nobody(act, alice):
    from media.services import media_create

    with act():
        media_create(owner=alice, file=images.upload(images.jpeg((400, 300))[:1500], "cut.jpg"))

    assert Media.objects.get().status == Media.Status.FAILED
    assert Notification.objects.count() == 0


def test_an_avatar_that_fails_tells_its_owner_and_leads_to_the_settings(act, alice):
    from accounts.services import avatar_upload

    with act():
        avatar_upload(user=alice, file=images.upload(images.jpeg((400, 300))[:1500], "cut.jpg"))

    [line] = lines_of(alice)
    assert "truncated" in line.summary.text
    assert line.summary.url == "/settings/#avatar"


# --- The job: safe to run again ---------------------------------------------------------------


def test_the_job_run_again_changes_nothing(act, alice, bob):
    post = PostFactory(author=alice)
    with act():
        like_set(user=bob, post=post)
    before = list(Notification.objects.values("actor_count", "updated_at", "read_at"))
    event = NotificationEvent.objects.get()

    with act():
        notification_event_restart(event=event)  # the admin's "Deliver again"
    assert notifications_deliver(event_id=event.pk) == "skipped"  # done already

    assert list(Notification.objects.values("actor_count", "updated_at", "read_at")) == before
    assert NotificationActor.objects.count() == 1


def test_a_delivery_that_fails_is_retried_by_the_durable_mechanism(
    act, alice, bob, monkeypatch, redis_connection
):
    post = PostFactory(author=alice, title="Spring")
    from posts.services import notifications as service

    def broken(*args, **kwargs):
        raise OSError("database hiccup")

    with monkeypatch.context() as patch:
        patch.setattr(service, "_notify", broken)
        with act():
            like_set(user=bob, post=post)
    event = NotificationEvent.objects.get()
    assert (event.status, event.attempts) == (NotificationEvent.Status.PENDING, 1)
    assert "database hiccup" in event.last_error

    assert notifications_deliver(event_id=event.pk) == "done"
    assert texts_of(alice) == ["Bob liked your post “Spring”"]
    assert Notification.objects.get().actor_count == 1
    assert durable.kind_of(NotificationEvent).queue == "default"


# --- Forgetting -------------------------------------------------------------------------------


def test_the_sweep_deletes_read_notifications_after_90_days_and_keeps_the_rest(
    act, alice, bob, carol, settings
):
    assert settings.NOTIFICATION_KEEP_READ_DAYS == 90
    for post_title in ("Old", "Recent", "Unread"):
        post = PostFactory(author=alice, title=post_title)
        with act():
            like_set(user=bob, post=post)
    now = timezone.now()
    Notification.objects.filter(post__title="Old").update(read_at=now - timedelta(days=91))
    Notification.objects.filter(post__title="Recent").update(read_at=now - timedelta(days=89))
    Notification.objects.filter(post__title="Unread").update(updated_at=now - timedelta(days=400))

    counts = sweep.run_sweep()

    assert counts["posts: old read notifications deleted"] == 1
    assert sorted(Notification.objects.values_list("post__title", flat=True)) == [
        "Recent",
        "Unread",
    ]
    assert NotificationActor.objects.count() == 2
    assert notifications_forget_old() == 0


def test_someone_deleted_leaves_the_lines_they_were_in(act, alice, bob, carol, admin_user):
    post = PostFactory(author=alice, title="Spring")
    with act():
        like_set(user=bob, post=post)
    with act():
        like_set(user=carol, post=post)
    with act():
        follow_create(follower=carol, followee=alice)

    user_delete(user=carol, actor=admin_user)

    assert texts_of(alice) == ["Bob liked your post “Spring”"]


def test_a_comment_deleted_while_its_event_is_delivered_tells_nobody_and_fails_nothing(
    alice, bob, django_capture_on_commit_callbacks
):
    """The job read the event, then the comment went (with the event, by cascade) before the
    job read the comment: nothing to tell, and no failed attempt (seen in Schemathesis runs)."""
    post = PostFactory(author=alice)
    with django_capture_on_commit_callbacks(execute=False):
        comment = comment_create(post=post, author=bob, body="Soon gone")
    event = NotificationEvent.objects.get(comment=comment)
    stale = NotificationEvent.objects.get(pk=event.pk)  # as the job holds it
    comment.delete()

    _deliver(stale)

    assert not Notification.objects.exists()
