"""seed_demo fills a development database, never a live one, and deletes only its own users;
its people get avatars and some posts photos, through the real upload and processing path."""

import hashlib
import io
from collections import Counter

import pytest
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from PIL import Image

from accounts.models import User
from accounts.tests.factories import UserFactory
from core import ratelimit
from media.limits import upload_rate
from media.models import Media
from posts.management import demo_images
from posts.models import Post

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
