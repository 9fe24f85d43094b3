"""Suggestions: friends of friends ranked, reasons, dismissal, newest users filling in."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Block, Follow, SuggestionDismissal, User
from accounts.selectors import SUGGESTIONS_RANKED, followed_by_text, suggestions_for
from accounts.services import block_set, follow_create, follow_delete, suggestion_dismiss
from accounts.tests.factories import FollowFactory, UserFactory, api_client_for

pytestmark = pytest.mark.django_db


def follow(a, b):
    FollowFactory(follower=a, followee=b)


@pytest.fixture
def network():
    """me follows f1, f2, f3. f1..f3 follow `top`; f1, f2 follow `mid`; f1 follows `low`."""
    me = UserFactory(username="me")
    f1, f2, f3 = (UserFactory(username=n) for n in ("f1", "f2", "f3"))
    top, mid, low, popular_low = (
        UserFactory(username=n) for n in ("top", "mid", "low", "popular_low")
    )
    for friend in (f1, f2, f3):
        follow(me, friend)
        follow(friend, top)
    follow(f1, mid)
    follow(f2, mid)
    follow(f1, low)
    follow(f2, popular_low)
    # popular_low has more followers than low: it ranks first among the single-mutual ones.
    for _ in range(3):
        follow(UserFactory(), popular_low)
    follow(f1, f2)  # already followed by me: never suggested
    follow(f1, me)  # me: never suggested
    return {"me": me, "f1": f1, "f2": f2, "f3": f3}


def test_ranked_by_mutual_followees_then_follower_count(network):
    suggestions = suggestions_for(user=network["me"], limit=4)
    assert [s.user.username for s in suggestions] == ["top", "mid", "popular_low", "low"]
    assert [s.mutual_count for s in suggestions] == [3, 2, 1, 1]


def test_reasons_name_the_followees(network):
    by_name = {s.user.username: s.reason for s in suggestions_for(user=network["me"], limit=4)}
    assert by_name["low"] == "followed by f1, whom you follow"
    assert by_name["mid"] in {
        "followed by f1 and f2, whom you follow",
        "followed by f2 and f1, whom you follow",
    }
    assert by_name["top"].endswith(" and 1 other you follow")


def test_followed_by_text():
    assert followed_by_text([], 0) == ""
    assert followed_by_text(["alice", "bob"], 5) == "followed by alice, bob and 3 others you follow"


def test_never_me_people_i_follow_or_dismissed(network):
    me = network["me"]
    SuggestionDismissal.objects.create(
        user=me, dismissed=network["f1"].following_set.get(followee__username="mid").followee
    )
    names = [s.user.username for s in suggestions_for(user=me, limit=50)]
    assert "me" not in names
    assert not {"f1", "f2", "f3"} & set(names)
    assert "mid" not in names
    assert len(names) == len(set(names))


def test_newest_users_fill_in_when_there_are_too_few(network):
    newcomer = UserFactory(username="newcomer")
    UserFactory(username="inactive", is_active=False)
    suggestions = suggestions_for(user=network["me"], limit=6)
    names = [s.user.username for s in suggestions]
    assert names[:4] == ["top", "mid", "popular_low", "low"]
    assert names[4] == newcomer.username
    assert suggestions[4].reason == "new on Friends"
    assert "inactive" not in names


def test_a_new_user_gets_the_newest_users():
    older = UserFactory(username="older")
    newer = UserFactory(username="newer")
    me = UserFactory(username="me")
    assert [s.user for s in suggestions_for(user=me, limit=5)] == [newer, older]


def test_query_count_does_not_grow_with_the_network(django_assert_max_num_queries):
    def build(size):
        me = UserFactory()
        friends = UserFactory.create_batch(size)
        candidates = UserFactory.create_batch(size)
        for friend in friends:
            follow(me, friend)
            for candidate in candidates[:5]:
                follow(friend, candidate)
        return me

    counts = []
    for size in (3, 15):
        me = build(size)
        with CaptureQueriesContext(connection) as queries:
            suggestions_for(user=me, limit=10)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(4):
        suggestions_for(user=me, limit=10)


def test_dismiss_through_the_api_sticks():
    me = UserFactory(username="me")
    other = UserFactory(username="other")
    client = api_client_for(me)

    before = client.get("/api/v1/suggestions/").json()["results"]
    assert [s["user"]["username"] for s in before] == ["other"]
    assert client.delete("/api/v1/suggestions/other/").status_code == 204
    assert client.delete("/api/v1/suggestions/other/").status_code == 204
    assert client.get("/api/v1/suggestions/").json()["results"] == []
    assert SuggestionDismissal.objects.filter(user=me, dismissed=other).count() == 1
    assert client.delete("/api/v1/suggestions/nobody/").status_code == 404


# --- The kept ranking (accounts.selectors.SUGGESTIONS_RANKED) ---------------------------------


def _names(user, limit=10):
    """The suggested people's usernames, those who fill in as new users left out."""
    suggestions = suggestions_for(user=user, limit=limit)
    return [s.user.username for s in suggestions if s.mutual_count]


