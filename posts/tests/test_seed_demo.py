"""seed_demo fills a development database, never a live one, and deletes only its own users;
its people get avatars and some posts photos, through the real upload and processing path."""

import hashlib
import io
from collections import Counter

import pytest
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from PIL import Image

from accounts.models import Follow, User
from accounts.tests.factories import UserFactory
from core import ratelimit
from media.limits import upload_rate
from media.models import Media
from posts.management import demo_images
from posts.management.bulk_load import SecondaryIndexesDeferred
from posts.management.commands import seed_demo
from posts.models import Comment, Like, Post

pytestmark = pytest.mark.django_db

SMALL = ["--users", "5", "--posts", "10", "--likes", "5", "--follows", "5", "--comments", "3"]
NO_MEDIA = ["--avatars", "0", "--photo-posts", "0"]
# 6 people with an avatar each; 3 of the 12 posts (a quarter) with photos.
WITH_MEDIA = ["--users", "6", "--posts", "12", "--likes", "5", "--follows", "5", "--comments", "2"]


def test_it_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("seed_demo", *SMALL, *NO_MEDIA)
    assert not User.objects.exists()

    call_command("seed_demo", *SMALL, *NO_MEDIA, "--force")
    assert User.objects.filter(email__endswith="@demo.invalid").count() == 5


def test_reset_deletes_the_users_it_made_and_nobody_else(settings):
    settings.DEBUG = True
    real = UserFactory(username="ann")
    call_command("seed_demo", *SMALL, *NO_MEDIA)
    call_command("seed_demo", *SMALL, *NO_MEDIA, "--reset", "--seed", "7")

    assert User.objects.filter(username__startswith="demo_").count() == 5
    assert User.objects.filter(pk=real.pk).exists()


def test_a_real_person_named_like_a_demo_user_is_never_touched(settings):
    settings.DEBUG = True
    fan = UserFactory(username="demo_1", email="fan@example.com")
    Post.objects.create(author=fan, title="Mine")

    with pytest.raises(CommandError, match="not made by seed_demo"):
        call_command("seed_demo", *SMALL, "--reset")

    assert User.objects.get(pk=fan.pk).email == "fan@example.com"
    assert Post.objects.filter(author=fan).exists()


# --- Avatars and photos -----------------------------------------------------------------------


