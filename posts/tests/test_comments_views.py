"""Comments on the post page: add, edit, delete, counts, oldest first, refusals."""

import pytest

from accounts.tests.factories import UserFactory
from posts.models import Comment
from posts.tests.factories import CommentFactory, PostFactory

pytestmark = pytest.mark.django_db


def test_add_edit_and_delete_a_comment(client):
    # Fixed words: a made-up text could say "second" itself, above the comments.
    post, me = PostFactory(title="A post", body="Some text"), UserFactory()
    client.force_login(me)
    response = client.post(f"/posts/{post.pk}/comments/", {"body": "first <b>!</b>"})
    comment = Comment.objects.get()
    assert response["Location"] == f"/posts/{post.pk}/#comment-{comment.pk}"
    client.post(f"/posts/{post.pk}/comments/", {"body": "second"})
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert "2 comments" in page
    assert page.index("first &lt;b&gt;!&lt;/b&gt;") < page.index("second")

    client.post(f"/comments/{comment.pk}/edit/", {"body": "first, edited"})
    comment.refresh_from_db()
    assert comment.body == "first, edited"
    assert "Delete this comment?" in client.get(f"/comments/{comment.pk}/delete/").content.decode()
    client.post(f"/comments/{comment.pk}/delete/")
    post.refresh_from_db()
    assert post.comment_count == 1
    assert "1 comment" in client.get(f"/posts/{post.pk}/").content.decode()


def test_empty_or_overlong_comment_shows_an_error(client):
    post = PostFactory()
    client.force_login(UserFactory())
    response = client.post(f"/posts/{post.pk}/comments/", {"body": "x" * 2_001})
    assert response.status_code == 200
    assert "at most 2000 characters" in response.content.decode()
    assert client.post(f"/posts/{post.pk}/comments/", {"body": "   "}).status_code == 200
    assert not Comment.objects.exists()


def test_others_cannot_edit_or_delete_but_the_post_author_may_delete(client):
    post_author, commenter, stranger = UserFactory(), UserFactory(), UserFactory()
    post = PostFactory(author=post_author)
    comment = CommentFactory(post=post, author=commenter, body="mine")

    client.force_login(stranger)
    assert client.post(f"/comments/{comment.pk}/edit/", {"body": "x"}).status_code == 403
    assert client.post(f"/comments/{comment.pk}/delete/").status_code == 403
    client.force_login(post_author)
    assert client.post(f"/comments/{comment.pk}/edit/", {"body": "x"}).status_code == 403
    comment.refresh_from_db()
    assert comment.body == "mine"
    assert client.post(f"/comments/{comment.pk}/delete/").status_code == 302
    assert not Comment.objects.exists()
