"""Lists without the people one may not see (blocks either way, accounts that left), and a
mute that hides from the feed only; every list in a fixed number of queries, however many
blocks and mutes there are."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Follow, User
from accounts.selectors import followers_of, following_of, suggestions_for, user_search
from accounts.services import block_set, block_unset, mute_set
from accounts.tests.factories import FollowFactory, UserFactory, api_client_for
from posts.selectors import comments_for, feed_for, liked_posts_for
from posts.services import bookmark_set, like_set
from posts.tests.factories import CommentFactory, PostFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def world():
    """Ann blocked Bob; Carol follows and is followed by both; Dave left; Erin is muted by Ann.
    Each wrote a post; Bob and Dave commented on Carol's post, Bob on Ann's (before the block)."""
    ann = UserFactory(username="ann", display_name="Ann Able")
    bob = UserFactory(username="bob", display_name="Bob Baker")
    carol = UserFactory(username="carol", display_name="Carol Cole", likes_public=True)
    dave = UserFactory(username="dave", display_name="Dave Dunn")
    erin = UserFactory(username="erin", display_name="Erin Ebb")
    people = (ann, bob, carol, dave, erin)
    for follower in people:
        for followee in people:
            if follower != followee:
                FollowFactory(follower=follower, followee=followee)
    posts = {person.username: PostFactory(author=person, title=f"by {person}") for person in people}
    for person in (ann, bob, carol, dave, erin):
        like_set(user=carol, post=posts[person.username])
    comments = {
        "bob on carol": CommentFactory(post=posts["carol"], author=bob),
        "dave on carol": CommentFactory(post=posts["carol"], author=dave),
        "bob on ann": CommentFactory(post=posts["ann"], author=bob),
        "erin on carol": CommentFactory(post=posts["carol"], author=erin),
    }
    bookmark_set(user=ann, post=posts["bob"])
    like_set(user=ann, post=posts["bob"])
    block_set(blocker=ann, blocked=bob)
    mute_set(muter=ann, muted=erin)
    User.objects.filter(pk=dave.pk).update(is_active=False)
    dave.refresh_from_db()
    return SimpleNamespace(
        ann=ann, bob=bob, carol=carol, dave=dave, erin=erin, posts=posts, comments=comments
    )


def authors(posts) -> set[str]:
    return {post.author.username for post in posts}


def names(people) -> set[str]:
    return {person.username for person in people}


def feed_authors(user) -> set[str]:
    return set(feed_for(user=user).values_list("author__username", flat=True))


# --- The feed: blocks both ways, mutes, people who left --------------------------------------


def test_the_feed_leaves_out_blocked_muted_and_departed_people(world):
    assert feed_authors(world.ann) == {"ann", "carol"}
    assert feed_authors(world.bob) == {"bob", "carol", "erin"}
    assert feed_authors(world.carol) == {"ann", "bob", "carol", "erin"}


def test_the_feed_leaves_out_blocked_people_even_with_a_follow_left_between_them(world):
    # A follow row that outlived the block (block_set deletes them; a write racing it may not).
    Follow.objects.create(follower=world.ann, followee=world.bob)
    Follow.objects.create(follower=world.bob, followee=world.ann)

    assert "bob" not in feed_authors(world.ann)
    assert "ann" not in feed_authors(world.bob)


def test_the_feed_pages_and_the_api_show_the_same(client, world):
    client.force_login(world.ann)
    page = client.get("/")
    api = api_client_for(world.ann).get(f"{API}/feed/").json()["results"]

    assert authors(page.context["posts"]) == {"ann", "carol"}
    assert {post["author"]["username"] for post in api} == {"ann", "carol"}


def test_a_mute_hides_from_the_feed_only(client, world):
    client.force_login(world.ann)

    assert client.get("/u/erin/").status_code == 200
    assert world.posts["erin"].title in client.get("/u/erin/").content.decode()
    assert client.get(f"/posts/{world.posts['erin'].pk}/").status_code == 200
    assert "erin" in names(user_search(query="erin", viewer=world.ann))
    assert "erin" in names(followers_of(user=world.carol, viewer=world.ann))
    comments = comments_for(post=world.posts["carol"], viewer=world.ann)
    assert world.comments["erin on carol"] in comments


def test_a_muted_person_cannot_tell(world):
    # Erin sees Ann as before: her profile, posts, feed and lists.
    profile = api_client_for(world.erin).get(f"{API}/users/ann/").json()
    assert (profile["is_following"], profile["follows_you"], profile["is_muted"]) == (
        True,
        True,
        False,
    )
    assert "ann" in feed_authors(world.erin)


# --- Suggestions, search, followers and following --------------------------------------------


def test_suggestions_leave_out_blocked_and_departed_people_both_ways():
    ann, bob, carol = UserFactory(), UserFactory(), UserFactory()
    gone = UserFactory()
    for follower, followee in ((ann, carol), (carol, bob), (carol, gone), (bob, carol)):
        FollowFactory(follower=follower, followee=followee)
    FollowFactory(follower=carol, followee=ann)
    assert bob in [s.user for s in suggestions_for(user=ann)]
    assert ann in [s.user for s in suggestions_for(user=bob)]

    block_set(blocker=ann, blocked=bob)
    User.objects.filter(pk=gone.pk).update(is_active=False)

    assert {bob, gone}.isdisjoint(s.user for s in suggestions_for(user=ann, limit=20))
    assert ann not in [s.user for s in suggestions_for(user=bob, limit=20)]
    # The newest people, who fill the list in, follow the same rule.
    lonely = UserFactory()
    block_set(blocker=lonely, blocked=ann)
    assert ann not in [s.user for s in suggestions_for(user=lonely, limit=20)]


def test_suggestions_pages_and_api_leave_out_blocked_people(client, world):
    stranger = UserFactory(username="stranger")
    block_set(blocker=stranger, blocked=world.ann)
    client.force_login(world.ann)

    page = client.get("/people/").content.decode()
    api = api_client_for(world.ann).get(f"{API}/suggestions/", {"limit": 50}).json()

    assert "/u/stranger/" not in page
    assert "stranger" not in {s["user"]["username"] for s in api["results"]}


def test_search_leaves_out_blocked_and_departed_people_both_ways(client, world):
    for viewer, hidden in ((world.ann, "bob"), (world.bob, "ann")):
        found = names(user_search(query="a", viewer=viewer)) | names(
            user_search(query="b", viewer=viewer)
        )
        assert hidden not in found
        assert "dave" not in found
        api = api_client_for(viewer).get(f"{API}/users/", {"search": hidden}).json()
        assert api["results"] == []
        assert api_client_for(viewer).get(f"{API}/users/").json()["count"] == 3
    client.force_login(world.ann)
    assert "/u/bob/" not in client.get("/people/", {"q": "bob"}).content.decode()
    assert names(user_search(query="b", viewer=world.carol)) >= {"bob"}


def test_followers_and_following_leave_out_blocked_and_departed_people_both_ways(client, world):
    for viewer, hidden in ((world.ann, "bob"), (world.bob, "ann")):
        assert names(followers_of(user=world.carol, viewer=viewer)) == {"ann", "bob", "erin"} - {
            hidden
        }
        assert names(following_of(user=world.carol, viewer=viewer)) == {"ann", "bob", "erin"} - {
            hidden
        }
        api = api_client_for(viewer).get(f"{API}/users/carol/followers/").json()
        assert hidden not in {person["username"] for person in api["results"]}
    assert names(followers_of(user=world.carol, viewer=world.carol)) == {"ann", "bob", "erin"}
    client.force_login(world.ann)
    assert "/u/bob/" not in client.get("/u/carol/followers/").content.decode()
    assert "/u/bob/" not in client.get("/u/carol/following/").content.decode()


def test_counts_leave_out_people_who_left(world):
    profile = api_client_for(world.carol).get(f"{API}/users/carol/").json()

    assert (profile["followers_count"], profile["following_count"]) == (3, 3)


# --- Comments, likes, bookmarks ---------------------------------------------------------------


def test_comments_of_blocked_and_departed_people_are_hidden(client, world):
    on_carols = world.posts["carol"]

    assert list(comments_for(post=on_carols, viewer=world.ann)) == [world.comments["erin on carol"]]
    assert world.comments["bob on carol"] in comments_for(post=on_carols, viewer=world.carol)
    assert world.comments["dave on carol"] not in comments_for(post=on_carols, viewer=world.carol)
    client.force_login(world.ann)
    page = client.get(f"/posts/{on_carols.pk}/").content.decode()
    assert f'id="comment-{world.comments["bob on carol"].pk}"' not in page
    api = api_client_for(world.ann).get(f"{API}/posts/{on_carols.pk}/comments/").json()
    assert [c["id"] for c in api["results"]] == [world.comments["erin on carol"].pk]


def test_a_blocked_persons_comments_on_the_blockers_posts_are_hidden_from_everyone(world):
    on_anns = world.posts["ann"]

    assert world.comments["bob on ann"] not in comments_for(post=on_anns, viewer=world.carol)
    response = api_client_for(world.carol).get(f"{API}/comments/{world.comments['bob on ann'].pk}/")
    assert response.status_code == 404


def test_likes_and_bookmarks_of_blocked_peoples_posts_are_kept_but_hidden(client, world):
    # Carol liked everyone's post; Ann sees her likes tab without Bob's and Dave's.
    assert authors(liked_posts_for(user=world.carol, viewer=world.ann)) == {"ann", "carol", "erin"}
    assert authors(liked_posts_for(user=world.carol, viewer=world.bob)) == {"bob", "carol", "erin"}
    client.force_login(world.ann)
    assert "by bob" not in client.get("/u/carol/likes/").content.decode()
    # Ann's own like and bookmark of Bob's post stay, out of sight.
    assert world.ann.likes.filter(post=world.posts["bob"]).exists()
    assert "by bob" not in client.get("/likes/").content.decode()
    assert "by bob" not in client.get("/bookmarks/").content.decode()
    api = api_client_for(world.ann)
    assert api.get(f"{API}/me/likes/").json()["results"] == []
    assert api.get(f"{API}/me/bookmarks/").json()["results"] == []
    assert api.get(f"{API}/posts/").json()["count"] == 3  # ann, carol, erin


def test_unblocking_brings_everything_back_but_the_follows(world):
    block_unset(blocker=world.ann, blocked=world.bob)

    assert world.comments["bob on ann"] in comments_for(post=world.posts["ann"], viewer=world.carol)
    assert "bob" in names(user_search(query="bob", viewer=world.ann))
    assert "bob" not in feed_authors(world.ann)  # the follow is not restored
    assert world.posts["bob"] in liked_posts_for(user=world.ann)


# --- A fixed number of queries, whatever the number of blocks and mutes -----------------------


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    if hasattr(response, "status_code"):
        assert response.status_code == 200
    return len(queries)


def _many_blocks_and_mutes(user: User, count: int) -> None:
    for _ in range(count):
        block_set(blocker=user, blocked=UserFactory())
        block_set(blocker=UserFactory(), blocked=user)
        mute_set(muter=user, muted=UserFactory())


def _reader_with_a_network() -> User:
    reader = UserFactory()
    for _ in range(6):
        person = UserFactory()
        FollowFactory(follower=reader, followee=person)
        FollowFactory(follower=person, followee=reader)
        PostFactory.create_batch(2, author=person)
        for post in PostFactory.create_batch(2, author=person):
            CommentFactory(post=post, author=UserFactory())
    return reader


LISTS = [
    ("feed page", "page", "/"),
    ("feed api", "api", f"{API}/feed/"),
    ("people page", "page", "/people/"),
    ("search page", "page", "/people/?q=user"),
    ("search api", "api", f"{API}/users/?search=user"),
    ("users api", "api", f"{API}/users/"),
    ("suggestions api", "api", f"{API}/suggestions/"),
    ("posts api", "api", f"{API}/posts/"),
    ("likes page", "page", "/likes/"),
    ("bookmarks page", "page", "/bookmarks/"),
    ("my likes api", "api", f"{API}/me/likes/"),
    ("my profile", "page", "/u/{me}/"),
    ("my followers page", "page", "/u/{me}/followers/"),
    ("my following page", "page", "/u/{me}/following/"),
    ("my followers api", "api", f"{API}/users/{{me}}/followers/"),
    ("settings page", "page", "/settings/"),
    ("blocked page", "page", "/settings/blocked/"),
    ("muted page", "page", "/settings/muted/"),
    ("my blocks api", "api", f"{API}/me/blocks/"),
    ("my mutes api", "api", f"{API}/me/mutes/"),
]


@pytest.mark.parametrize(("kind", "path"), [c[1:] for c in LISTS], ids=[c[0] for c in LISTS])
def test_every_list_takes_the_same_queries_with_1_or_25_blocks_and_mutes(client, kind, path):
    counts = []
    for blocks in (1, 25):
        reader = _reader_with_a_network()
        _many_blocks_and_mutes(reader, blocks)
        for post in reader.following_set.first().followee.posts.all():
            like_set(user=reader, post=post)
            bookmark_set(user=reader, post=post)
        url = path.format(me=reader.username)
        if kind == "api":
            api = api_client_for(reader)
            api.get(url)  # the token's first use is recorded once
            counts.append(_queries(lambda api=api, url=url: api.get(url)))
        else:
            client.force_login(reader)
            client.get(url)
            counts.append(_queries(lambda url=url: client.get(url)))
    assert counts[0] == counts[1]


def test_the_post_page_takes_the_same_queries_with_few_or_many_hidden_comments(client):
    counts = []
    for hidden in (1, 25):
        reader, post = UserFactory(), PostFactory()
        for _ in range(hidden):
            blocked = UserFactory()
            CommentFactory(post=post, author=blocked)
            block_set(blocker=reader, blocked=blocked)
            CommentFactory(post=post, author=UserFactory())
        client.force_login(reader)
        client.get(f"/posts/{post.pk}/")
        counts.append(_queries(lambda post=post: client.get(f"/posts/{post.pk}/")))
        assert client.get(f"/posts/{post.pk}/").content.decode().count('class="comment"') == hidden
    assert counts[0] == counts[1]


def test_blocks_and_mutes_add_no_query_to_the_feed(client):
    reader = _reader_with_a_network()
    client.force_login(reader)
    api = api_client_for(reader)
    api.get(f"{API}/feed/")
    client.get("/")
    before = (_queries(lambda: api.get(f"{API}/feed/")), _queries(lambda: client.get("/")))

    _many_blocks_and_mutes(reader, 10)
    # Blocks forget the kept suggestions (accounts.selectors.suggestions_forget): warmed again
    # as before, so that both counts are of the same state of the cache.
    api.get(f"{API}/feed/")
    client.get("/")

    assert (_queries(lambda: api.get(f"{API}/feed/")), _queries(lambda: client.get("/"))) == before