def test_queued_media_is_made_ready_by_the_worker_and_the_avatars_become_the_peoples(
    settings, run_worker, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", *WITH_MEDIA, "--queue-media")

    people = list(User.objects.filter(username__startswith="demo_"))
    avatars = Media.objects.filter(kind=Media.Kind.AVATAR)
    photos = Media.objects.filter(kind=Media.Kind.PHOTO)
    assert sorted(avatars.values_list("owner_id", flat=True)) == sorted(p.pk for p in people)
    photo_posts = Post.objects.filter(photos__isnull=False).distinct()
    assert photo_posts.count() == 3
    assert all(1 <= post.photos.count() <= 4 for post in photo_posts)
    assert all(photo.alt_text for photo in photos)
    # Stored as an upload is: the original in private storage, the item pending for the worker.
    assert set(Media.objects.values_list("status", flat=True)) == {Media.Status.PENDING}
    assert all(storages["private"].exists(item.original.name) for item in Media.objects.all())
    assert not any(person.avatar_id for person in people)

    run_worker()

    for item in Media.objects.all():
        assert item.status == Media.Status.DONE, item.last_error
        assert item.blurhash
        names = {"avatar_400", "avatar_96"} if item.kind == "avatar" else {"display", "thumbnail"}
        assert set(item.variants) == names
        assert all(storages["default"].exists(v["name"]) for v in item.variants.values())
    for person in User.objects.filter(username__startswith="demo_").select_related("avatar"):
        assert person.avatar.owner_id == person.pk
        assert person.avatar.kind == Media.Kind.AVATAR
    assert photos.filter(attached_at__isnull=True).count() == 0


def test_by_default_the_command_processes_the_media_itself(settings, redis_connection):
    settings.DEBUG = True

    call_command("seed_demo", *WITH_MEDIA)

    assert Media.objects.count() > 6
    assert set(Media.objects.values_list("status", flat=True)) == {Media.Status.DONE}
    people = User.objects.filter(username__startswith="demo_")
    assert not people.filter(avatar__isnull=True).exists()


def test_the_upload_limits_do_not_refuse_the_demo_and_stay_for_everyone_else(settings):
    settings.DEBUG = True
    settings.RATELIMIT_RATES = {"uploads": (4, 3600)}  # a post's 4 photos pass, not more

    call_command("seed_demo", "--users", "2", "--posts", "24", "--photo-posts", "6", "--follows",
                 "1", "--likes", "1", "--comments", "0", "--queue-media")  # fmt: skip

    uploads = Counter(Media.objects.values_list("owner__username", flat=True))
    assert max(uploads.values()) > 4
    assert settings.RATELIMIT_ENABLE
    # Nothing was counted against the demo people's own allowance either.
    for person in User.objects.filter(username__startswith="demo_"):
        assert ratelimit.current("uploads", str(person.pk), upload_rate()) == 0


def test_reset_deletes_the_files_of_the_earlier_demo_media(
    settings, run_worker, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    media = ["--avatars", "2", "--photo-posts", "1", "--queue-media"]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", *SMALL, *media)
    run_worker()
    earlier = {item.original.name for item in Media.objects.all()}
    assert earlier

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", *SMALL, *NO_MEDIA, "--reset")
    run_worker()

    assert not Media.objects.exists()
    assert not any(storages["private"].exists(name) for name in earlier)


def test_the_images_are_the_same_for_a_seed_and_vary_between_seeds():
    first = [demo_images.photo(f"42-photo-{n}") for n in range(12)]
    again = [demo_images.photo(f"42-photo-{n}") for n in range(12)]

    assert [image.data for image in first] == [image.data for image in again]
    assert len({hashlib.sha256(image.data).digest() for image in first}) == 12
    assert all(image.alt_text.endswith(".") and len(image.alt_text) > 20 for image in first)
    shapes = {_shape(image.data) for image in first}
    assert {"portrait", "landscape"} <= shapes
    assert demo_images.avatar("a", "Ann Lee").data == demo_images.avatar("a", "Ann Lee").data
    assert demo_images.avatar("a", "Ann Lee").data != demo_images.avatar("b", "Ann Lee").data


def test_initials_skip_titles_and_suffixes():
    assert demo_images._initials_of("Dr. Jane Q. Doe MD") == "JD"
    assert demo_images._initials_of("Mr. Daniel Brown") == "DB"
    assert demo_images._initials_of("Cher") == "C"


def _shape(data: bytes) -> str:
    width, height = Image.open(io.BytesIO(data)).size
    return "portrait" if height > width else "landscape" if width > height else "square"


# --- Scales -----------------------------------------------------------------------------------

COUNTS = ["--users", "12", "--posts", "30", "--likes", "60", "--follows", "40", "--comments", "20"]


def _network() -> tuple[set, list]:
    follows = set(Follow.objects.values_list("follower__username", "followee__username").order_by())
    posts = list(Post.objects.order_by("created_at", "pk").values_list("author__username", "title"))
    return follows, posts


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the refusal is for SQLite")
def test_the_large_scale_is_refused_on_sqlite_with_a_clear_message(settings):
    settings.DEBUG = True

    with pytest.raises(CommandError, match="--scale large needs PostgreSQL"):
        call_command("seed_demo", "--scale", "large")
    assert not User.objects.exists()


def test_counters_match_the_rows_and_one_person_follows_exactly_the_busy_count(
    settings, monkeypatch
):
    settings.DEBUG = True
    monkeypatch.setattr(seed_demo, "BUSY_READER_FOLLOWS", 4)  # more than twice as many people

    call_command("seed_demo", *COUNTS, *NO_MEDIA)

    assert (Follow.objects.count(), Post.objects.count()) == (40, 30)
    assert (Like.objects.count(), Comment.objects.count()) == (60, 20)
    assert Follow.objects.filter(follower__username="demo_1").count() == 4
    for post in Post.objects.annotate(likes_n=Count("likes", distinct=True)).annotate(
        comments_n=Count("comments", distinct=True)
    ):
        assert (post.like_count, post.comment_count) == (post.likes_n, post.comments_n)


def test_the_same_seed_makes_the_same_network(settings):
    settings.DEBUG = True
    call_command("seed_demo", *COUNTS, *NO_MEDIA, "--seed", "5")
    first = _network()

    call_command("seed_demo", *COUNTS, *NO_MEDIA, "--seed", "5", "--reset")

    assert _network() == first
    call_command("seed_demo", *COUNTS, *NO_MEDIA, "--seed", "6", "--reset")
    assert _network() != first


@pytest.mark.skipif(connection.vendor != "postgresql", reason="indexes are deferred on PostgreSQL")
def test_a_big_load_makes_the_same_indexes_and_constraints_again(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setattr(seed_demo, "DEFER_INDEXES_FROM", 0)  # as for millions of rows
    tables = SecondaryIndexesDeferred([Follow, Post, Like, Comment], enabled=False)
    with connection.cursor() as cursor:
        before = tables.definitions(cursor)
    out = io.StringIO()

    call_command("seed_demo", *COUNTS, *NO_MEDIA, stdout=out)

    assert f"built {len(before[0])} indexes" in out.getvalue()
    with connection.cursor() as cursor:
        assert tables.definitions(cursor) == before
    assert len(before[0]) >= 5  # the loaded tables' own
    assert len(before[1]) >= 8
    like = Like.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        _like_checked_now(user_id=like.user_id, post_id=like.post_id)  # like_once holds
    with pytest.raises(IntegrityError), transaction.atomic():
        _like_checked_now(user_id=like.user_id, post_id=10**9)  # the foreign key holds


def _like_checked_now(**fields) -> None:
    """Insert a like and check its deferred constraints now, not at the commit."""
    Like.objects.create(**fields)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