def test_the_ranking_is_kept_and_read_again_in_fewer_queries(network, django_assert_num_queries):
    first = suggestions_for(user=network["me"], limit=6)
    with django_assert_num_queries(2):  # the people still shown, the newest
        again = suggestions_for(user=network["me"], limit=6)

    assert [(s.user, s.reason, s.mutual_count) for s in again] == [
        (s.user, s.reason, s.mutual_count) for s in first
    ]


def test_following_someone_ranks_afresh_with_their_follows(network):
    me = network["me"]
    assert "far" not in _names(me)
    newcomer_friend = UserFactory(username="nf")
    far = UserFactory(username="far")
    for _ in range(4):
        follow(UserFactory(), far)  # popular, so that it outranks the other single-mutual ones
    follow(newcomer_friend, far)

    follow_create(follower=me, followee=newcomer_friend)

    assert _names(me, limit=5)[:5] == ["top", "mid", "far", "popular_low", "low"]


def test_unfollowing_blocking_and_dismissing_rank_afresh(network):
    me, f1, f3 = network["me"], network["f1"], network["f3"]
    assert "low" in _names(me)  # followed by f1 only

    follow_delete(follower=me, followee=f1)
    assert "low" not in _names(me)

    follow_create(follower=me, followee=f1)
    block_set(blocker=f3, blocked=me)  # f3 leaves my follows: top has two mutuals left
    assert suggestions_for(user=me, limit=1)[0].mutual_count == 2

    mid = User.objects.get(username="mid")
    suggestion_dismiss(user=me, dismissed=mid)
    assert "mid" not in _names(me)


def test_a_kept_ranking_never_shows_who_left_blocked_or_is_now_followed(network):
    me = network["me"]
    assert _names(me, limit=4) == ["top", "mid", "popular_low", "low"]
    # Changed behind the services' back: the kept ranking is not forgotten, and still the
    # people it names are checked again.
    User.objects.filter(username="top").update(is_active=False)
    Block.objects.create(blocker=User.objects.get(username="mid"), blocked=me)
    Follow.objects.create(follower=me, followee=User.objects.get(username="low"))
    SuggestionDismissal.objects.create(user=me, dismissed=User.objects.get(username="popular_low"))

    shown = {s.user.username for s in suggestions_for(user=me, limit=10)}
    assert not {"top", "mid", "low", "popular_low"} & shown


def test_a_short_list_from_a_kept_ranking_takes_the_next_ones_in_order(network):
    me = network["me"]
    assert _names(me, limit=4) == ["top", "mid", "popular_low", "low"]  # ranked and kept
    User.objects.filter(username="top").update(is_active=False)  # behind the services' back

    short = suggestions_for(user=me, limit=2)

    assert [(s.user.username, s.mutual_count) for s in short] == [("mid", 2), ("popular_low", 1)]
    assert [s.user.is_following or s.user.follows_you for s in short] == [False, False]


def test_suggestions_work_with_the_cache_down(network, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    for method in ("get", "set", "delete_many"):
        monkeypatch.setattr(cache, method, down)

    assert _names(network["me"], limit=4) == ["top", "mid", "popular_low", "low"]
    follow_create(follower=network["me"], followee=User.objects.get(username="top"))
    assert _names(network["me"], limit=3) == ["mid", "popular_low", "low"]


def test_a_longer_list_than_the_kept_one_is_ranked_afresh(network):
    me = network["me"]
    many = [UserFactory(username=f"extra{n}") for n in range(SUGGESTIONS_RANKED + 2)]
    for person in many:
        follow(network["f1"], person)
    _names(me, limit=SUGGESTIONS_RANKED)  # kept: the best SUGGESTIONS_RANKED

    names = _names(me, limit=SUGGESTIONS_RANKED + 10)

    assert {person.username for person in many} <= set(names)
