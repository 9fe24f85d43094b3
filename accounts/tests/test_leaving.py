"""Leaving: with the password, the account is deactivated at once (logged out everywhere,
tokens ended) and a job deletes it with everything in it through user_delete, recounts the
counters of others' posts and sends one goodbye email. Staff do the same from the admin."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client

from accounts.jobs import delete_account
from accounts.models import (
    AccountDeletion,
    ApiToken,
    Block,
    EmailDelivery,
    Invitation,
    InvitationOptOut,
    Mute,
    User,
)
from accounts.services import (
    account_deactivate,
    account_leave,
    avatar_upload,
    follow_create,
    invitation_send,
    password_reset_request,
)
from accounts.tests.factories import PASSWORD, UserFactory, api_client_for
from core.errors import ApplicationError
from media.models import Media
from media.services import media_create
from media.tests import media_images as images
from media.tests.media_images import stored_files
from posts.models import Post
from posts.services import bookmark_set, comment_create, like_set, post_create

pytestmark = pytest.mark.django_db

API = "/api/v1"


def small_jpeg():
    return images.upload(images.jpeg((16, 12)))


def references_to(user_pk: int) -> dict[str, int]:
    """Rows of every table with a foreign key to the user (hidden relations and the tables of
    many-to-many fields included) that point at `user_pk`, counted by table and column."""
    found = {}
    for relation in User._meta.get_fields(include_hidden=True):
        if not (relation.is_relation and relation.auto_created and not relation.concrete):
            continue
        if relation.many_to_many:
            continue  # its table's own foreign key is listed as a relation of its own
        model, field = relation.related_model, relation.field
        count = model._base_manager.filter(**{field.name: user_pk}).count()
        if count:
            found[f"{model._meta.label}.{field.name}"] = count
    return found


def counts(post: Post) -> tuple[int, int]:
    post.refresh_from_db()
    return post.like_count, post.comment_count


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks, run_worker):
    """Run the queued jobs, then those they queue when they commit: the deletion queues the
    goodbye and the files' deletion (the test's own transaction never commits)."""

    def run() -> None:
        for _round in range(5):
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                run_worker()
            if not callbacks:
                return

    return run


@pytest.fixture
def world(django_capture_on_commit_callbacks, run_jobs):
    """Lea, who leaves, with a bit of everything; Sam, who stays, with a post of his own."""
    lea = UserFactory(username="lea", email="lea@example.com")
    sam = UserFactory(username="sam")
    with django_capture_on_commit_callbacks(execute=True):
        sams_post = post_create(
            author=sam, title="Sam's", media_ids=[media_create(owner=sam, file=small_jpeg()).pk]
        )
        leas_post = post_create(
            author=lea, title="Lea's", media_ids=[media_create(owner=lea, file=small_jpeg()).pk]
        )
        avatar_upload(user=lea, file=small_jpeg())
        media_create(owner=lea, file=small_jpeg())  # uploaded, never posted
        like_set(user=lea, post=sams_post)
        like_set(user=sam, post=sams_post)
        like_set(user=sam, post=leas_post)
        comment_create(post=sams_post, author=lea, body="Lovely")
        comment_create(post=sams_post, author=sam, body="Thanks")
        comment_create(post=leas_post, author=sam, body="Nice")
        bookmark_set(user=lea, post=sams_post)
        follow_create(follower=lea, followee=sam)
        follow_create(follower=sam, followee=lea)
        Block.objects.create(blocker=lea, blocked=UserFactory())
        Mute.objects.create(muter=UserFactory(), muted=lea)
        invitation_send(inviter=lea, email="pal@example.com")
        password_reset_request(email="lea@example.com")
    run_jobs()
    mail.outbox.clear()
    assert counts(sams_post) == (2, 2)
    return {"lea": lea, "sam": sam, "sams_post": sams_post, "leas_post": leas_post}


# --- At once ----------------------------------------------------------------------------------


def test_leaving_on_the_page_deactivates_at_once_and_logs_out_everywhere(client, world):
    lea = world["lea"]
    other_device = Client()
    other_device.force_login(lea)
    token_client = api_client_for(lea)
    client.force_login(lea)
    page = client.get("/settings/delete/").content.decode()
    assert "This cannot be undone." in page

    response = client.post("/settings/delete/", {"password": PASSWORD}, follow=True)

    assert response.redirect_chain == [("/settings/delete/done/", 302)]
    assert "Goodbye" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated
    lea.refresh_from_db()
    assert not lea.is_active
    assert not ApiToken.objects.filter(user=lea).exists()
    deletion = AccountDeletion.objects.get()
    assert (deletion.user, deletion.username, deletion.email, deletion.status) == (
        lea,
        "lea",
        "lea@example.com",
        "pending",
    )
    # Every session of hers is logged out at its next request, every token refused.
    for browser in (client, other_device):
        assert browser.get("/settings/")["Location"] == "/login/?next=/settings/"
        assert 'href="/login/"' in browser.get("/").content.decode()
    assert token_client.get(f"{API}/me/").status_code == 401
    # Until the job runs, nothing is deleted.
    assert Post.objects.filter(author=lea).exists()


def test_the_settings_page_links_to_leaving(client, world):
    client.force_login(world["lea"])
    assert 'href="/settings/delete/"' in client.get("/settings/").content.decode()


def test_a_wrong_password_on_the_page_is_a_form_error_and_changes_nothing(client, world):
    client.force_login(world["lea"])

    response = client.post("/settings/delete/", {"password": "not-my-password"})

    assert response.status_code == 200
    assert "That is not your password." in response.content.decode()
    world["lea"].refresh_from_db()
    assert world["lea"].is_active
    assert not AccountDeletion.objects.exists()


def test_leaving_through_the_api_answers_202_and_the_token_then_401(world):
    lea = world["lea"]
    api = api_client_for(lea)

    wrong = api.delete(f"{API}/me/", {"password": "not-my-password"}, format="json")
    missing = api.delete(f"{API}/me/", {}, format="json")
    assert (wrong.status_code, wrong.json()["errors"]) == (
        400,
        {"password": ["That is not your password."]},
    )
    assert (missing.status_code, list(missing.json()["errors"])) == (400, ["password"])
    assert not AccountDeletion.objects.exists()

    response = api.delete(f"{API}/me/", {"password": PASSWORD}, format="json")

    assert response.status_code == 202
    assert "deactivated" in response.json()["detail"]
    assert api.get(f"{API}/me/").status_code == 401
    assert api.delete(f"{API}/me/", {"password": PASSWORD}, format="json").status_code == 401
    lea.refresh_from_db()
    assert not lea.is_active
    assert AccountDeletion.objects.filter(user=lea).count() == 1


def test_guessing_the_password_to_leave_is_limited_as_log_ins_are(client, settings, world):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_RATES = {"login_failures": (2, 900)}
    lea = world["lea"]
    api = api_client_for(lea)
    client.force_login(lea)

    guesses = [
        api.delete(f"{API}/me/", {"password": "guess-1"}, format="json").status_code,
        client.post("/settings/delete/", {"password": "guess-2"}).status_code,
        api.delete(f"{API}/me/", {"password": PASSWORD}, format="json").status_code,
        client.post("/settings/delete/", {"password": PASSWORD}).status_code,
    ]

    assert guesses == [400, 200, 429, 429]
    lea.refresh_from_db()
    assert lea.is_active


def test_leaving_twice_before_the_job_queues_one_deletion(world):
    lea = world["lea"]
    first = account_leave(user=lea, password=PASSWORD)

    assert account_deactivate(user=lea, actor=lea) == first
    assert AccountDeletion.objects.count() == 1


def test_only_the_person_or_staff_with_the_permission_deactivate(world):
    lea, sam = world["lea"], world["sam"]
    staff = UserFactory(is_staff=True)
    with pytest.raises(PermissionDenied):
        account_deactivate(user=lea, actor=sam)
    with pytest.raises(PermissionDenied):
        account_deactivate(user=lea, actor=staff)
    with pytest.raises(ApplicationError):
        account_leave(user=lea, password="")
    lea.refresh_from_db()
    assert lea.is_active

    staff.user_permissions.add(Permission.objects.get(codename="delete_user"))
    account_deactivate(user=lea, actor=User.objects.get(pk=staff.pk))
    lea.refresh_from_db()
    assert not lea.is_active


# --- The job ----------------------------------------------------------------------------------


def test_after_the_job_nothing_of_theirs_is_left_and_others_counters_are_right(
    settings, world, django_capture_on_commit_callbacks, run_jobs
):
    lea, sams_post = world["lea"], world["sams_post"]
    files_before = set(stored_files(settings))
    sams_photo = Media.objects.get(owner=world["sam"])
    sams_files = {
        path
        for path in files_before
        if f"/{sams_photo.pk}-{sams_photo.storage_key}/" in str(path)
        or str(path).endswith(sams_photo.original.name)
    }
    assert len(sams_files) == 3  # the original and two variants
    tables = references_to(lea.pk)
    # The world is worth the test: her rows are in many tables.
    for table in (
        "posts.Post.author",
        "posts.Like.user",
        "posts.Comment.author",
        "posts.Bookmark.user",
        "accounts.Follow.follower",
        "accounts.Follow.followee",
        "accounts.Block.blocker",
        "accounts.Mute.muted",
        "accounts.Invitation.inviter",
        "accounts.EmailDelivery.user",
        "media.Media.owner",
    ):
        assert table in tables
    theirs = set(Media.objects.filter(owner=lea).values_list("pk", flat=True))
    assert len(theirs) == 3  # a posted photo, the avatar, an upload never posted

    with django_capture_on_commit_callbacks(execute=True):
        account_leave(user=lea, password=PASSWORD)
    run_jobs()

    assert not User.objects.filter(pk=lea.pk).exists()
    assert references_to(lea.pk) == {}
    assert not Media.objects.filter(pk__in=theirs).exists()
    assert not Invitation.objects.exists()
    # No email of hers is kept, but the goodbye.
    assert list(EmailDelivery.objects.values_list("kind", "recipient", "user", "status")) == [
        ("goodbye", "lea@example.com", None, "sent")
    ]
    # Her files are gone; Sam's are all there.
    assert set(stored_files(settings)) == sams_files
    assert counts(sams_post) == (1, 1)
    assert not Post.objects.filter(pk=world["leas_post"].pk).exists()
    deletion = AccountDeletion.objects.get()
    assert (deletion.status, deletion.user, deletion.username) == ("done", None, "lea")


def test_the_goodbye_is_sent_once_however_often_the_job_runs(
    world, django_capture_on_commit_callbacks, run_jobs
):
    with django_capture_on_commit_callbacks(execute=True):
        deletion = account_leave(user=world["lea"], password=PASSWORD)
    run_jobs()
    [goodbye] = mail.outbox
    assert (goodbye.to, goodbye.subject) == (["lea@example.com"], "Your Friends account is deleted")
    assert "is deleted with everything in it" in goodbye.body
    assert goodbye.alternatives[0][1] == "text/html"

    # Run again: done, so skipped; and as after a crash right after its commit: nothing left.
    assert delete_account(deletion.pk) == "skipped"
    AccountDeletion.objects.filter(pk=deletion.pk).update(status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        assert delete_account(deletion.pk) == "done"
    run_jobs()

    assert len(mail.outbox) == 1
    assert EmailDelivery.objects.filter(kind="goodbye").count() == 1


def test_an_account_activated_again_before_the_job_is_not_deleted(world):
    lea = world["lea"]
    deletion = account_leave(user=lea, password=PASSWORD)
    User.objects.filter(pk=lea.pk).update(is_active=True)  # staff changed their mind

    assert delete_account(deletion.pk) == "failed"

    assert User.objects.filter(pk=lea.pk).exists()
    assert Post.objects.filter(author=lea).exists()
    deletion.refresh_from_db()
    assert "activated again" in deletion.last_error
    assert not EmailDelivery.objects.filter(kind="goodbye").exists()


def test_an_opt_out_of_the_address_stays_after_the_account_goes(world):
    InvitationOptOut.objects.create(email="lea@example.com")
    deletion = account_leave(user=world["lea"], password=PASSWORD)

    assert delete_account(deletion.pk) == "done"

    assert InvitationOptOut.objects.filter(email="lea@example.com").exists()


# --- Admin ------------------------------------------------------------------------------------


def test_the_staff_action_deactivates_and_deletes_through_the_same_path(
    client, world, django_capture_on_commit_callbacks, run_jobs
):
    lea = world["lea"]
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    changelist = client.get("/admin/accounts/user/").content.decode()
    assert 'value="deactivate_and_delete"' in changelist

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/accounts/user/",
            {"action": "deactivate_and_delete", "_selected_action": [lea.pk]},
            follow=True,
        )

    assert "Deactivated 1 account;" in response.content.decode()
    lea.refresh_from_db()
    assert not lea.is_active
    run_jobs()
    assert not User.objects.filter(pk=lea.pk).exists()
    assert references_to(lea.pk) == {}
    assert counts(world["sams_post"]) == (1, 1)
    assert [m.to for m in mail.outbox] == [["lea@example.com"]]


def test_staff_without_the_delete_permission_have_no_such_action(client, world):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(staff)

    assert (
        'value="deactivate_and_delete"' not in client.get("/admin/accounts/user/").content.decode()
    )
    client.post(
        "/admin/accounts/user/",
        {"action": "deactivate_and_delete", "_selected_action": [world["lea"].pk]},
    )

    world["lea"].refresh_from_db()
    assert world["lea"].is_active
    assert not AccountDeletion.objects.exists()


def test_the_admin_delete_of_a_user_with_blocks_and_invitations_still_works(client, world):
    lea = world["lea"]
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    confirm = client.get(f"/admin/accounts/user/{lea.pk}/delete/")
    assert confirm.status_code == 200
    assert "Are you sure" in confirm.content.decode()
    response = client.post(f"/admin/accounts/user/{lea.pk}/delete/", {"post": "yes"})

    assert (response.status_code, response["Location"]) == (302, "/admin/accounts/user/")
    assert not User.objects.filter(pk=lea.pk).exists()
    assert references_to(lea.pk) == {}
    assert counts(world["sams_post"]) == (1, 1)


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/admin/accounts/block/?q=lea", "lea"),
        ("/admin/accounts/mute/?q=lea", "lea"),
        ("/admin/accounts/invitation/?q=pal", "pal@example.com"),
        ("/admin/accounts/invitation/?accepted=no", "pal@example.com"),
        ("/admin/accounts/invitationoptout/?q=quiet", "quiet@example.com"),
        ("/admin/accounts/accountdeletion/?q=lea&status__exact=pending", "lea@example.com"),
    ],
)
def test_blocks_mutes_invitations_and_deletions_are_visible_to_staff(client, world, path, shown):
    InvitationOptOut.objects.create(email="quiet@example.com")
    account_leave(user=world["lea"], password=PASSWORD)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get(path)

    assert response.status_code == 200
    assert shown in response.content.decode()
    # To read: nobody adds or edits these rows here.
    base = path.split("?")[0]
    assert client.get(f"{base}add/").status_code == 403
