"""A new avatar, once processed, deletes the one it replaces (accounts.services.avatar_set_from),
possibly while a request of its owner runs: the request reads the person and the avatar as one
snapshot and never follows a reference to a deleted avatar."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.api import views
from accounts.api.authentication import ApiTokenAuthentication
from accounts.backends import LimitedModelBackend
from accounts.services import token_create, user_profile_update
from accounts.tests.factories import UserFactory
from media.models import Media
from media.services import media_create
from media.tests.media_images import jpeg

pytestmark = pytest.mark.django_db


def person_with_avatar():
    user = UserFactory()
    upload = SimpleUploadedFile("me.jpg", jpeg(), content_type="image/jpeg")
    avatar = media_create(owner=user, file=upload, kind=Media.Kind.AVATAR)
    user.avatar = avatar
    user.save(update_fields=["avatar"])
    return user, avatar


def test_a_session_reads_the_avatar_with_the_person(django_assert_num_queries):
    user, avatar = person_with_avatar()

    signed_in = LimitedModelBackend().get_user(user.pk)
    Media.objects.filter(pk=avatar.pk).delete()  # replaced by a newer one meanwhile

    with django_assert_num_queries(0):
        assert signed_in.avatar.pk == avatar.pk


def test_a_token_reads_the_avatar_with_the_person(django_assert_num_queries):
    user, avatar = person_with_avatar()
    key = token_create(user=user, name="phone")[1]

    signed_in, _token = ApiTokenAuthentication().authenticate_credentials(key.encode())
    Media.objects.filter(pk=avatar.pk).delete()

    with django_assert_num_queries(0):
        assert signed_in.avatar.pk == avatar.pk


def test_a_profile_update_answers_with_the_person_as_stored_now():
    user, avatar = person_with_avatar()
    stale = LimitedModelBackend().get_user(user.pk)
    Media.objects.filter(pk=avatar.pk).delete()

    updated = user_profile_update(user=stale, display_name="Ada")

    assert (updated.display_name, updated.avatar) == ("Ada", None)


def test_patch_me_while_the_avatar_is_replaced_answers_200(monkeypatch):
    user, avatar = person_with_avatar()
    real_update = views.user_profile_update

    def update_while_replaced(**kwargs):
        Media.objects.filter(pk=avatar.pk).delete()
        return real_update(**kwargs)

    monkeypatch.setattr(views, "user_profile_update", update_while_replaced)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=user, name='t')[1]}")

    response = api.patch("/api/v1/me/", {"display_name": "Ada"}, format="json")

    assert response.status_code == 200
    assert (response.json()["display_name"], response.json()["avatar"]) == ("Ada", None)
