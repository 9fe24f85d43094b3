"""The feed: whose posts, in which order, cursor stability and a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import FollowFactory, UserFactory, api_client_for
from media.models import Media
from posts import selectors
from posts import views as post_views
from posts.models import Post, PostPhoto
from posts.services import bookmark_set, comment_create, like_set
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def test_feed_has_my_posts_and_my_followees_posts_newest_first():
    me, friend, stranger = UserFactory(), UserFactory(), UserFactory()
    FollowFactory(follower=me, followee=friend)
    FollowFactory(follower=friend, followee=stranger)  # a friend's followee is not in my feed
    now = timezone.now()
    old_mine = PostFactory(author=me, created_at=now - timedelta(hours=3))
    friend_post = PostFactory(author=friend, created_at=now - timedelta(hours=1))
    PostFactory(author=stranger, created_at=now)
    same_time = PostFactory(author=friend, created_at=now - timedelta(hours=2))
    tie = PostFactory(author=me, created_at=now - timedelta(hours=2))

    ids = [p["id"] for p in api_client_for(me).get("/api/v1/feed/").json()["results"]]
    assert ids == [friend_post.pk, tie.pk, same_time.pk, old_mine.pk]


def test_cursor_pages_stay_stable_while_new_posts_arrive():
    me = UserFactory()
    start = timezone.now() - timedelta(days=1)
    posts = [PostFactory(author=me, created_at=start + timedelta(minutes=i)) for i in range(25)]
    # Two posts at the very same time straddling the page edge.
    Post.objects.filter(pk__in=[posts[4].pk, posts[5].pk]).update(created_at=posts[5].created_at)
    client = api_client_for(me)

    first = client.get("/api/v1/feed/", {"page_size": 10}).json()
    PostFactory.create_batch(3, author=me)  # new posts arrive while reading
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    seen = [p["id"] for page in (first, second, third) for p in page["results"]]
    assert len(seen) == len(set(seen)) == 25
    assert set(seen) == {p.pk for p in posts}
    assert third["next"] is None


def _feed_world(followees: int, posts: int):
    """A reader following `followees` people who wrote `posts` posts, liked and commented."""
    me = UserFactory()
    people = UserFactory.create_batch(followees)
    for person in people:
        FollowFactory(follower=me, followee=person)
    made = [PostFactory(author=people[i % followees]) for i in range(posts)]
    for post in made[::2]:
        like_set(user=me, post=post)
        bookmark_set(user=me, post=post)
        comment_create(post=post, author=people[0], body="hi")
    return me


@pytest.mark.parametrize("auth", ["token", "session"])
def test_api_feed_takes_the_same_queries_for_5_or_50_followees_and_10_or_50_posts(
    auth, client, django_assert_max_num_queries
):
    counts = []
    for followees, posts in ((5, 10), (50, 50)):
        me = _feed_world(followees, posts)
        if auth == "token":
            api = api_client_for(me)
        else:
            api = APIClient()
            api.force_login(me)
        with CaptureQueriesContext(connection) as queries:
            response = api.get("/api/v1/feed/", {"page_size": posts})
        assert len(response.json()["results"]) == posts
        assert sum(p["is_liked"] for p in response.json()["results"]) == posts // 2
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # session and user (or token), the page's ids, posts with flags, photos
    with django_assert_max_num_queries(5):
        api.get("/api/v1/feed/", {"page_size": 50})


def test_feed_page_takes_the_same_queries_for_5_or_50_followees_and_10_or_50_posts(
    client, monkeypatch, django_assert_max_num_queries
):
    counts = []
    for followees, posts in ((5, 10), (50, 50)):
        monkeypatch.setattr(post_views, "FEED_PAGE_SIZE", posts)
        me = _feed_world(followees, posts)
        client.force_login(me)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/")
        assert response.content.decode().count('class="card post"') == posts
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # session, user, the page's ids, posts with flags, photos; the suggestions beside the
    # posts (accounts.selectors.suggestions_for: at most 4)
    with django_assert_max_num_queries(9):
        client.get("/")


def test_feed_page_pages_with_older_posts_link(client, monkeypatch):
    monkeypatch.setattr(post_views, "FEED_PAGE_SIZE", 3)
    me = UserFactory()
    start = timezone.now() - timedelta(days=1)
    posts = [
        PostFactory(author=me, title=f"post {i}", created_at=start + timedelta(minutes=i))
        for i in range(7)
    ]
    client.force_login(me)
    seen, url = [], "/"
    while url:
        response = client.get(url)
        page = response.context["posts"]
        seen += [p.pk for p in page]
        cursor = response.context["page"].next_cursor
        url = f"/?before={cursor}" if cursor else None
        if cursor:
            assert "Older posts" in response.content.decode()
    assert seen == [p.pk for p in reversed(posts)]
    assert client.get("/?before=garbage").status_code == 200


def test_a_new_users_empty_feed_shows_suggestions(client):
    somebody = UserFactory(username="somebody", display_name="Some Body")
    me = UserFactory()
    client.force_login(me)
    page = client.get("/").content.decode()
    assert "Your feed is empty" in page
    assert "/u/somebody/" in page
    assert "new on Friends" in page
    assert somebody.display_name in page


def test_anonymous_visitors_get_the_welcome_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "accounts/welcome.html" in [t.name for t in response.templates]


def test_older_posts_paging_keeps_posts_with_the_same_time(client, monkeypatch):
    monkeypatch.setattr(post_views, "FEED_PAGE_SIZE", 2)
    me = UserFactory()
    moment = timezone.now() - timedelta(hours=1)
    same_time = [PostFactory(author=me, created_at=moment) for _ in range(5)]
    client.force_login(me)
    seen, url = [], "/"
    while url:
        response = client.get(url)
        seen += [p.pk for p in response.context["posts"]]
        cursor = response.context["page"].next_cursor
        url = f"/?before={cursor}" if cursor else None
    assert seen == sorted((p.pk for p in same_time), reverse=True)


def test_posts_list_filters_by_author_newest_first():
    me, other = UserFactory(), UserFactory(username="other")
    older = PostFactory(author=other, created_at=timezone.now() - timedelta(hours=1))
    newer = PostFactory(author=other)
    PostFactory(author=me)
    client = api_client_for(me)
    assert client.get("/api/v1/posts/").json()["count"] == 3
    listed = client.get("/api/v1/posts/", {"author": "OTHER"}).json()["results"]
    assert [p["id"] for p in listed] == [newer.pk, older.pk]
    assert client.get("/api/v1/posts/", {"author": "nobody"}).status_code == 404


# --- The first page, looked for among the recent posts first (posts.selectors.FEED_RECENT) ---


def _first_pages(client, me, size: int, monkeypatch) -> tuple[list[int], list[int]]:
    """The ids of the first page of the API's feed and of the feed page, `size` posts each."""
    monkeypatch.setattr(post_views, "FEED_PAGE_SIZE", size)
    api = api_client_for(me).get("/api/v1/feed/", {"page_size": size}).json()
    client.force_login(me)
    page = client.get("/").context["posts"]
    return [p["id"] for p in api["results"]], [p.pk for p in page]


