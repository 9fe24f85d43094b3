"""Every write route of the site, pages, API and admin, with real transactions.

Production runs PostgreSQL in autocommit: a service that locks rows or writes several of them
outside its own transaction fails (or half-writes) there, while a test wrapped in one
transaction hides it. Here each request commits as it would in production, jobs are queued on
the tests' Redis after commit and run by an in-process worker where their outcome matters.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import ApiToken, EmailDelivery, Follow, SuggestionDismissal, User
from accounts.services import avatar_upload
from accounts.tests.factories import PASSWORD, UserFactory, api_client_for
from media.models import FileDeletion, Media
from media.services import media_create
from media.tests import media_images as images
from media.tests.media_images import api_upload, stored_files
from posts.models import Bookmark, Comment, Like, Post
from posts.services import comment_create, like_set, post_create
from posts.tests.factories import CommentFactory, PostFactory

pytestmark = [pytest.mark.django_db(transaction=True)]

API = "/api/v1"
STRONG = "plum-orchard-velvet-42"


def small_jpeg(name: str = "photo.jpg"):
    return images.upload(images.jpeg((16, 12)), name)


def photo_ids(post: Post) -> list[int]:
    return list(post.photo_links.order_by("position").values_list("media_id", flat=True))


def photo_of(owner: User) -> Media:
    """A photo uploaded by `owner`, pending until the worker runs."""
    return media_create(owner=owner, file=small_jpeg())


def files_of(settings, media: Media) -> set[Path]:
    """The stored files of one item: its private original and its public variants."""
    variants = f"/{media.pk}-{media.storage_key}/"
    return {
        path
        for path in stored_files(settings)
        if variants in str(path) or str(path).endswith(media.original.name)
    }


def counts(post: Post) -> tuple[int, int]:
    post.refresh_from_db()
    return post.like_count, post.comment_count


# --- API: accounts ----------------------------------------------------------------------------


def test_api_sign_up_creates_the_account_and_sends_the_welcome_email(run_worker):
    response = APIClient().post(
        f"{API}/auth/signup/",
        {"username": "ada", "email": "ada@example.com", "password": STRONG},
        format="json",
    )

    assert response.status_code == 201
    user = User.objects.get(username="ada")
    assert user.check_password(STRONG)
    delivery = EmailDelivery.objects.get(user=user)
    assert (delivery.kind, delivery.recipient) == ("welcome", "ada@example.com")
    run_worker()
    delivery.refresh_from_db()
    assert delivery.status == EmailDelivery.Status.DONE
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]


def test_api_token_each_log_in_makes_a_token_of_its_own_and_ending_one_keeps_the_other():
    user = UserFactory(username="grace")
    body = {"username": "grace", "password": PASSWORD}

    first = APIClient().post(f"{API}/auth/token/", {**body, "name": "Phone"}, format="json")
    second = APIClient().post(f"{API}/auth/token/", {**body, "name": "Laptop"}, format="json")

    assert first.status_code == second.status_code == 200
    assert first.json()["token"] != second.json()["token"]
    assert sorted(ApiToken.objects.filter(user=user).values_list("name", flat=True)) == [
        "Laptop",
        "Phone",
    ]
    phone, laptop = APIClient(), APIClient()
    phone.credentials(HTTP_AUTHORIZATION=f"Token {first.json()['token']}")
    laptop.credentials(HTTP_AUTHORIZATION=f"Token {second.json()['token']}")
    assert phone.delete(f"{API}/auth/token/").status_code == 204
    assert phone.get(f"{API}/me/").status_code == 401
    assert laptop.get(f"{API}/me/").status_code == 200
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["Laptop"]


def test_api_password_reset_queues_a_reset_email_only_for_a_known_address(run_worker):
    user = UserFactory(email="known@example.com")
    client = APIClient()

    known = client.post(f"{API}/auth/password-reset/", {"email": "KNOWN@example.com"})
    unknown = client.post(f"{API}/auth/password-reset/", {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 202
    delivery = EmailDelivery.objects.get()
    assert (delivery.user, delivery.kind) == (user, EmailDelivery.Kind.PASSWORD_RESET)
    run_worker()
    assert [message.to for message in mail.outbox] == [["known@example.com"]]


def test_api_me_patch_saves_display_name_and_bio():
    user = UserFactory()

    response = api_client_for(user).patch(
        f"{API}/me/", {"display_name": "  Ada L.  ", "bio": "Counts things."}, format="json"
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.display_name, user.bio) == ("Ada L.", "Counts things.")


def test_api_me_avatar_upload_becomes_the_avatar_once_processed(run_worker):
    user = UserFactory()

    response = api_client_for(user).patch(
        f"{API}/me/", {"avatar": small_jpeg()}, format="multipart"
    )

    assert response.status_code == 200
    assert response.json()["avatar_pending"]["status"] == "pending"
    run_worker()
    user.refresh_from_db()
    assert user.avatar is not None
    assert (user.avatar.kind, user.avatar.status) == (Media.Kind.AVATAR, Media.Status.DONE)
    assert api_client_for(user).get(f"{API}/me/").json()["avatar"]["id"] == user.avatar_id


def test_api_follow_then_unfollow():
    me, them = UserFactory(), UserFactory(username="them")
    client = api_client_for(me)

    followed = client.put(f"{API}/users/them/follow/")
    assert followed.status_code == 200
    assert (followed.json()["is_following"], followed.json()["followers_count"]) == (True, 1)
    assert client.put(f"{API}/users/them/follow/").status_code == 200  # idempotent
    assert Follow.objects.filter(follower=me, followee=them).count() == 1

    unfollowed = client.delete(f"{API}/users/them/follow/")
    assert unfollowed.status_code == 200
    assert unfollowed.json()["followers_count"] == 0
    assert not Follow.objects.exists()


def test_api_dismissed_suggestion_is_remembered():
    me, them = UserFactory(), UserFactory(username="them")

    response = api_client_for(me).delete(f"{API}/suggestions/them/")

    assert response.status_code == 204
    assert SuggestionDismissal.objects.filter(user=me, dismissed=them).exists()


# --- API: media -------------------------------------------------------------------------------


def test_api_media_upload_describe_and_delete(settings, run_worker):
    owner = UserFactory()
    client = api_client_for(owner)

    uploaded = api_upload(client, images.jpeg((16, 12)), alt_text="A card")
    assert uploaded.status_code == 202
    media = Media.objects.get(pk=uploaded.json()["id"])
    assert (media.owner, media.alt_text, media.status) == (owner, "A card", Media.Status.PENDING)
    run_worker()
    media.refresh_from_db()
    assert media.status == Media.Status.DONE
    assert len(stored_files(settings)) == 3  # the original, display, thumbnail

    described = client.patch(f"{API}/media/{media.pk}/", {"alt_text": "A red card"}, format="json")
    assert described.status_code == 200
    media.refresh_from_db()
    assert media.alt_text == "A red card"

    assert client.delete(f"{API}/media/{media.pk}/").status_code == 204
    assert not Media.objects.filter(pk=media.pk).exists()
    run_worker()
    assert stored_files(settings) == []


# --- API: posts -------------------------------------------------------------------------------


def test_api_post_takes_uploaded_media_ids_in_order():
    author = UserFactory()
    first, second = photo_of(author), photo_of(author)

    response = api_client_for(author).post(
        f"{API}/posts/", {"title": "Two", "media_ids": [second.pk, first.pk]}, format="json"
    )

    assert response.status_code == 201
    post = Post.objects.get(pk=response.json()["id"])
    assert (post.author, post.title) == (author, "Two")
    assert photo_ids(post) == [second.pk, first.pk]
    assert not Media.objects.filter(attached_at__isnull=True).exists()


def test_api_post_takes_multipart_images_with_alt_texts(run_worker):
    author = UserFactory()

    response = api_client_for(author).post(
        f"{API}/posts/",
        {
            "title": "Holiday",
            "images": [small_jpeg("a.jpg"), small_jpeg("b.jpg")],
            "alt_texts": ["A beach", "A boat"],
        },
        format="multipart",
    )

    assert response.status_code == 201
    post = Post.objects.get(pk=response.json()["id"])
    photos = [Media.objects.get(pk=pk) for pk in photo_ids(post)]
    assert [photo.alt_text for photo in photos] == ["A beach", "A boat"]
    run_worker()
    assert set(Media.objects.values_list("status", flat=True)) == {Media.Status.DONE}


@pytest.mark.parametrize("method", ["patch", "put"])
def test_api_editing_a_post_sets_its_photos_to_the_given_ids_in_order(settings, run_worker, method):
    author = UserFactory()
    kept, dropped, added = photo_of(author), photo_of(author), photo_of(author)
    post = post_create(author=author, title="Before", media_ids=[kept.pk, dropped.pk])
    run_worker()
    before, dropped_files = set(stored_files(settings)), files_of(settings, dropped)
    assert len(dropped_files) == 3

    response = getattr(api_client_for(author), method)(
        f"{API}/posts/{post.pk}/",
        {"title": "After", "media_ids": [added.pk, kept.pk]},
        format="json",
    )

    assert response.status_code == 200
    assert [photo["id"] for photo in response.json()["media"]] == [added.pk, kept.pk]
    assert photo_ids(post) == [added.pk, kept.pk]
    post.refresh_from_db()
    assert (post.title, post.edited_at is not None) == ("After", True)
    assert not Media.objects.filter(pk=dropped.pk).exists()
    run_worker()
    assert set(stored_files(settings)) == before - dropped_files


def test_api_deleting_a_post_deletes_it_with_its_photos_files(settings, run_worker):
    author = UserFactory()
    post = post_create(author=author, title="Soon gone", media_ids=[photo_of(author).pk])
    comment_create(post=post, author=UserFactory(), body="Nice")
    run_worker()
    assert stored_files(settings)

    response = api_client_for(author).delete(f"{API}/posts/{post.pk}/")

    assert response.status_code == 204
    assert not Post.objects.exists()
    assert not Comment.objects.exists()
    assert not Media.objects.exists()
    run_worker()
    assert stored_files(settings) == []
    assert FileDeletion.objects.get().status == FileDeletion.Status.DONE


def test_api_likes_and_bookmarks_keep_the_counts_right():
    post = PostFactory()
    alice, bob = api_client_for(UserFactory()), api_client_for(UserFactory())

    assert alice.put(f"{API}/posts/{post.pk}/like/").json()["like_count"] == 1
    assert alice.put(f"{API}/posts/{post.pk}/like/").json()["like_count"] == 1  # idempotent
    liked = bob.put(f"{API}/posts/{post.pk}/like/")
    assert liked.status_code == 200
    assert (liked.json()["like_count"], liked.json()["is_liked"]) == (2, True)
    assert counts(post) == (2, 0)
    unliked = alice.delete(f"{API}/posts/{post.pk}/like/")
    assert unliked.status_code == 200
    assert (unliked.json()["like_count"], unliked.json()["is_liked"]) == (1, False)
    assert alice.delete(f"{API}/posts/{post.pk}/like/").json()["like_count"] == 1
    assert counts(post) == (1, 0)
    assert Like.objects.count() == 1

    bookmarked = alice.put(f"{API}/posts/{post.pk}/bookmark/")
    assert (bookmarked.status_code, bookmarked.json()["is_bookmarked"]) == (200, True)
    assert Bookmark.objects.filter(post=post).count() == 1
    unbookmarked = alice.delete(f"{API}/posts/{post.pk}/bookmark/")
    assert (unbookmarked.status_code, unbookmarked.json()["is_bookmarked"]) == (200, False)
    assert not Bookmark.objects.exists()


def test_api_comments_add_edit_and_delete_keep_the_count_right():
    post = PostFactory()
    commenter = UserFactory()
    client = api_client_for(commenter)

    created = client.post(f"{API}/posts/{post.pk}/comments/", {"body": "First!"}, format="json")
    client.post(f"{API}/posts/{post.pk}/comments/", {"body": "Second"}, format="json")
    assert created.status_code == 201
    assert counts(post) == (0, 2)
    comment = Comment.objects.get(pk=created.json()["id"])
    assert (comment.author, comment.body) == (commenter, "First!")

    edited = client.patch(f"{API}/comments/{comment.pk}/", {"body": "First, edited"}, format="json")
    assert edited.status_code == 200
    comment.refresh_from_db()
    assert (comment.body, comment.edited_at is not None) == ("First, edited", True)

    assert client.delete(f"{API}/comments/{comment.pk}/").status_code == 204
    assert not Comment.objects.filter(pk=comment.pk).exists()
    assert counts(post) == (0, 1)


# --- Pages: accounts --------------------------------------------------------------------------


def test_sign_up_page_creates_the_account_logs_in_and_sends_the_welcome_email(client, run_worker):
    response = client.post(
        "/signup/",
        {
            "username": "ada",
            "email": "ada@example.com",
            "display_name": "Ada",
            "password1": STRONG,
            "password2": STRONG,
        },
    )

    assert (response.status_code, response["Location"]) == (302, "/")
    user = User.objects.get(username="ada")
    assert client.get("/").wsgi_request.user == user
    assert EmailDelivery.objects.get().kind == EmailDelivery.Kind.WELCOME
    run_worker()
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]


def test_log_in_and_log_out_pages(client):
    user = UserFactory(username="grace")

    logged_in = client.post("/login/", {"username": "grace", "password": PASSWORD})
    assert logged_in.status_code == 302
    assert client.get("/").wsgi_request.user == user
    user.refresh_from_db()
    assert user.last_login is not None

    logged_out = client.post("/logout/")
    assert logged_out.status_code == 302
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_settings_page_saves_the_profile(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post("/settings/", {"display_name": "Grace H.", "bio": "Ships code."})

    assert (response.status_code, response["Location"]) == (302, "/settings/")
    user.refresh_from_db()
    assert (user.display_name, user.bio) == ("Grace H.", "Ships code.")


def test_password_change_page_changes_the_password(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        "/settings/password/",
        {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG)
    assert client.get("/settings/").status_code == 200  # the session survives the change


def test_avatar_page_upload_then_remove(settings, client, run_worker):
    user = UserFactory()
    client.force_login(user)

    uploaded = client.post("/settings/avatar/", {"avatar": small_jpeg()})
    assert (uploaded.status_code, uploaded["Location"]) == (302, "/settings/#avatar")
    run_worker()
    user.refresh_from_db()
    assert user.avatar is not None
    assert user.avatar.status == Media.Status.DONE
    assert stored_files(settings)

    removed = client.post("/settings/avatar/", {"action": "remove"})
    assert removed.status_code == 302
    user.refresh_from_db()
    assert user.avatar is None
    assert not Media.objects.exists()
    run_worker()
    assert stored_files(settings) == []


def test_password_reset_page_queues_the_reset_email(client, run_worker):
    user = UserFactory(email="grace@example.com")

    response = client.post("/password-reset/", {"email": "grace@example.com"})

    assert (response.status_code, response["Location"]) == (302, "/password-reset/sent/")
    delivery = EmailDelivery.objects.get()
    assert (delivery.user, delivery.kind) == (user, EmailDelivery.Kind.PASSWORD_RESET)
    run_worker()
    assert "/password-reset/" in mail.outbox[0].body


def test_follow_page_sets_and_unsets(client):
    me, them = UserFactory(), UserFactory(username="them")
    client.force_login(me)

    followed = client.post("/u/them/follow/", {"action": "set"})
    assert (followed.status_code, followed["Location"]) == (302, "/u/them/")
    assert Follow.objects.filter(follower=me, followee=them).exists()

    unfollowed = client.post("/u/them/follow/", {"action": "unset"})
    assert unfollowed.status_code == 302
    assert not Follow.objects.exists()


def test_dismiss_page_remembers_the_dismissed_person(client):
    me, them = UserFactory(), UserFactory(username="them")
    client.force_login(me)

    response = client.post("/people/them/dismiss/")

    assert (response.status_code, response["Location"]) == (302, "/people/")
    assert SuggestionDismissal.objects.filter(user=me, dismissed=them).exists()


# --- Pages: posts -----------------------------------------------------------------------------


def test_new_post_page_publishes_a_post_with_photos(client, run_worker):
    author = UserFactory()
    client.force_login(author)

    response = client.post(
        "/posts/new/",
        {
            "title": "Photos",
            "body": "Two of them",
            "images": [small_jpeg("a.jpg"), small_jpeg("b.jpg")],
            "alt_texts": "First\nSecond",
        },
    )

    post = Post.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/posts/{post.pk}/")
    assert (post.author, post.title, post.body) == (author, "Photos", "Two of them")
    photos = [Media.objects.get(pk=pk) for pk in photo_ids(post)]
    assert [photo.alt_text for photo in photos] == ["First", "Second"]
    run_worker()
    assert set(Media.objects.values_list("status", flat=True)) == {Media.Status.DONE}


def test_edit_post_page_adds_new_photos_and_removes_others(settings, client, run_worker):
    author = UserFactory()
    kept, removed = photo_of(author), photo_of(author)
    post = post_create(author=author, title="Before", media_ids=[kept.pk, removed.pk])
    run_worker()
    removed_files = files_of(settings, removed)
    assert len(removed_files) == 3
    client.force_login(author)

    added = client.post(
        f"/posts/{post.pk}/edit/",
        {"title": "Before", "body": "", "images": [small_jpeg("new.jpg")], "alt_texts": "New"},
    )
    assert (added.status_code, added["Location"]) == (302, f"/posts/{post.pk}/")
    new_id = photo_ids(post)[-1]
    assert photo_ids(post) == [kept.pk, removed.pk, new_id]
    assert Media.objects.get(pk=new_id).alt_text == "New"

    dropped = client.post(
        f"/posts/{post.pk}/edit/",
        {"title": "After", "body": "Edited", "remove_media_ids": [removed.pk]},
    )
    assert dropped.status_code == 302
    assert photo_ids(post) == [kept.pk, new_id]
    assert not Media.objects.filter(pk=removed.pk).exists()
    post.refresh_from_db()
    assert (post.title, post.body) == ("After", "Edited")
    run_worker()
    assert Media.objects.get(pk=new_id).status == Media.Status.DONE
    assert len(files_of(settings, Media.objects.get(pk=new_id))) == 3
    assert not set(stored_files(settings)) & removed_files


def test_delete_post_page_deletes_the_post_and_its_photos_files(settings, client, run_worker):
    author = UserFactory()
    post = post_create(author=author, title="Gone", media_ids=[photo_of(author).pk])
    run_worker()
    client.force_login(author)

    response = client.post(f"/posts/{post.pk}/delete/")

    assert (response.status_code, response["Location"]) == (302, "/")
    assert not Post.objects.exists()
    assert not Media.objects.exists()
    run_worker()
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("route", "model"), [("like", Like), ("bookmark", Bookmark)], ids=["like", "bookmark"]
)
def test_like_and_bookmark_pages_set_and_unset(client, route, model):
    post = PostFactory()
    user = UserFactory()
    client.force_login(user)

    set_response = client.post(f"/posts/{post.pk}/{route}/", {"action": "set"})
    assert (set_response.status_code, set_response["Location"]) == (302, f"/posts/{post.pk}/")
    assert model.objects.filter(user=user, post=post).exists()
    if model is Like:
        assert counts(post) == (1, 0)

    unset_response = client.post(f"/posts/{post.pk}/{route}/", {"action": "unset"})
    assert unset_response.status_code == 302
    assert not model.objects.exists()
    assert counts(post) == (0, 0)


def test_like_page_with_the_fragment_header_answers_the_redrawn_toggle(client):
    post = PostFactory()
    like_set(user=UserFactory(), post=post)
    client.force_login(UserFactory())

    response = client.post(
        f"/posts/{post.pk}/like/", {"action": "set"}, headers={"X-Fragment": "1"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-pressed="true"' in html
    assert '<span class="count">2</span>' in html
    assert 'name="action" value="unset"' in html
    assert counts(post) == (2, 0)


def test_bookmark_page_with_the_fragment_header_answers_the_redrawn_toggle(client):
    post = PostFactory()
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        f"/posts/{post.pk}/bookmark/", {"action": "set"}, headers={"X-Fragment": "1"}
    )

    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    assert Bookmark.objects.filter(user=user, post=post).exists()


def test_comment_pages_add_edit_and_delete_keep_the_count_right(client):
    post = PostFactory()
    commenter = UserFactory()
    client.force_login(commenter)

    created = client.post(f"/posts/{post.pk}/comments/", {"body": "Lovely"})
    comment = Comment.objects.get()
    assert (created.status_code, created["Location"]) == (
        302,
        f"/posts/{post.pk}/#comment-{comment.pk}",
    )
    assert (comment.author, comment.body) == (commenter, "Lovely")
    assert counts(post) == (0, 1)

    edited = client.post(f"/comments/{comment.pk}/edit/", {"body": "Lovely, really"})
    assert edited.status_code == 302
    comment.refresh_from_db()
    assert (comment.body, comment.edited_at is not None) == ("Lovely, really", True)

    deleted = client.post(f"/comments/{comment.pk}/delete/")
    assert (deleted.status_code, deleted["Location"]) == (302, f"/posts/{post.pk}/")
    assert not Comment.objects.exists()
    assert counts(post) == (0, 0)


# --- Admin ------------------------------------------------------------------------------------


def test_admin_deleting_a_user_deletes_their_files_and_recounts_others_posts(
    settings, client, run_worker
):
    someone, bystander = UserFactory(), UserFactory()
    their_post = post_create(author=someone, title="Theirs", media_ids=[photo_of(someone).pk])
    like_set(user=bystander, post=their_post)
    comment_create(post=their_post, author=bystander, body="Kept")
    run_worker()
    files_kept = set(stored_files(settings))

    leaving = UserFactory()
    avatar_upload(user=leaving, file=small_jpeg())
    own_post = post_create(author=leaving, title="Mine", media_ids=[photo_of(leaving).pk])
    like_set(user=bystander, post=own_post)
    like_set(user=leaving, post=their_post)
    comment_create(post=their_post, author=leaving, body="Going")
    CommentFactory(post=own_post, author=bystander)
    run_worker()
    assert Media.objects.get(owner=leaving, kind=Media.Kind.AVATAR).status == Media.Status.DONE
    assert counts(their_post) == (2, 2)
    assert len(stored_files(settings)) > len(files_kept)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post(f"/admin/accounts/user/{leaving.pk}/delete/", {"post": "yes"})

    assert (response.status_code, response["Location"]) == (302, "/admin/accounts/user/")
    assert not User.objects.filter(pk=leaving.pk).exists()
    assert not Post.objects.filter(pk=own_post.pk).exists()
    assert not Media.objects.filter(owner_id=leaving.pk).exists()
    assert counts(their_post) == (1, 1)
    run_worker()
    assert set(stored_files(settings)) == files_kept


def test_admin_deleting_a_post_deletes_its_photos_files(settings, client, run_worker):
    author = UserFactory()
    post = post_create(author=author, title="Reported", media_ids=[photo_of(author).pk])
    run_worker()
    assert len(stored_files(settings)) == 3
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post(f"/admin/posts/post/{post.pk}/delete/", {"post": "yes"})

    assert (response.status_code, response["Location"]) == (302, "/admin/posts/post/")
    assert not Post.objects.exists()
    assert not Media.objects.exists()
    run_worker()
    assert stored_files(settings) == []
