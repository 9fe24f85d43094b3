"""The tabs of a profile (posts, followers, following, likes) under one header, public likes,
and the feed's side column."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import FollowFactory, UserFactory
from posts.services import like_set
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def current_tab(html: str) -> str:
    """The label of the profile tab marked as the page's (aria-current)."""
    tabs = re.search(r'<nav class="tabs"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return re.search(r'aria-current="page">([^<]+)</a>', tabs).group(1)


def tab_labels(html: str) -> list[str]:
    tabs = re.search(r'<nav class="tabs"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return re.findall(r">([^<>]+)</a>", tabs)


@pytest.fixture
def ada():
    ada = UserFactory(username="ada", display_name="Ada Lovelace", bio="Counting engines")
    PostFactory.create_batch(3, author=ada)
    for _ in range(2):
        FollowFactory(follower=UserFactory(), followee=ada)
    FollowFactory(follower=ada, followee=UserFactory())
    return ada


@pytest.mark.parametrize(
    ("path", "tab"),
    [("/u/ada/", "Posts"), ("/u/ada/followers/", "Followers"), ("/u/ada/following/", "Following")],
)
def test_each_tab_shows_the_same_header_with_its_own_tab_marked(client, ada, path, tab):
    client.force_login(UserFactory())

    html = client.get(path).content.decode()

    assert "accounts/_profile_header.html" in html_templates(client, path)
    assert '<h1 id="profile-name">Ada Lovelace</h1>' in html
    assert "@ada" in html
    assert "Counting engines" in html
    assert "<strong>3</strong> posts" in html
    assert 'id="profile-followers">2<' in html
    assert "<strong>1</strong> following" in html
    assert current_tab(html) == tab
    assert html.count('aria-current="page"') == 1  # not the viewer's own profile: no nav item


def html_templates(client, path: str) -> list[str]:
    return [template.name for template in client.get(path).templates]


def test_the_likes_tab_and_page_are_not_there_while_the_likes_are_private(client, ada):
    like_set(user=ada, post=PostFactory())
    client.force_login(UserFactory())

    assert "Likes" not in tab_labels(client.get("/u/ada/").content.decode())
    assert client.get("/u/ada/likes/").status_code == 404
    client.logout()
    assert client.get("/u/ada/likes/").status_code == 404


def test_public_likes_list_the_liked_posts_with_the_viewers_own_flags(client, ada):
    ada.likes_public = True
    ada.save(update_fields=["likes_public"])
    liked_by_both, liked_by_ada_only = PostFactory(title="Both"), PostFactory(title="Ada's")
    PostFactory(title="Nobody's")
    like_set(user=ada, post=liked_by_ada_only)
    like_set(user=ada, post=liked_by_both)
    viewer = UserFactory()
    like_set(user=viewer, post=liked_by_both)
    client.force_login(viewer)

    assert "Likes" in tab_labels(client.get("/u/ada/").content.decode())
    html = client.get("/u/ada/likes/").content.decode()

    assert current_tab(html) == "Likes"
    cards = re.findall(r'<article class="card post" id="post-(\d+)">.*?</article>', html, re.S)
    assert cards == [str(liked_by_both.pk), str(liked_by_ada_only.pk)]  # newest like first
    both = re.search(rf'id="post-{liked_by_both.pk}">.*?</article>', html, re.S).group(0)
    adas = re.search(rf'id="post-{liked_by_ada_only.pk}">.*?</article>', html, re.S).group(0)
    assert 'aria-pressed="true"' in both  # the viewer liked it too
    assert 'aria-pressed="false">♥' in adas  # Ada's like is not the viewer's
    client.logout()
    assert "Ada&#x27;s" in client.get("/u/ada/likes/").content.decode()  # visitors too


def test_own_likes_tab_shows_to_oneself_even_while_private(client, ada):
    like_set(user=ada, post=PostFactory(title="Mine to know"))
    client.force_login(ada)

    html = client.get("/u/ADA/likes/").content.decode()

    assert "Mine to know" in html
    assert "Only you see this tab." in html
    assert "Likes" in tab_labels(client.get("/u/ada/").content.decode())


def test_empty_tabs_say_what_to_do_next(client):
    loner = UserFactory(username="loner", display_name="Lone Wolf")
    client.force_login(loner)

    assert "Write your first post" in client.get("/u/loner/").content.decode()
    assert "Nobody follows you yet." in client.get("/u/loner/followers/").content.decode()
    assert "Find people" in client.get("/u/loner/following/").content.decode()
    assert "No likes yet" in client.get("/u/loner/likes/").content.decode()
    client.force_login(UserFactory())
    assert "Lone Wolf has not posted yet." in client.get("/u/loner/").content.decode()


def _tab_world(count: int):
    me, them = UserFactory(), UserFactory(username=f"them{count}", likes_public=True)
    for person in UserFactory.create_batch(count):
        FollowFactory(follower=person, followee=them)
        FollowFactory(follower=them, followee=person)
        FollowFactory(follower=me, followee=person)
    for post in PostFactory.create_batch(count):
        like_set(user=them, post=post)
        like_set(user=me, post=post)
    return me, them


@pytest.mark.parametrize(
    ("tab", "items"),
    [
        ("followers", 'class="person"'),
        ("following", 'class="person"'),
        ("likes", 'class="card post"'),
    ],
)
def test_profile_tabs_take_the_same_queries_for_few_or_many_people_and_posts(
    client, django_assert_max_num_queries, tab, items
):
    counts = []
    for count in (3, 15):
        me, them = _tab_world(count)
        client.force_login(me)
        with CaptureQueriesContext(connection) as queries:
            html = client.get(f"/u/{them.username}/{tab}/").content.decode()
        assert html.count(items) == count
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # session, user, the profile with its counts, the page's count, its rows (and, for posts,
    # their photos); the unread notifications' count
    with django_assert_max_num_queries(7):
        client.get(f"/u/{them.username}/{tab}/")


def test_the_feed_suggests_people_beside_the_posts(client):
    me, friend = UserFactory(), UserFactory()
    FollowFactory(follower=me, followee=friend)
    FollowFactory(follower=friend, followee=UserFactory(display_name="Suggested Person"))
    PostFactory(author=friend, title="A post in the feed")
    client.force_login(me)

    html = client.get("/").content.decode()

    aside = re.search(r'<aside class="page-aside".*?</aside>', html, re.S).group(0)
    assert "People you may know" in aside
    assert "Suggested Person" in aside
    assert "followed by" in aside
    assert "A post in the feed" not in aside