@pytest.mark.parametrize(
    ("recent", "older", "size"),
    [(3, 5, 5), (6, 4, 3), (0, 4, 3), (2, 0, 3), (3, 0, 3)],
    ids=["recent-too-few", "recent-enough", "only-older", "all-recent-few", "exactly-a-page"],
)
def test_the_first_page_is_the_newest_posts_whether_recent_or_older(
    client, monkeypatch, recent, older, size
):
    me, friend = UserFactory(), UserFactory()
    FollowFactory(follower=me, followee=friend)
    now = timezone.now()
    past = now - selectors.FEED_RECENT
    made = [PostFactory(author=friend, created_at=now - timedelta(hours=i)) for i in range(recent)]
    made += [PostFactory(author=me, created_at=past - timedelta(days=i)) for i in range(older)]
    # One at the very edge of the recent ones, and a stranger's post, which is no one's feed.
    edge = PostFactory(author=friend, created_at=past + timedelta(seconds=5))
    PostFactory(author=UserFactory(), created_at=now)
    newest = sorted([*made, edge], key=lambda p: (p.created_at, p.pk), reverse=True)

    api, page = _first_pages(client, me, size, monkeypatch)

    assert api == page == [p.pk for p in newest[:size]]
    second = api_client_for(me).get("/api/v1/feed/", {"page_size": size}).json()["next"]
    assert (second is not None) == (len(newest) > size)


def test_photos_are_read_only_for_posts_that_have_some(django_assert_num_queries):
    me = UserFactory()
    plain, with_photo = PostFactory(author=me), PostFactory(author=me)
    media = Media.objects.create(
        owner=me, kind=Media.Kind.PHOTO, status=Media.Status.DONE, attached_at=timezone.now()
    )
    PostPhoto.objects.create(post=with_photo, media=media)

    with django_assert_num_queries(1):  # the posts with their flags: no photo to look for
        [alone] = selectors.posts_load(ids=[plain.pk], viewer=me)
    with django_assert_num_queries(2):
        loaded = selectors.posts_load(ids=[with_photo.pk, plain.pk], viewer=me)

    assert alone.visible_photos == []
    assert [p.pk for p in loaded] == [with_photo.pk, plain.pk]
    assert loaded[0].visible_photos == [media]
    assert loaded[1].visible_photos == []
