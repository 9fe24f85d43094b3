"""Blocking and muting: the rule (accounts.policies), the services, the pages (profile buttons,
the confirmation, /settings/ lists with undo) and the API (PUT/DELETE users/<u>/block/ and
mute/, me/blocks/, me/mutes/)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import Http404
from rest_framework.test import APIClient

from accounts import policies
from accounts.models import Block, Follow, Mute, User
from accounts.services import block_set, block_unset, follow_create, mute_set, mute_unset
from accounts.tests.factories import FollowFactory, UserFactory, api_client_for
from accounts.views import SETTINGS_PEOPLE_SHOWN
from core.errors import ApplicationError
from posts.services import bookmark_set, comment_create, like_set
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


# --- The rule ---------------------------------------------------------------------------------


def test_the_sql_form_of_the_rule_agrees_with_the_queryset_form():
    viewer, blocked, blocker, gone, other = UserFactory.create_batch(5)
    block_set(blocker=viewer, blocked=blocked)
    block_set(blocker=blocker, blocked=viewer)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    table = connection.ops.quote_name(User._meta.db_table)
    column = f"{table}.{connection.ops.quote_name('id')}"

    for who in (viewer, blocked, other, AnonymousUser()):
        sql, params = policies.people_visible_sql(column, who)
        by_sql = set(User.objects.extra(where=[sql], params=params).values_list("pk", flat=True))
        by_q = set(User.objects.filter(policies.people_visible_q(who)).values_list("pk", flat=True))
        assert by_sql == by_q
    assert by_q == {viewer.pk, blocked.pk, blocker.pk, other.pk}  # anonymous: all but `gone`
    visible_to_viewer = User.objects.filter(policies.people_visible_q(viewer))
    assert set(visible_to_viewer) == {viewer, other}


def test_person_visible_both_ways_and_not_for_someone_who_left():
    ann, bob, carol = UserFactory.create_batch(3)
    block_set(blocker=ann, blocked=bob)

    assert not policies.person_visible(ann, bob)
    assert not policies.person_visible(bob, ann)
    assert policies.person_visible(carol, ann)
    assert policies.person_visible(carol, bob)
    carol.is_active = False
    assert not policies.person_visible(ann, carol)


# --- Services ---------------------------------------------------------------------------------


def test_block_removes_the_follows_both_ways_and_is_idempotent():
    ann, bob, carol = UserFactory.create_batch(3)
    FollowFactory(follower=ann, followee=bob)
    FollowFactory(follower=bob, followee=ann)
    FollowFactory(follower=bob, followee=carol)

    first = block_set(blocker=ann, blocked=bob)
    again = block_set(blocker=ann, blocked=bob)

    assert first == again
    assert Block.objects.count() == 1
    assert list(Follow.objects.values_list("follower", "followee")) == [(bob.pk, carol.pk)]


def test_the_blocked_person_cannot_follow_like_bookmark_or_comment():
    ann, bob = UserFactory(), UserFactory()
    post = PostFactory(author=ann)
    block_set(blocker=ann, blocked=bob)

    for write in (
        lambda: follow_create(follower=bob, followee=ann),
        lambda: like_set(user=bob, post=post),
        lambda: bookmark_set(user=bob, post=post),
        lambda: comment_create(post=post, author=bob, body="Hi"),
    ):
        with pytest.raises(Http404):
            write()
    post.refresh_from_db()
    assert (post.like_count, post.comment_count) == (0, 0)
    assert not Follow.objects.exists()


def test_the_blocker_is_told_to_unblock_before_following():
    ann, bob = UserFactory(), UserFactory(username="bob")
    block_set(blocker=ann, blocked=bob)

    with pytest.raises(ApplicationError) as error:
        follow_create(follower=ann, followee=bob)

    assert error.value.status == 409
    assert error.value.message == "You blocked bob: unblock them to follow them."


def test_unblock_is_idempotent_and_leaves_the_follows_gone():
    ann, bob = UserFactory(), UserFactory()
    FollowFactory(follower=bob, followee=ann)
    block_set(blocker=ann, blocked=bob)

    assert block_unset(blocker=ann, blocked=bob) is True
    assert block_unset(blocker=ann, blocked=bob) is False
    assert not Follow.objects.exists()
    follow_create(follower=bob, followee=ann)  # allowed again


def test_mute_and_unmute_are_idempotent_and_change_nothing_else():
    ann, bob = UserFactory(), UserFactory()
    FollowFactory(follower=ann, followee=bob)

    mute_set(muter=ann, muted=bob)
    mute_set(muter=ann, muted=bob)

    assert Mute.objects.count() == 1
    assert Follow.objects.filter(follower=ann, followee=bob).exists()
    assert mute_unset(muter=ann, muted=bob) is True
    assert mute_unset(muter=ann, muted=bob) is False


@pytest.mark.parametrize(
    ("service", "roles", "message"),
    [
        (block_set, ("blocker", "blocked"), "You cannot block yourself."),
        (mute_set, ("muter", "muted"), "You cannot mute yourself."),
    ],
)
def test_nobody_blocks_or_mutes_themself(service, roles, message):
    ann = UserFactory()

    with pytest.raises(ApplicationError) as error:
        service(**dict.fromkeys(roles, ann))

    assert (error.value.status, error.value.message) == (400, message)
    assert not Block.objects.exists()
    assert not Mute.objects.exists()


# --- Pages ------------------------------------------------------------------------------------


def test_a_profile_offers_mute_and_block_without_javascript(client):
    me, _them = UserFactory(), UserFactory(username="them")
    client.force_login(me)

    page = client.get("/u/them/").content.decode()

    assert 'action="/u/them/mute/"' in page
    assert 'href="/u/them/block/"' in page
    own = client.get(f"/u/{me.username}/").content.decode()
    assert "/block/" not in own
    assert "/mute/" not in own


def test_block_asks_first_and_says_what_it_does(client):
    me, them = UserFactory(), UserFactory(username="them", display_name="Them T")
    FollowFactory(follower=me, followee=them)
    client.force_login(me)

    page = client.get("/u/them/block/").content.decode()

    assert "Block Them T?" in page
    assert "You stop following each other" in page
    assert "They are not told" in page
    assert not Block.objects.exists()  # asking changes nothing
    response = client.post("/u/them/block/", {"action": "set"})
    assert response.status_code == 302
    assert response["Location"] == "/u/them/"
    assert Block.objects.filter(blocker=me, blocked=them).exists()
    assert not Follow.objects.exists()
    profile = client.get("/u/them/").content.decode()
    assert "You blocked Them T" in profile
    assert '<input type="hidden" name="action" value="unset">' in profile


def test_unblock_from_the_profile_page(client):
    me, them = UserFactory(), UserFactory(username="them")
    block_set(blocker=me, blocked=them)
    client.force_login(me)

    response = client.post("/u/them/block/", {"action": "unset", "next": "/u/them/"}, follow=True)

    assert not Block.objects.exists()
    assert "You unblocked them." in response.content.decode()
    assert 'href="/u/them/block/"' in response.content.decode()


def test_mute_toggle_with_and_without_javascript(client):
    me, them = UserFactory(), UserFactory(username="them")
    client.force_login(me)

    plain = client.post("/u/them/mute/", {"action": "set", "next": "/u/them/"}, follow=True)
    assert Mute.objects.filter(muter=me, muted=them).exists()
    assert "You muted them" in plain.content.decode()
    assert 'aria-pressed="true"' in plain.content.decode()

    fragment = client.post("/u/them/mute/", {"action": "unset"}, HTTP_X_FRAGMENT="1")
    html = fragment.content.decode()
    assert html.startswith('<form method="post" action="/u/them/mute/"')
    assert "<span>Mute</span>" in html
    assert 'aria-pressed="false"' in html
    assert not Mute.objects.exists()


def test_muting_yourself_is_refused_with_a_message(client):
    me = UserFactory(username="me")
    client.force_login(me)

    response = client.post("/u/me/mute/", {"action": "set", "next": "/settings/"}, follow=True)

    assert "You cannot mute yourself." in response.content.decode()
    assert client.get("/u/me/block/").status_code == 404
    assert not Mute.objects.exists()


def test_settings_list_blocked_and_muted_people_with_undo(client):
    me = UserFactory()
    blocked = UserFactory(username="blocked_one", display_name="Blocked One")
    muted = UserFactory(username="muted_one", display_name="Muted One")
    block_set(blocker=me, blocked=blocked)
    mute_set(muter=me, muted=muted)
    block_set(blocker=UserFactory(), blocked=me)  # blocks made by others are not listed
    client.force_login(me)

    page = client.get("/settings/").content.decode()

    assert 'id="blocked"' in page
    assert 'id="muted"' in page
    assert "Blocked One" in page
    assert 'aria-label="Unblock blocked_one"' in page
    assert "Muted One" in page
    assert 'aria-label="Unmute muted_one"' in page
    assert page.count('class="person"') == 2
    response = client.post(
        "/u/muted_one/mute/", {"action": "unset", "next": "/settings/#muted"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/settings/#muted"
    assert "You have not muted anyone." in response.content.decode()
    client.post("/u/blocked_one/block/", {"action": "unset", "next": "/settings/#blocked"})
    assert "You have not blocked anyone." in client.get("/settings/").content.decode()


def test_settings_show_the_newest_few_and_link_to_the_whole_list(client):
    me = UserFactory()
    blocked = UserFactory.create_batch(SETTINGS_PEOPLE_SHOWN + 1)
    for person in blocked:
        block_set(blocker=me, blocked=person)
    client.force_login(me)

    page = client.get("/settings/").content.decode()

    assert page.count('aria-label="Unblock ') == SETTINGS_PEOPLE_SHOWN
    assert blocked[0].username not in page  # the oldest is on the whole list only
    assert 'href="/settings/blocked/"' in page
    whole = client.get("/settings/blocked/").content.decode()
    assert whole.count('aria-label="Unblock ') == SETTINGS_PEOPLE_SHOWN + 1
    assert "You have not muted anyone." in client.get("/settings/muted/").content.decode()


def test_both_of_two_people_who_blocked_each_other_can_unblock(client):
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    block_set(blocker=ann, blocked=bob)
    block_set(blocker=bob, blocked=ann)
    client.force_login(ann)

    assert 'aria-label="Unblock bob"' in client.get("/settings/").content.decode()
    assert "You blocked" in client.get("/u/bob/").content.decode()
    client.post("/u/bob/block/", {"action": "unset"})

    assert not Block.objects.filter(blocker=ann).exists()
    assert client.get("/u/bob/").status_code == 404  # Bob's block stands
    assert api_client_for(bob).delete(f"{API}/users/ann/block/").json()["is_blocked"] is False


def test_a_muted_person_who_blocks_you_leaves_your_list_of_mutes(client):
    me, them = UserFactory(), UserFactory(username="them")
    mute_set(muter=me, muted=them)
    block_set(blocker=them, blocked=me)

    assert api_client_for(me).get(f"{API}/me/mutes/").json()["count"] == 0
    assert Mute.objects.filter(muter=me, muted=them).exists()  # back if they unblock


def test_blocked_people_who_left_are_not_listed(client):
    me, gone = UserFactory(), UserFactory(username="gone")
    block_set(blocker=me, blocked=gone)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    client.force_login(me)

    assert "/u/gone/" not in client.get("/settings/").content.decode()
    assert api_client_for(me).get(f"{API}/me/blocks/").json()["count"] == 0


# --- API --------------------------------------------------------------------------------------


def test_api_block_and_unblock_answer_the_profile_and_are_idempotent():
    me, them = UserFactory(), UserFactory(username="them")
    FollowFactory(follower=them, followee=me)
    api = api_client_for(me)

    blocked = api.put(f"{API}/users/them/block/")
    again = api.put(f"{API}/users/them/block/")

    assert blocked.status_code == again.status_code == 200
    assert (blocked.json()["username"], blocked.json()["is_blocked"]) == ("them", True)
    assert blocked.json()["follows_you"] is False
    assert Block.objects.count() == 1
    unblocked = api.delete(f"{API}/users/them/block/")
    assert (unblocked.status_code, unblocked.json()["is_blocked"]) == (200, False)
    assert api.delete(f"{API}/users/them/block/").status_code == 200
    assert not Block.objects.exists()


def test_api_mute_and_unmute_answer_the_profile_and_are_idempotent():
    me, _them = UserFactory(), UserFactory(username="them")
    api = api_client_for(me)

    assert api.put(f"{API}/users/them/mute/").json()["is_muted"] is True
    assert api.put(f"{API}/users/them/mute/").status_code == 200
    assert Mute.objects.count() == 1
    assert api.delete(f"{API}/users/them/mute/").json()["is_muted"] is False
    assert api.delete(f"{API}/users/them/mute/").status_code == 200


@pytest.mark.parametrize(
    ("route", "message"),
    [("block", "You cannot block yourself."), ("mute", "You cannot mute yourself.")],
)
def test_api_blocking_or_muting_yourself_is_a_400_in_the_error_format(route, message):
    me = UserFactory(username="me")

    response = api_client_for(me).put(f"{API}/users/me/{route}/")

    assert response.status_code == 400
    assert response.json() == {
        "detail": message,
        "code": f"{route}_self",
        "errors": {"username": [message]},
    }


def test_api_unknown_people_are_404_and_anonymous_callers_401():
    me = UserFactory()
    UserFactory(username="them")

    assert api_client_for(me).put(f"{API}/users/nobody/block/").status_code == 404
    assert api_client_for(me).delete(f"{API}/users/nobody/mute/").status_code == 404
    assert APIClient().put(f"{API}/users/them/block/").status_code == 401
    assert APIClient().get(f"{API}/me/blocks/").status_code == 401


def test_api_my_blocks_and_mutes_are_paginated_newest_first_with_the_person():
    me = UserFactory()
    people = [UserFactory(username=f"person{i}", display_name=f"Person {i}") for i in range(3)]
    for person in people:
        block_set(blocker=me, blocked=person)
    mute_set(muter=me, muted=people[0])
    api = api_client_for(me)

    first = api.get(f"{API}/me/blocks/", {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    mutes = api.get(f"{API}/me/mutes/").json()

    assert first["count"] == 3
    listed = [row["user"]["username"] for row in first["results"] + second["results"]]
    assert listed == ["person2", "person1", "person0"]
    row = first["results"][0]
    assert set(row) == {"user", "created_at"}
    assert set(row["user"]) == {"id", "username", "display_name", "avatar"}
    assert row["user"]["display_name"] == "Person 2"
    assert [row["user"]["username"] for row in mutes["results"]] == ["person0"]
    assert api.get(f"{API}/me/blocks/", {"page": 9}).status_code == 404


def test_the_schema_states_every_status_of_the_block_and_mute_routes(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]

    for route in ("block", "mute"):
        operations = paths[f"/api/v1/users/{{username}}/{route}/"]
        for method in ("put", "delete"):
            statuses = set(operations[method]["responses"])
            assert {"200", "400", "401", "403", "404", "429"} <= statuses, (route, method)
            assert "Profile" in str(operations[method]["responses"]["200"])
    for route in ("blocks", "mutes"):
        statuses = set(paths[f"/api/v1/me/{route}/"]["get"]["responses"])
        assert {"200", "400", "401", "404", "429"} <= statuses
    profile = schema["components"]["schemas"]["Profile"]["properties"]
    assert {"is_blocked", "is_muted"} <= set(profile)
