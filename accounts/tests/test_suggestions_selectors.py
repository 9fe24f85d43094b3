"""Suggestions: friends of friends ranked, reasons, dismissal, newest users filling in."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import SuggestionDismissal
from accounts.selectors import followed_by_text, suggestions_for
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
