"""The lists of suggestions on the feed's side and the people page (accounts.suggestion_box):
kept a minute per person, forgotten on the person's own follows, blocks and dismissals, with
each page's own CSRF token and address filled in."""

import re
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import suggestion_box
from accounts.models import User
from accounts.selectors import suggestion_boxes_key
from accounts.services import block_set, suggestion_dismiss
from accounts.suggestion_box import SUGGESTION_BOX_SECONDS
from accounts.tests.factories import FollowFactory, UserFactory
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """me follows friend, who posted and follows `Suggested Person`."""
    me, friend = UserFactory(username="me"), UserFactory(username="friend")
    suggested = UserFactory(username="suggested", display_name="Suggested Person")
    FollowFactory(follower=me, followee=friend)
    FollowFactory(follower=friend, followee=suggested)
    PostFactory(author=friend, title="A post in the feed")
    return {"me": me, "friend": friend, "suggested": suggested}


def _aside(html: str) -> str:
    return re.search(r'<aside class="page-aside".*?</aside>', html, re.S).group(0)


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _feed(client, path="/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def _people_list(html: str) -> str:
    return re.search(r"<main.*?</main>", html, re.S).group(0)


PAGES = [("/", _aside), ("/people/", _people_list)]


@pytest.mark.parametrize(("path", "part"), PAGES)
def test_the_list_is_kept_and_drawn_again_without_the_suggestion_queries(client, world, path, part):
    client.force_login(world["me"])
    with CaptureQueriesContext(connection) as first:
        first_list = part(_feed(client, path))
    with CaptureQueriesContext(connection) as again:
        again_list = part(_feed(client, path))

    assert "Suggested Person" in again_list
    assert _without_tokens(again_list) == _without_tokens(first_list)  # tokens: masked anew
    assert len(again) < len(first)
    # Only the suggestion queries read the dismissals.
    assert [q for q in first.captured_queries if "suggestiondismissal" in q["sql"]]
    assert not [q for q in again.captured_queries if "suggestiondismissal" in q["sql"]]
    key = cache.make_and_validate_key(suggestion_boxes_key(world["me"].pk))
    assert 0 < cache._cache.get_client(key).ttl(key) <= SUGGESTION_BOX_SECONDS


def test_someone_who_left_is_gone_once_the_list_is_a_minute_old(client, world, monkeypatch):
    client.force_login(world["me"])
    assert "Suggested Person" in _aside(_feed(client))
    # Leaving changes nobody else's follows: the kept list shows them until it is redrawn.
    User.objects.filter(pk=world["suggested"].pk).update(is_active=False)
    assert "Suggested Person" in _aside(_feed(client))

    later = time.time() + SUGGESTION_BOX_SECONDS + 1
    monkeypatch.setattr(suggestion_box.time, "time", lambda: later)

    assert "Suggested Person" not in _aside(_feed(client))


@pytest.mark.parametrize(("path", "part"), PAGES)
@pytest.mark.parametrize("action", ["follow", "dismiss", "block"])
def test_the_persons_own_follow_dismiss_or_block_shows_at_once(client, world, action, path, part):
    me, suggested = world["me"], world["suggested"]
    client.force_login(me)
    assert "Suggested Person" in part(_feed(client, path))  # kept now

    if action == "follow":
        client.post(f"/u/{suggested.username}/follow/", {"action": "set"})
    elif action == "dismiss":
        suggestion_dismiss(user=me, dismissed=suggested)
    else:
        block_set(blocker=suggested, blocked=me)  # blocked by them: forgotten for both

    assert "Suggested Person" not in part(_feed(client, path))


def test_a_kept_column_carries_this_requests_csrf_token_and_address(world):
    me = world["me"]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(me)
    _feed(browser)  # drawn and kept with the first session's token
    browser.logout()
    browser.force_login(me)  # a new session: a new CSRF secret

    html = _feed(browser, "/?before=")
    aside = _aside(html)
    assert "\ue000" not in html  # no marker left unfilled
    assert 'name="next" value="/?before="' in aside
    form = re.search(r'<form method="post" action="(/u/suggested/follow/)".*?</form>', aside, re.S)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0)).group(1)
    response = browser.post(form.group(1), {"csrfmiddlewaretoken": token, "action": "set"})

    assert response.status_code == 302  # the token is this session's: no 403
    assert me.following_set.filter(followee=world["suggested"]).exists()


def test_each_language_has_its_own_column(client, world):
    client.force_login(world["me"])
    english = _aside(_feed(client))
    User.objects.filter(pk=world["me"].pk).update(language="ko")

    korean = _aside(_feed(client))

    assert "People you may know" in english
    assert "People you may know" not in korean
    assert "Suggested Person" in korean


def test_the_column_is_drawn_for_the_page_with_the_cache_down(client, world, monkeypatch):
    client.force_login(world["me"])

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    for method in ("get", "get_many", "set", "set_many", "delete_many"):
        monkeypatch.setattr(cache, method, down)

    assert "Suggested Person" in _aside(_feed(client))


def test_no_column_without_suggestions(client):
    me, friend = UserFactory(), UserFactory()
    FollowFactory(follower=me, followee=friend)
    PostFactory(author=friend)
    client.force_login(me)

    assert "aside-suggestions" not in _aside(_feed(client))
