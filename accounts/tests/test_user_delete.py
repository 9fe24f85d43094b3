"""Deleting an account goes through one service: the person or staff, media files by a job,
the counters of other people's posts counted again."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied

from accounts.models import User
from accounts.services import user_delete
from accounts.tests.factories import UserFactory
from media.models import Media
from media.services import media_create
from media.tests import media_images as images
from media.tests.media_images import stored_files
from posts.models import Post
from posts.services import comment_create, like_set, post_create
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def test_only_the_person_or_staff_with_the_permission_delete_an_account():
    person, stranger = UserFactory(), UserFactory()
    staff = UserFactory(is_staff=True)

    with pytest.raises(PermissionDenied):
        user_delete(user=person, actor=stranger)
    with pytest.raises(PermissionDenied):
        user_delete(user=person, actor=staff)
    staff.user_permissions.add(Permission.objects.get(codename="delete_user"))
    staff = User.objects.get(pk=staff.pk)  # permissions are cached per instance

    user_delete(user=person, actor=staff)
    assert not User.objects.filter(pk=person.pk).exists()


def test_the_likes_and_comments_of_a_deleted_account_leave_other_posts_counted_right():
    leaving, staying = UserFactory(), UserFactory()
    theirs = PostFactory(author=staying)
    like_set(user=leaving, post=theirs)
    like_set(user=staying, post=theirs)
    comment_create(post=theirs, author=leaving, body="Bye")
    comment_create(post=theirs, author=staying, body="Stay")

    user_delete(user=leaving, actor=leaving)

    theirs.refresh_from_db()
    assert (theirs.like_count, theirs.comment_count) == (1, 1)


def test_a_deleted_accounts_photos_and_avatar_leave_storage(
    settings, run_worker, django_capture_on_commit_callbacks
):
    leaving = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        photo = media_create(owner=leaving, file=images.upload(images.jpeg()))
        post_create(author=leaving, title="Soon gone", media_ids=[photo.pk])
        media_create(owner=leaving, file=images.upload(images.jpeg()), kind=Media.Kind.AVATAR)
    run_worker()
    leaving.refresh_from_db()
    assert leaving.avatar is not None
    assert len(stored_files(settings)) == 6  # two originals, two photo and two avatar variants

    with django_capture_on_commit_callbacks(execute=True):
        user_delete(user=leaving, actor=leaving)
    run_worker()

    assert stored_files(settings) == []
    assert not Media.objects.exists()
    assert not Post.objects.exists()
