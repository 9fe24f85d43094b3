"""Profile, follower lists and people pages: content, follow forms without JavaScript, queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Follow, SuggestionDismissal
from accounts.tests.factories import FollowFactory, UserFactory
from posts import views as post_views
from posts.services import like_set
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def test_profile_shows_counts_shared_friends_and_who_you_follow_that_follows_them(client):
    me, them = UserFactory(username="me"), UserFactory(username="them", bio="<b>hi</b>")
    alice = UserFactory(username="alice", display_name="Alice A")
    bob, carol, dave = (UserFactory(username=n) for n in ("bob", "carol", "dave"))
    for person in (alice, bob, carol, dave):
        FollowFactory(follower=me, followee=person)
        FollowFactory(follower=person, followee=them)
    # alice is a friend of both.
    FollowFactory(follower=alice, followee=me)
    FollowFactory(follower=them, followee=alice)
    PostFactory.create_batch(2, author=them)

    client.force_login(me)
    page = client.get("/u/them/").content.decode()
    assert "<strong>2</strong> posts" in page
    assert 'id="profile-followers">4<' in page
    assert "1 friend in common" in page
    assert "Alice A" in page
    assert "and 2 others you follow" in page
    assert "&lt;b&gt;hi&lt;/b&gt;" in page
    assert "Follow</span>" in page


def test_follow_and_unfollow_with_plain_forms(client):
    me, them = UserFactory(), UserFactory(username="them")
    client.force_login(me)
    response = client.post("/u/them/follow/", {"action": "set", "next": "/people/"})
    assert response.status_code == 302
    assert response["Location"] == "/people/"
    assert Follow.objects.filter(follower=me, followee=them).exists()
    # Twice is fine; a foreign `next` is ignored.
    response = client.post("/u/them/follow/", {"action": "set", "next": "https://evil.example/"})
    assert response["Location"] == "/u/them/"
    assert Follow.objects.filter(follower=me, followee=them).count() == 1
    client.post("/u/them/follow/", {"action": "unset"})
    assert not Follow.objects.exists()
    assert client.post("/u/nobody/follow/", {"action": "set"}).status_code == 404


def test_the_pages_script_gets_the_follow_button_back_with_the_new_count(client):
    me, them = UserFactory(), UserFactory(username="them")
    client.force_login(me)

    response = client.post(
        "/u/them/follow/",
        {"action": "set", "next": "/u/them/", "count_target": "profile-followers"},
        HTTP_X_FRAGMENT="1",
    )

    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.startswith('<form method="post" action="/u/them/follow/"')
    assert 'data-count-target="profile-followers" data-count="1"' in fragment
    assert 'name="action" value="unset"' in fragment
    assert 'name="next" value="/u/them/"' in fragment
    assert "<span>Following</span>" in fragment
    assert Follow.objects.filter(follower=me, followee=them).exists()
    # The profile page draws the same button for the same state.
    page = client.get("/u/them/").content.decode()
    assert 'data-count-target="profile-followers" data-count="1"' in page
    assert "<span>Following</span>" in page


def test_following_yourself_on_the_page_shows_the_message(client):
    me = UserFactory(username="me")
    client.force_login(me)
    response = client.post("/u/me/follow/", {"action": "set"}, follow=True)
    assert "You cannot follow yourself." in response.content.decode()
    assert not Follow.objects.exists()


def test_people_page_search_and_dismiss(client):
    me = UserFactory()
    UserFactory(username="zed", display_name="Zed Zebra")
    client.force_login(me)
    assert "Zed Zebra" in client.get("/people/").content.decode()
    assert "Zed Zebra" in client.get("/people/", {"q": "zEBR"}).content.decode()
    assert "Nobody matches" in client.get("/people/", {"q": "nomatch"}).content.decode()
    client.post("/people/zed/dismiss/")
    assert SuggestionDismissal.objects.filter(user=me, dismissed__username="zed").exists()
    assert "Zed Zebra" not in client.get("/people/").content.decode()


def test_followers_and_following_pages(client):
    them = UserFactory(username="them", display_name="Them There")
    fan = UserFactory(username="fan", display_name="Big Fan")
    FollowFactory(follower=fan, followee=them)
    client.force_login(UserFactory())
    assert "Big Fan" in client.get("/u/them/followers/").content.decode()
    following = client.get("/u/them/following/").content.decode()
    assert "Them There is not following anyone yet." in following
    assert client.get("/u/nobody/followers/").status_code == 404


def _profile_world(followees: int, posts: int):
    me, them = UserFactory(), UserFactory(username=f"them{followees}")
    for person in UserFactory.create_batch(followees):
        FollowFactory(follower=me, followee=person)
        FollowFactory(follower=person, followee=them)
        FollowFactory(follower=person, followee=me)
        FollowFactory(follower=them, followee=person)
    for post in PostFactory.create_batch(posts, author=them)[::2]:
        like_set(user=me, post=post)
    return me, them


def test_profile_page_takes_the_same_queries_for_5_or_50_followees_and_10_or_50_posts(
    client, monkeypatch, django_assert_max_num_queries
):
    counts = []
    for followees, posts in ((5, 10), (50, 50)):
        monkeypatch.setattr(post_views, "LIST_PAGE_SIZE", posts)
        me, them = _profile_world(followees, posts)
        client.force_login(me)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/u/{them.username}/")
        assert response.content.decode().count('class="card post"') == posts
        assert f"{followees} friends in common" in response.content.decode()
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # (7, and the unread notifications' count in the navigation)
    with django_assert_max_num_queries(8):
        client.get(f"/u/{them.username}/")


def test_anonymous_visitors_can_read_a_profile_without_follow_buttons(client):
    them = UserFactory(username="them", display_name="Them There")
    PostFactory(author=them, title="Public words")
    page = client.get("/u/THEM/").content.decode()
    assert "Them There" in page
    assert "Public words" in page
    assert "js-toggle" not in page
    assert client.post("/u/them/follow/", {"action": "set"}).status_code == 302
    assert not Follow.objects.exists()
