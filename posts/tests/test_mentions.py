"""@username in posts and comments: found as people type them, linked to the profile when such
an active person exists, escaped like the rest of the text, and part of a cached card's key."""

import pytest
from django.core.cache import cache

from accounts.models import User
from accounts.tests.factories import UserFactory
from posts.mentions import MAX_MENTIONS, mentioned_names, mentions_in
from posts.selectors import mentions_resolve
from posts.templatetags.post_text import linkify
from posts.tests.factories import CommentFactory, PostFactory

pytestmark = pytest.mark.django_db


def names(text: str) -> list[str]:
    return [mention.token for mention in mentions_in(text)]


def test_mentions_are_found_where_a_person_types_them():
    assert names("@alice, hi @Bob. (@carol) «@dan» 'x' @eve's") == [
        "alice",
        "Bob.",
        "carol",
        "dan",
        "eve",
    ]
    # No mention inside a word, an email address or a link.
    assert names("mail bob@example.com or https://example.com/@bob or a@b") == []
    # A username may hold . @ + - too: all kept, the longest existing name wins later.
    assert mentioned_names("@a.b-c+d@e.") == {"a.b-c+d@e.", "a.b-c+d@e"}


def test_at_most_twenty_people_in_one_text():
    text = " ".join(f"@person{n}" for n in range(30)) + " @person0"
    found = {mention.token for mention in mentions_in(text)}
    assert len(found) == MAX_MENTIONS
    assert "person25" not in found


def test_only_active_people_are_resolved_in_one_query(django_assert_num_queries):
    UserFactory(username="Alice")
    UserFactory(username="gone", is_active=False)

    with django_assert_num_queries(1):
        found = mentions_resolve(["@alice and @gone", "@ALICE @nobody"])
    with django_assert_num_queries(0):
        assert mentions_resolve(["no names"]) == {}

    assert found == {"alice": "Alice"}


def test_linkify_links_a_mention_to_the_profile_and_escapes_everything_else():
    html = linkify(
        '<script>alert("hi")</script> "@bob" Hi @Bob & @nobody, see https://example.com/?a=1&b=<i>',
        {"bob": "bob"},
    )

    assert '<a class="mention" href="/u/bob/">@Bob</a> &amp; @nobody' in html
    assert "&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt;" in html
    assert '&quot;<a class="mention" href="/u/bob/">@bob</a>&quot;' in html
    assert "<script" not in html
    assert "<i>" not in html
    assert 'href="https://example.com/?a=1&amp;b=%3Ci%3E">' in html


def test_linkify_leaves_trailing_punctuation_out_of_the_link():
    html = linkify("Thanks @dot.ted. And @dot.ted.!", {"dot.ted": "dot.ted"})

    assert html == (
        'Thanks <a class="mention" href="/u/dot.ted/">@dot.ted</a>. '
        'And <a class="mention" href="/u/dot.ted/">@dot.ted</a>.!'
    )


def test_linkify_without_people_is_plain_escaped_text():
    assert linkify("@bob <b>", None) == "@bob &lt;b&gt;"
    assert linkify("@bob <b>") == "@bob &lt;b&gt;"


def test_post_and_comment_pages_link_mentions_of_real_people_only(client):
    UserFactory(username="bob")
    UserFactory(username="gone", is_active=False)
    post = PostFactory(body="Hello @bob and @gone <img src=x onerror=alert(1)>")
    CommentFactory(post=post, body="@BOB look <b>here</b>, and @nobody")

    html = client.get(f"/posts/{post.pk}/").content.decode()

    assert html.count('<a class="mention" href="/u/bob/">') == 2
    assert '<a class="mention" href="/u/bob/">@BOB</a> look &lt;b&gt;here&lt;/b&gt;' in html
    assert "@gone &lt;img src=x onerror=alert(1)&gt;" in html
    assert "/u/gone/" not in html
    assert "/u/nobody/" not in html


def test_a_cached_card_links_a_mention_once_the_person_exists(client):
    cache.clear()
    me = UserFactory()
    PostFactory(author=me, title="Hi", body="Welcome @newcomer!")
    client.force_login(me)

    before = client.get("/").content.decode()
    assert "@newcomer!" in before
    assert "/u/newcomer/" not in before

    newcomer = UserFactory(username="newcomer")
    after = client.get("/").content.decode()
    assert '<a class="mention" href="/u/newcomer/">@newcomer</a>!' in after

    User.objects.filter(pk=newcomer.pk).update(is_active=False)
    assert "/u/newcomer/" not in client.get("/").content.decode()


def test_feed_with_mentions_takes_one_query_more_whatever_their_number(
    client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    me = UserFactory()
    client.force_login(me)
    PostFactory(author=me)
    client.get("/")  # the suggestions beside the posts are drawn once, then kept
    counts = []
    for posts in (2, 12):
        for n in range(posts):
            UserFactory(username=f"named{posts}x{n}")
            PostFactory(author=me, body=f"Hi @named{posts}x{n} and @someone{n}")
        with CaptureQueriesContext(connection) as queries:
            client.get("/")
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_a_username_with_every_allowed_sign_links_to_its_profile():
    html = linkify("cc @x+y@z.w-1: done", {"x+y@z.w-1": "X+y@z.w-1"})

    assert html == 'cc <a class="mention" href="/u/X+y@z.w-1/">@x+y@z.w-1</a>: done'
