"""The media job for real: enqueued on the test Redis, run by a worker; files checked."""

import io
import os
import signal
import time
from pathlib import Path

import django_rq
import pytest
from django.core.files.storage import storages
from PIL import Image
from redis.exceptions import ConnectionError as RedisConnectionError
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from accounts.models import User
from accounts.services import avatar_upload
from accounts.tests.factories import UserFactory
from core import durable
from core.errors import ApplicationError
from media import imaging
from media.models import FileDeletion, Media
from media.services import media_create, media_delete_unused_and_failed, media_process
from media.tests import media_images as images
from posts.models import PostPhoto
from posts.services import post_create, post_delete, post_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Upload through the service and run the after-commit enqueue, as a request would."""

    def run(data: bytes, *, owner=None, name="photo.jpg", **kwargs) -> Media:
        with django_capture_on_commit_callbacks(execute=True):
            return media_create(
                owner=owner or UserFactory(), file=images.upload(data, name), **kwargs
            )

    return run


def child_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def public_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "public"
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def served(media: Media, variant: str) -> tuple[Image.Image, bytes]:
    with storages["default"].open(media.variants[variant]["name"], "rb") as handle:
        data = handle.read()
    return Image.open(io.BytesIO(data)), data


def test_a_rotated_gps_tagged_photo_is_served_upright_without_exif(upload, run_worker):
    media = upload(images.jpeg((64, 48), orientation=6, gps=True))

    run_worker()

    media.refresh_from_db()
    assert media.status == Media.Status.DONE
    assert (media.width, media.height) == (48, 64)
    assert media.blurhash
    assert media.finished_at is not None
    for variant in ("display", "thumbnail"):
        image, data = served(media, variant)
        assert image.format == "WEBP"
        assert image.size == (48, 64)
        # The source is red on the left, blue on the right; turned upright: red on top.
        red, _green, blue = image.convert("RGB").getpixel((24, 5))
        assert red > 150 > blue
        red, _green, blue = image.convert("RGB").getpixel((24, 58))
        assert blue > 150 > red
        assert not image.getexif()
        assert b"Exif" not in data
        assert b"GPS" not in data
        assert "exif" not in image.info
        assert "icc_profile" not in image.info


def test_a_big_photo_gets_a_display_and_a_thumbnail_size(upload, run_worker):
    media = upload(images.jpeg((3000, 1500)))

    run_worker()

    media.refresh_from_db()
    assert media.status == Media.Status.DONE
    assert served(media, "display")[0].size == (2048, 1024)
    assert served(media, "thumbnail")[0].size == (640, 320)
    assert media.variant_url("display").startswith("/media/media/")


def test_a_jpeg_with_a_script_appended_is_served_re_encoded_clean(upload, run_worker):
    media = upload(images.jpeg() + b"<script>alert('owned')</script>")

    run_worker()

    media.refresh_from_db()
    assert media.status == Media.Status.DONE
    for variant in ("display", "thumbnail"):
        _image, data = served(media, variant)
        assert data.startswith(b"RIFF")
        assert b"<script" not in data


@pytest.mark.parametrize(
    ("data", "name", "mode", "pixel"),
    [
        (images.cmyk_jpeg(), "cmyk.jpg", "RGB", (255, 0, 0)),
        (images.png16(), "deep.png", "RGB", (255, 0, 128)),
        (images.png16_grey(), "deep-grey.png", "RGB", (156, 156, 156)),
        (images.srgb_with_profile(), "profile.jpg", "RGB", (220, 20, 20)),
        (images.heic(), "photo.heic", "RGB", (220, 20, 20)),
    ],
    ids=["cmyk-jpeg", "16-bit-png", "16-bit-grey-png", "icc-profile", "heic"],
)
def test_colour_formats_end_up_as_srgb_webp(upload, run_worker, data, name, mode, pixel):
    media = upload(data, name=name)

    run_worker()

    media.refresh_from_db()
    assert media.status == Media.Status.DONE, media.last_error
    image, _data = served(media, "display")
    assert image.mode == mode
    assert all(abs(a - b) <= 12 for a, b in zip(image.getpixel((1, 1)), pixel, strict=True))


def test_a_transparent_png_keeps_its_alpha(upload, run_worker):
    media = upload(images.transparent_png(), name="logo.png")

    run_worker()

    media.refresh_from_db()
    image, _data = served(media, "display")
    assert image.mode == "RGBA"
    assert image.getpixel((2, 2))[3] == 255
    assert image.getpixel((38, 2))[3] == 0


def test_an_animated_gif_stays_animated_with_a_still_thumbnail(upload, run_worker):
    media = upload(images.animated_gif(frames=6), name="loop.gif")

    run_worker()

    media.refresh_from_db()
    assert media.status == Media.Status.DONE
    assert media.animated
    display, _data = served(media, "display")
    assert display.n_frames == 6
    thumbnail, _data = served(media, "thumbnail")
    assert getattr(thumbnail, "n_frames", 1) == 1


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (images.jpeg((400, 300))[:1500], "cut.jpg", "truncated"),
        (images.animated_gif(frames=2_000, size=(4, 4)), "long.gif", "more than 300 frames"),
    ],
    ids=["truncated-jpeg", "gif-of-thousands-of-frames"],
)
def test_a_bad_image_fails_with_a_reason_and_is_not_retried(
    settings, upload, run_worker, redis_connection, data, name, reason
):
    media = upload(data, name=name)

    run_worker()

    media.refresh_from_db()
    assert media.status == Media.Status.FAILED
    assert reason in media.last_error
    assert media.attempts == 1
    assert public_files(settings) == []
    queue = django_rq.get_queue("media")
    assert FailedJobRegistry(queue=queue).count == 0
    assert ScheduledJobRegistry(queue=queue).count == 0
    assert queue.count == 0


def test_the_animation_pixel_budget_is_enforced(settings, upload, run_worker):
    settings.MEDIA_MAX_ANIMATION_PIXELS = 40 * 30 * 3
    media = upload(images.animated_gif(frames=5), name="loop.gif")

    run_worker()

    media.refresh_from_db()
    assert media.status == Media.Status.FAILED
    assert "megapixels over all frames" in media.last_error


def test_a_second_run_writes_the_same_files(settings, upload, run_worker):
    media = upload(images.jpeg((300, 200)))
    run_worker()
    media.refresh_from_db()
    first = {path: path.read_bytes() for path in public_files(settings)}

    Media.objects.filter(pk=media.pk).update(status=Media.Status.PENDING)
    media_process(media_id=media.pk)

    assert {path: path.read_bytes() for path in public_files(settings)} == first
    media.refresh_from_db()
    assert media.status == Media.Status.DONE
    # A third run on a ready item does nothing.
    assert media_process(media_id=media.pk) == "skipped"


def test_a_transient_storage_error_is_retried(settings, upload, run_worker, monkeypatch):
    settings.MEDIA_RETRY_INTERVALS = [0]
    public = storages["default"]
    original_save = public.save
    calls = []

    def flaky_save(name, content, **kwargs):
        calls.append(name)
        if len(calls) == 1:
            raise OSError("disk hiccup")
        return original_save(name, content, **kwargs)

    monkeypatch.setattr(public, "save", flaky_save)
    media = upload(images.jpeg())

    run_worker()

    media.refresh_from_db()
    assert media.status == Media.Status.DONE
    assert media.attempts == 2


def test_a_storage_that_keeps_failing_ends_failed_never_processing(
    settings, upload, run_worker, monkeypatch
):
    settings.MEDIA_RETRY_INTERVALS = [0]
    settings.MEDIA_MAX_ATTEMPTS = 3

    def broken_save(name, content, **kwargs):
        raise OSError("bucket unavailable")

    monkeypatch.setattr(storages["default"], "save", broken_save)
    media = upload(images.jpeg())

    run_worker()

    media.refresh_from_db()
    assert media.status == Media.Status.FAILED
    assert "could not be processed" in media.last_error
    assert media.attempts == 3


def test_a_job_timeout_leaves_the_item_failed(settings, upload, run_worker, monkeypatch):
    settings.MEDIA_JOB_TIMEOUT = 1
    original_render = imaging.render

    def slow_render(*args, **kwargs):
        time.sleep(3)
        return original_render(*args, **kwargs)

    monkeypatch.setattr(imaging, "render", slow_render)
    media = upload(images.jpeg())

    run_worker()

    media.refresh_from_db()
    assert media.status == Media.Status.FAILED
    assert "took too long" in media.last_error


def test_with_redis_down_the_upload_stays_pending_until_the_sweeper(
    settings, upload, run_worker, monkeypatch
):
    def no_redis(name, **kwargs):
        raise RedisConnectionError("Connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(django_rq, "get_queue", no_redis)
        media = upload(images.jpeg())
    assert media.status == Media.Status.PENDING
    assert django_rq.get_queue("media").count == 0

    assert durable.requeue_stale(Media) == 0  # too recent: its job may still be on its way
    settings.SWEEP_GRACE = 0
    assert durable.requeue_stale(Media) == 1
    run_worker()

    media.refresh_from_db()
    assert media.status == Media.Status.DONE


def test_the_sweeper_leaves_items_whose_job_is_still_queued(settings, upload, run_worker):
    media = upload(images.jpeg())  # queued, no worker yet: a backlog
    settings.SWEEP_GRACE = 0

    assert durable.requeue_stale(Media) == 0
    assert django_rq.get_queue("media").count == 1
    run_worker()
    media.refresh_from_db()
    assert media.status == Media.Status.DONE


def test_the_sweeper_re_enqueues_items_stuck_in_processing(settings, upload, run_worker):
    media = upload(images.jpeg())
    django_rq.get_queue("media").empty()
    Media.objects.filter(pk=media.pk).update(
        status=Media.Status.PROCESSING, claimed_at=media.created_at, attempts=1
    )
    settings.CLAIM_TIMEOUT = 0

    assert durable.requeue_stale(Media) == 1
    run_worker()

    media.refresh_from_db()
    assert media.status == Media.Status.DONE


def test_a_worker_dying_on_the_last_attempt_leaves_the_item_failed(settings, upload, run_worker):
    media = upload(images.jpeg())
    django_rq.get_queue("media").empty()
    Media.objects.filter(pk=media.pk).update(
        status=Media.Status.PROCESSING,
        claimed_at=media.created_at,
        attempts=settings.MEDIA_MAX_ATTEMPTS,
    )
    settings.CLAIM_TIMEOUT = 0

    assert durable.requeue_stale(Media) == 1
    run_worker()

    media.refresh_from_db()
    assert media.status == Media.Status.FAILED
    assert media.last_error == "The photo could not be processed; please upload it again."


def test_the_sweeper_deletes_photos_never_attached_to_a_post(
    settings, upload, run_worker, django_capture_on_commit_callbacks
):
    media = upload(images.jpeg())
    run_worker()
    settings.MEDIA_UNATTACHED_TTL_SECONDS = 0

    with django_capture_on_commit_callbacks(execute=True):
        assert media_delete_unused_and_failed() == 1
    run_worker()

    assert not Media.objects.filter(pk=media.pk).exists()
    assert FileDeletion.objects.get().status == FileDeletion.Status.DONE
    assert public_files(settings) == []
    assert not storages["private"].exists(media.original.name)


def test_an_avatar_becomes_the_users_square_avatar_and_replaces_the_old_one(
    settings, run_worker, django_capture_on_commit_callbacks
):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = avatar_upload(user=user, file=images.upload(images.jpeg((300, 200))))
    run_worker()
    user.refresh_from_db()
    assert user.avatar_id == first.pk
    first.refresh_from_db()
    assert served(first, "avatar_400")[0].size == (400, 400)
    assert served(first, "avatar_96")[0].size == (96, 96)

    with django_capture_on_commit_callbacks(execute=True):
        second = avatar_upload(user=user, file=images.upload(images.jpeg((200, 300))))
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()  # makes the new one the avatar, then queues deleting the old one's files
    run_worker()

    user = User.objects.get(pk=user.pk)
    assert user.avatar_id == second.pk
    assert not Media.objects.filter(pk=first.pk).exists()
    assert len(public_files(settings)) == 2


def test_deleting_a_post_removes_its_photos_files(
    settings, upload, run_worker, django_capture_on_commit_callbacks
):
    owner = UserFactory()
    photos = [upload(images.jpeg(), owner=owner) for _ in range(2)]
    post = post_create(author=owner, title="Two", media_ids=[photo.pk for photo in photos])
    run_worker()
    assert len(public_files(settings)) == 4

    with django_capture_on_commit_callbacks(execute=True):
        post_delete(post=post, actor=owner)
    run_worker()

    assert Media.objects.count() == 0
    assert public_files(settings) == []
    assert not any(storages["private"].exists(photo.original.name) for photo in photos)


def test_a_post_takes_at_most_ten_photos(upload):
    owner = UserFactory()
    photos = [upload(images.jpeg((8, 8)), owner=owner) for _ in range(11)]

    with pytest.raises(ApplicationError, match="at most 10 photos"):
        post_create(author=owner, title="Many", media_ids=[p.pk for p in photos])
    assert not PostPhoto.objects.exists()


def test_photos_attach_only_to_their_owners_post_once(upload):
    owner, other = UserFactory(), UserFactory()
    mine = upload(images.jpeg(), owner=owner)
    theirs = upload(images.jpeg(), owner=other)

    with pytest.raises(ApplicationError, match="Unknown photo"):
        post_create(author=owner, title="Both", media_ids=[mine.pk, theirs.pk])
    post_create(author=owner, title="Mine", media_ids=[mine.pk])
    with pytest.raises(ApplicationError, match="Unknown photo"):
        post_create(author=owner, title="Mine again", media_ids=[mine.pk])


def test_attaching_sets_the_order_and_drops_photos_left_out(upload):
    owner = UserFactory()
    first, second, third = (upload(images.jpeg(), owner=owner) for _ in range(3))
    post = post_create(author=owner, title="Three", media_ids=[first.pk, second.pk, third.pk])

    post_update(post=post, editor=owner, media_ids=[third.pk, first.pk])

    assert list(post.photo_links.order_by("position").values_list("media", flat=True)) == [
        third.pk,
        first.pk,
    ]
    assert not Media.objects.filter(pk=second.pk).exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_processing_still_ends_ready(settings, worker_process, monkeypatch):
    # The ordinary job is not queued: the test queues a slow one of its own.
    monkeypatch.setattr("media.services.durable.enqueue_on_commit", lambda row: None)
    media = media_create(owner=UserFactory(), file=images.upload(images.jpeg((300, 200))))
    queue = django_rq.get_queue("media")
    queue.enqueue("media.tests.media_slow.process_media_slowly", media.pk, job_timeout=120)

    worker = worker_process("media")
    deadline = time.monotonic() + 30
    while (current := Media.objects.get(pk=media.pk)).status == Media.Status.PENDING:
        assert time.monotonic() < deadline, "the worker never started the job"
        assert worker.poll() is None, "the worker exited"
        time.sleep(0.1)
    assert current.status == Media.Status.PROCESSING, (current.status, current.last_error)
    # The worker and its work horse (a child in a session of its own) die with no goodbye.
    for pid in [*child_pids(worker.pid), worker.pid]:
        os.kill(pid, signal.SIGKILL)
    worker.wait(timeout=10)
    assert Media.objects.get(pk=media.pk).status == Media.Status.PROCESSING

    # The sweep's rule for dead claims (its threshold shortened for the test).
    monkeypatch.undo()
    settings.CLAIM_TIMEOUT = 0
    assert durable.requeue_stale(Media) == 1
    worker_process("media", burst=True).wait(timeout=60)

    media.refresh_from_db()
    assert media.status == Media.Status.DONE
    assert media.attempts == 2
