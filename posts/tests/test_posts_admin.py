"""The admin lists, searches and filters follows, posts, comments, likes and bookmarks."""

import pytest

from accounts.models import SuggestionDismissal
from accounts.tests.factories import FollowFactory, UserFactory
from posts.models import Comment
from posts.services import bookmark_set, comment_create, like_set
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def test_admin_pages_list_and_search(client):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    post = PostFactory(title="Findable title")
    comment_create(post=post, author=admin_user, body="hello")
    like_set(user=admin_user, post=post)
    bookmark_set(user=admin_user, post=post)
    FollowFactory(follower=admin_user, followee=post.author)
    SuggestionDismissal.objects.create(user=admin_user, dismissed=post.author)
    client.force_login(admin_user)
    for path in (
        "accounts/follow",
        "accounts/suggestiondismissal",
        "posts/post",
        "posts/comment",
        "posts/like",
        "posts/bookmark",
    ):
        response = client.get(f"/admin/{path}/")
        assert response.status_code == 200, path
        assert 'data-actions-icnt="1"' in response.content.decode(), path
    found = client.get("/admin/posts/post/", {"q": "findable"}).content.decode()
    assert 'data-actions-icnt="1"' in found
    missing = client.get("/admin/posts/post/", {"q": "nothing-like-it"}).content.decode()
    assert 'data-actions-icnt="0"' in missing


def test_deleting_a_comment_in_the_admin_keeps_the_count_right(client):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    post = PostFactory()
    comment = comment_create(post=post, author=UserFactory(), body="spam")
    client.force_login(admin_user)
    client.post(f"/admin/posts/comment/{comment.pk}/delete/", {"post": "yes"})
    assert not Comment.objects.exists()
    post.refresh_from_db()
    assert post.comment_count == 0
