"""Post pages: create, show (escaped, links), edit, delete with confirmation, queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import FollowFactory, UserFactory
from posts.models import Post
from posts.services import comment_create, like_set
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def test_create_a_post_from_the_page(client):
    me = UserFactory()
    client.force_login(me)
    response = client.post("/posts/new/", {"title": "Hi there", "body": "Text"})
    post = Post.objects.get()
    assert response["Location"] == f"/posts/{post.pk}/"
    assert (post.author, post.title, post.body) == (me, "Hi there", "Text")


def test_overlong_title_shows_a_form_error_and_writes_nothing(client):
    client.force_login(UserFactory())
    response = client.post("/posts/new/", {"title": "x" * 201, "body": ""})
    assert response.status_code == 200
    assert "at most 200 characters" in response.content.decode()
    assert not Post.objects.exists()


def test_post_page_escapes_html_and_links_urls(client):
    post = PostFactory(
        title="<script>alert(1)</script>",
        body="<img src=x onerror=alert(1)> see https://example.com/a?b=1&c=2",
    )
    client.force_login(UserFactory())
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'rel="nofollow noopener" href="https://example.com/a?b=1&amp;c=2"' in page
    assert 'target="_blank"' in page


def test_only_the_author_may_edit_or_delete(client):
    author, other = UserFactory(), UserFactory()
    post = PostFactory(author=author, title="Original")
    client.force_login(other)
    assert client.get(f"/posts/{post.pk}/edit/").status_code == 403
    assert client.post(f"/posts/{post.pk}/edit/", {"title": "Hacked"}).status_code == 403
    assert client.post(f"/posts/{post.pk}/delete/").status_code == 403
    post.refresh_from_db()
    assert post.title == "Original"

    client.force_login(author)
    client.post(f"/posts/{post.pk}/edit/", {"title": "Better", "body": "new"})
    post.refresh_from_db()
    assert (post.title, post.body) == ("Better", "new")
    assert post.edited_at is not None
    confirm = client.get(f"/posts/{post.pk}/delete/")
    assert "Delete this post?" in confirm.content.decode()
    assert Post.objects.filter(pk=post.pk).exists()
    assert client.post(f"/posts/{post.pk}/delete/")["Location"] == "/"
    assert not Post.objects.filter(pk=post.pk).exists()


def test_anonymous_visitors_are_sent_to_log_in_for_writes(client):
    post = PostFactory()
    assert client.get("/posts/new/").status_code == 302
    assert client.post(f"/posts/{post.pk}/like/").status_code == 302
    assert client.get("/likes/").status_code == 302
    assert client.get(f"/posts/{post.pk}/").status_code == 200


def test_post_page_takes_the_same_queries_for_few_or_many_comments(
    client, django_assert_max_num_queries
):
    counts = []
    for followees, comments in ((5, 10), (50, 50)):
        me = UserFactory()
        people = UserFactory.create_batch(followees)
        for person in people:
            FollowFactory(follower=me, followee=person)
        post = PostFactory(author=people[0])
        for i in range(comments):
            comment_create(post=post, author=people[i % followees], body=f"comment {i}")
        like_set(user=me, post=post)
        client.force_login(me)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/posts/{post.pk}/")
        assert response.content.decode().count('class="comment"') == comments
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # session, user, post with flags, photos, comments; the unread notifications' count
    with django_assert_max_num_queries(6):
        client.get(f"/posts/{post.pk}/")


def test_edit_and_delete_links_show_for_the_author_only(client):
    author = UserFactory()
    post = PostFactory(author=author)
    client.force_login(author)
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert f'href="/posts/{post.pk}/edit/"' in page
    assert f'href="/posts/{post.pk}/delete/"' in page
    client.force_login(UserFactory())
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert f"/posts/{post.pk}/edit/" not in page
    assert f'action="/posts/{post.pk}/like/"' in page


def test_the_edit_page_ignores_photo_ids_that_are_not_numbers(client):
    post = PostFactory(title="Kept")
    client.force_login(post.author)

    response = client.post(
        f"/posts/{post.pk}/edit/",
        {"title": "Kept", "body": "", "remove_media_ids": ["²", "x", "-1"]},
    )

    assert response.status_code == 302
