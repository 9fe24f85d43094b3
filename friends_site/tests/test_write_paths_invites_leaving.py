"""Invitations and leaving, pages, API and admin, with real transactions (see test_write_paths):
each request commits as in production, jobs are queued on the tests' Redis after commit and
run by an in-process worker."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import (
    AccountDeletion,
    ApiToken,
    EmailDelivery,
    Follow,
    Invitation,
    InvitationOptOut,
    User,
)
from accounts.services import avatar_upload
from accounts.tests.factories import PASSWORD, UserFactory, api_client_for
from media.models import Media
from media.services import media_create
from media.tests import media_images as images
from media.tests.media_images import stored_files
from posts.models import Post
from posts.services import comment_create, like_set, post_create

pytestmark = [pytest.mark.django_db(transaction=True)]

API = "/api/v1"
STRONG = "plum-orchard-velvet-42"
LINK = re.compile(r"http://testserver(/signup/\?invite=([\w-]+))")
UNSUBSCRIBE = re.compile(r"http://testserver(/invite/unsubscribe/[\w-]+/)")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "http://testserver"
    settings.INVITATIONS_PER_DAY = 5


def small_jpeg():
    return images.upload(images.jpeg((16, 12)))


def counts(post: Post) -> tuple[int, int]:
    post.refresh_from_db()
    return post.like_count, post.comment_count


def follows() -> set[tuple[str, str]]:
    return set(Follow.objects.values_list("follower__username", "followee__username"))


def references_to(user_pk: int) -> dict[str, int]:
    """Rows of every table with a foreign key to the user that point at `user_pk`."""
    found = {}
    for relation in User._meta.get_fields(include_hidden=True):
        if relation.is_relation and relation.auto_created and not relation.concrete:
            if relation.many_to_many:
                continue
            model, field = relation.related_model, relation.field
            count = model._base_manager.filter(**{field.name: user_pk}).count()
            if count:
                found[f"{model._meta.label}.{field.name}"] = count
    return found


# --- Invitations ------------------------------------------------------------------------------


def test_api_invitation_arrives_and_signing_up_through_its_link_makes_a_mutual_follow(
    client, run_worker
):
    alice = UserFactory(username="alice", display_name="Alice")

    response = api_client_for(alice).post(
        f"{API}/invites/", {"email": "newcomer@example.com"}, format="json"
    )

    assert response.status_code == 202
    run_worker()
    [message] = mail.outbox
    assert (message.to, message.subject) == (
        ["newcomer@example.com"],
        "Alice invited you to Friends",
    )
    path, token = LINK.search(message.body).groups()
    assert "Alice</strong> invited you." in client.get(path).content.decode()
    signed_up = client.post(
        "/signup/",
        {
            "username": "newcomer",
            "email": "newcomer@example.com",
            "password1": STRONG,
            "password2": STRONG,
            "invite": token,
        },
    )
    assert signed_up.status_code == 302
    assert follows() == {("newcomer", "alice"), ("alice", "newcomer")}
    invitation = Invitation.objects.get()
    assert invitation.accepted_by.username == "newcomer"
    run_worker()
    assert [m.to for m in mail.outbox] == [["newcomer@example.com"]] * 2  # and the welcome


def test_api_sign_up_with_an_invitation_token_makes_a_mutual_follow(run_worker):
    alice = UserFactory(username="alice")
    api_client_for(alice).post(f"{API}/invites/", {"email": "bo@example.com"}, format="json")
    run_worker()
    _path, token = LINK.search(mail.outbox[0].body).groups()

    response = APIClient().post(
        f"{API}/auth/signup/",
        {"username": "bo", "email": "bo@example.com", "password": STRONG, "invite": token},
        format="json",
    )

    assert response.status_code == 201
    assert follows() == {("bo", "alice"), ("alice", "bo")}


def test_invite_page_sends_to_a_new_address_and_nothing_to_an_account_with_the_same_answer(
    client, run_worker
):
    UserFactory(email="member@example.com")
    answers = []
    for inviter, email in (("alice", "stranger@example.com"), ("bob", "Member@Example.com")):
        client.force_login(UserFactory(username=inviter))
        response = client.post("/invite/", {"email": email}, follow=True)
        html = response.content.decode().replace(email, "ADDRESS")
        answers.append(
            (
                response.redirect_chain,
                re.search(r'<ul class="messages">.*?</ul>', html, re.S).group(),
            )
        )

    assert answers[0] == answers[1]
    run_worker()
    assert [m.to for m in mail.outbox] == [["stranger@example.com"]]
    assert list(
        EmailDelivery.objects.filter(kind="invitation").values_list("recipient", flat=True)
    ) == ["stranger@example.com"]


def test_api_invitation_to_an_account_answers_the_same_and_sends_nothing(run_worker):
    UserFactory(email="member@example.com")

    new = api_client_for(UserFactory()).post(
        f"{API}/invites/", {"email": "new@example.com"}, format="json"
    )
    member = api_client_for(UserFactory()).post(
        f"{API}/invites/", {"email": "member@example.com"}, format="json"
    )

    assert (member.status_code, member.json()) == (new.status_code, new.json())
    run_worker()
    assert [m.to for m in mail.outbox] == [["new@example.com"]]


def test_unsubscribe_page_records_the_opt_out_on_post_only(run_worker):
    alice = UserFactory()
    client = api_client_for(alice)
    client.post(f"{API}/invites/", {"email": "quiet@example.com"}, format="json")
    run_worker()
    path = UNSUBSCRIBE.search(mail.outbox[0].body).group(1)
    browser = Client(enforce_csrf_checks=True)

    page = browser.get(path)
    assert page.status_code == 200
    assert not InvitationOptOut.objects.exists()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    assert browser.post(path, {"csrfmiddlewaretoken": csrf}).status_code == 302

    assert list(InvitationOptOut.objects.values_list("email", flat=True)) == ["quiet@example.com"]
    other = api_client_for(UserFactory())
    assert (
        other.post(f"{API}/invites/", {"email": "QUIET@example.com"}, format="json").status_code
        == 202
    )
    run_worker()
    assert len(mail.outbox) == 1


def test_api_invitations_past_the_daily_limit_answer_429(settings):
    settings.INVITATIONS_PER_DAY = 1
    client = api_client_for(UserFactory())
    assert (
        client.post(f"{API}/invites/", {"email": "a@example.com"}, format="json").status_code == 202
    )

    refused = client.post(f"{API}/invites/", {"email": "b@example.com"}, format="json")

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["code"] == "throttled"
    assert Invitation.objects.count() == 1


# --- Leaving ----------------------------------------------------------------------------------


@pytest.fixture
def leaving(run_worker):
    """Lea, who leaves, with photos, an avatar, a post liked and commented by Sam, her like and
    comment on Sam's post, follows both ways and an invitation; Sam's post and photo."""
    lea, sam = UserFactory(username="lea", email="lea@example.com"), UserFactory(username="sam")
    sams_post = post_create(
        author=sam, title="Sam's", media_ids=[media_create(owner=sam, file=small_jpeg()).pk]
    )
    leas_post = post_create(
        author=lea, title="Lea's", media_ids=[media_create(owner=lea, file=small_jpeg()).pk]
    )
    avatar_upload(user=lea, file=small_jpeg())
    like_set(user=lea, post=sams_post)
    like_set(user=sam, post=sams_post)
    like_set(user=sam, post=leas_post)
    comment_create(post=sams_post, author=lea, body="Lovely")
    comment_create(post=sams_post, author=sam, body="Thanks")
    comment_create(post=leas_post, author=sam, body="Nice")
    Follow.objects.create(follower=lea, followee=sam)
    Follow.objects.create(follower=sam, followee=lea)
    api_client_for(lea).post(f"{API}/invites/", {"email": "pal@example.com"}, format="json")
    run_worker()
    mail.outbox.clear()
    assert counts(sams_post) == (2, 2)
    return lea, sams_post


def assert_gone_with_one_goodbye(settings, lea, sams_post, files_kept) -> None:
    assert not User.objects.filter(pk=lea.pk).exists()
    assert references_to(lea.pk) == {}
    assert not Media.objects.filter(owner_id=lea.pk).exists()
    assert set(stored_files(settings)) == files_kept
    assert counts(sams_post) == (1, 1)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["lea@example.com"], "Your Friends account is deleted")
    ]
    assert AccountDeletion.objects.get().status == AccountDeletion.Status.DONE


def sams_files(settings) -> set:
    photo = Media.objects.get(owner__username="sam")
    return {
        path
        for path in stored_files(settings)
        if f"/{photo.pk}-{photo.storage_key}/" in str(path)
        or str(path).endswith(photo.original.name)
    }


def test_leave_page_deactivates_logs_out_and_the_job_deletes_everything(
    settings, client, leaving, run_worker
):
    lea, sams_post = leaving
    files_kept = sams_files(settings)
    other_browser = Client()
    other_browser.force_login(lea)
    client.force_login(lea)

    wrong = client.post("/settings/delete/", {"password": "nope"})
    assert wrong.status_code == 200
    response = client.post("/settings/delete/", {"password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/settings/delete/done/")
    assert not User.objects.get(pk=lea.pk).is_active
    for browser in (client, other_browser):
        assert browser.get("/settings/")["Location"] == "/login/?next=/settings/"
    run_worker()
    assert_gone_with_one_goodbye(settings, lea, sams_post, files_kept)


def test_api_leave_deactivates_ends_the_token_and_the_job_deletes_everything(
    settings, leaving, run_worker
):
    lea, sams_post = leaving
    files_kept = sams_files(settings)
    api = api_client_for(lea)

    response = api.delete(f"{API}/me/", {"password": PASSWORD}, format="json")

    assert response.status_code == 202
    assert api.get(f"{API}/me/").status_code == 401
    assert not ApiToken.objects.filter(user_id=lea.pk).exists()
    run_worker()
    assert_gone_with_one_goodbye(settings, lea, sams_post, files_kept)
    run_worker()  # nothing left to do: still one goodbye
    assert len(mail.outbox) == 1


def test_admin_action_deactivates_and_the_job_deletes_everything(
    settings, client, leaving, run_worker
):
    lea, sams_post = leaving
    files_kept = sams_files(settings)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post(
        "/admin/accounts/user/",
        {"action": "deactivate_and_delete", "_selected_action": [lea.pk]},
    )

    assert (response.status_code, response["Location"]) == (302, "/admin/accounts/user/")
    assert not User.objects.get(pk=lea.pk).is_active
    run_worker()
    assert_gone_with_one_goodbye(settings, lea, sams_post, files_kept)
