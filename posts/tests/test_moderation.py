"""Who may do what with posts and comments: one rule each (posts.policies), asked by pages and
the API, enforced by the services; staff with the admin's permission may delete."""

import pytest
from django.contrib.auth.models import Permission

from accounts.tests.factories import UserFactory, api_client_for
from posts.models import Comment, Post
from posts.tests.factories import CommentFactory, PostFactory

pytestmark = pytest.mark.django_db


def moderator(*codenames: str):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_others_cannot_change_or_delete_a_post_and_are_told_why():
    post = PostFactory()
    stranger = api_client_for(UserFactory())

    edit = stranger.patch(f"/api/v1/posts/{post.pk}/", {"title": "Mine now"}, format="json")
    delete = stranger.delete(f"/api/v1/posts/{post.pk}/")

    assert (edit.status_code, edit.json()["detail"]) == (403, "Only the author may edit this post.")
    assert delete.status_code == 403
    assert Post.objects.get(pk=post.pk).title == post.title


def test_staff_with_the_delete_permission_remove_a_post_but_never_rewrite_it(client):
    post = PostFactory(title="Spam")
    staff = moderator("delete_post")
    api = api_client_for(staff)

    assert api.patch(f"/api/v1/posts/{post.pk}/", {"title": "x"}, format="json").status_code == 403
    client.force_login(staff)
    card = client.get(f"/posts/{post.pk}/").content.decode()
    assert f'href="/posts/{post.pk}/delete/"' in card
    assert f'href="/posts/{post.pk}/edit/"' not in card

    assert api.delete(f"/api/v1/posts/{post.pk}/").status_code == 204
    assert not Post.objects.filter(pk=post.pk).exists()


def test_staff_without_the_permission_are_like_anyone_else():
    post = PostFactory()

    response = api_client_for(UserFactory(is_staff=True)).delete(f"/api/v1/posts/{post.pk}/")

    assert response.status_code == 403
    assert Post.objects.filter(pk=post.pk).exists()


def test_a_post_author_deletes_others_comments_on_it_and_nobody_else_does(client):
    comment = CommentFactory()
    author_of_post, stranger = comment.post.author, UserFactory()

    client.force_login(stranger)
    assert client.post(f"/comments/{comment.pk}/delete/").status_code == 403
    page = client.get(f"/posts/{comment.post_id}/").content.decode()
    assert f"/comments/{comment.pk}/delete/" not in page

    client.force_login(author_of_post)
    page = client.get(f"/posts/{comment.post_id}/").content.decode()
    assert f"/comments/{comment.pk}/delete/" in page
    assert f"/comments/{comment.pk}/edit/" not in page  # only its own author edits it
    assert client.post(f"/comments/{comment.pk}/delete/").status_code == 302
    assert not Comment.objects.exists()
    assert Post.objects.get(pk=comment.post_id).comment_count == 0


def test_staff_with_the_permission_remove_a_comment():
    comment = CommentFactory()

    response = api_client_for(moderator("delete_comment")).delete(f"/api/v1/comments/{comment.pk}/")

    assert response.status_code == 204
    assert not Comment.objects.exists()
