"""Feed performance: cached post contents stay right per viewer; the link fast path is exact."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from django.utils.html import escape, urlize
from django.utils.safestring import mark_safe

from accounts.tests.factories import FollowFactory, UserFactory, api_client_for
from friends_site.embedded_redis import free_port
from media.models import Media
from posts import cards
from posts.models import PostPhoto
from posts.services import bookmark_set, like_set, post_update
from posts.templatetags.post_text import linkify
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def feed(client, user) -> str:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def card(html: str, post) -> str:
    """The markup of one post's card on a page."""
    match = re.search(rf'<article class="card post" id="post-{post.pk}">.*?</article>', html, re.S)
    assert match, f"post {post.pk} is not on the page"
    return match.group(0)


def photo_of(post, **fields) -> Media:
    media = Media.objects.create(owner=post.author, attached_at=timezone.now(), **fields)
    PostPhoto.objects.create(post=post, media=media)
    return media


@pytest.fixture
def reader_and_post():
    author, reader = UserFactory(display_name="Ann Author"), UserFactory()
    FollowFactory(follower=reader, followee=author)
    return reader, PostFactory(author=author, title="First title", body="First text")


def test_a_second_view_takes_the_cards_from_the_cache(client, reader_and_post, monkeypatch):
    reader, post = reader_and_post
    first = feed(client, reader)
    renders = []
    original = cards._render_content
    monkeypatch.setattr(cards, "_render_content", lambda *a: renders.append(1) or original(*a))

    second = feed(client, reader)

    assert renders == []
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')  # masked anew per response
    assert token.sub("", card(second, post)) == token.sub("", card(first, post))


def test_a_post_edited_after_being_cached_shows_the_new_text(client, reader_and_post):
    reader, post = reader_and_post
    assert "First text" in feed(client, reader)

    post_update(post=post, editor=post.author, title="Second title", body="Second text")

    html = card(feed(client, reader), post)
    assert "Second title" in html
    assert "Second text" in html
    assert "edited" in html
    assert "First text" not in html


def test_a_new_display_name_shows_on_cards_already_cached(client, reader_and_post):
    reader, post = reader_and_post
    assert "Ann Author" in feed(client, reader)
    post.author.display_name = "Ann Renamed"
    post.author.save(update_fields=["display_name"])

    html = card(feed(client, reader), post)

    assert "Ann Renamed" in html
    assert "Ann Author" not in html


def test_the_liked_flag_is_per_viewer_even_when_the_card_is_cached(client, reader_and_post):
    liker, post = reader_and_post
    other = UserFactory()
    FollowFactory(follower=other, followee=post.author)
    like_set(user=liker, post=post)

    liker_card = card(feed(client, liker), post)  # fills the cache
    other_card = card(feed(client, other), post)

    assert 'aria-pressed="true">♥ <span>Liked</span>' in liker_card
    assert 'aria-pressed="false">♥ <span>Like</span>' in other_card
    assert "<span>Liked</span>" not in other_card
    # Toggles carry each viewer's own CSRF token; only the author may edit.
    assert "/edit/" not in other_card
    assert "/edit/" in card(feed(client, post.author), post)


def test_a_photo_still_processing_shows_only_to_its_owner_with_cached_cards(
    client, reader_and_post
):
    reader, post = reader_and_post
    photo_of(post, status=Media.Status.PROCESSING, width=64, height=48)

    assert "Processing photo" in card(feed(client, post.author), post)
    assert "Processing photo" not in card(feed(client, reader), post)
    assert "Processing photo" in card(feed(client, post.author), post)


def test_a_new_photo_description_shows_on_a_card_already_cached(client, reader_and_post):
    reader, post = reader_and_post
    variant = {"name": "media/x/display.jpg", "width": 640, "height": 480}
    media = photo_of(
        post,
        status=Media.Status.DONE,
        width=640,
        height=480,
        alt_text="A red door",
        variants={"display": variant, "thumbnail": variant},
    )
    assert 'alt="A red door"' in card(feed(client, reader), post)
    media.alt_text = "A blue door"
    media.save(update_fields=["alt_text"])

    html = card(feed(client, reader), post)

    assert 'alt="A blue door"' in html
    assert "red door" not in html


def test_the_feed_renders_when_the_cache_is_down(client, reader_and_post, settings):
    reader, post = reader_and_post
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        }
    }
    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the client raises
        cache.get_many(["probe"])

    html = card(feed(client, reader), post)

    assert "First title" in html
    assert "First text" in html
    assert "<span>Like</span>" in html


def test_api_feed_pages_forward_and_back_load_whole_posts_in_order():
    me = UserFactory()
    start = timezone.now() - timedelta(days=1)
    posts = [PostFactory(author=me, created_at=start + timedelta(minutes=i)) for i in range(7)]
    newest_first = [p.pk for p in reversed(posts)]
    like_set(user=me, post=posts[3])
    bookmark_set(user=me, post=posts[2])
    like_set(user=UserFactory(), post=posts[2])  # someone else's like is not mine
    api = api_client_for(me)

    first = api.get("/api/v1/feed/", {"page_size": 3}).json()
    second = api.get(first["next"]).json()
    back = api.get(second["previous"]).json()

    assert [p["id"] for p in first["results"]] == newest_first[:3]
    assert [p["id"] for p in second["results"]] == newest_first[3:6]
    assert [p["id"] for p in back["results"]] == newest_first[:3]
    liked = [p for p in second["results"] if p["is_liked"]]
    assert [p["id"] for p in liked] == [posts[3].pk]
    bookmarked = [p["id"] for p in second["results"] if p["is_bookmarked"]]
    assert bookmarked == [posts[2].pk]
    assert liked[0]["author"]["username"] == me.username
    assert liked[0]["title"] == posts[3].title


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain words, nothing else",
        "<script>alert('x')</script> & \"quotes\"",
        "see https://example.org/a?b=1&c=2.",
        "HTTP://EXAMPLE.ORG and hTtPs://x.io",
        "www.example.io or WWW.Example.io",
        "mail me: someone@example.net",
        "a bare Example.COM, example.org/path and example.edu.",
        "(example.net)",
        "ftp://files.example.io",
        "ratio 3:4 at 10:30, file.txt, e.g. this",
        "ı.com ſtuff.org",
        "no link in www or com or @ alone",
    ],
)
def test_linkify_gives_what_urlize_gives(text):
    reference = urlize(escape(text), trim_url_limit=60, nofollow=False, autoescape=False)
    reference = reference.replace("<a href=", '<a target="_blank" rel="nofollow noopener" href=')

    assert linkify(text) == mark_safe(reference)


@pytest.mark.parametrize("signed_in", [True, False], ids=["staff", "anonymous"])
def test_cards_filled_in_from_stamps_equal_cards_drawn_one_by_one(rf, signed_in):
    """posts/cards.py draws the card frame and actions once per state and fills in numbers;
    that must give exactly what the templates give when each card is drawn on its own."""
    from django.contrib.auth.models import AnonymousUser, Permission
    from django.template import RequestContext, engines
    from django.template.loader import get_template

    from posts.selectors import posts_load
    from posts.services import comment_create

    me = UserFactory(is_staff=True)
    me.user_permissions.add(Permission.objects.get(codename="delete_post"))
    mine, others = PostFactory(author=me), PostFactory.create_batch(4)
    like_set(user=me, post=others[0])
    bookmark_set(user=me, post=others[1])
    comment_create(post=others[2], author=me, body="One")
    for body in ("One", "Two"):
        comment_create(post=others[3], author=UserFactory(), body=body)
    for _ in range(12):
        like_set(user=UserFactory(), post=others[3])
    posts = posts_load(ids=[mine.pk] + [post.pk for post in others], viewer=me)
    request = rf.get("/u/someone/?page=1234567890&x=<b>")  # digits and markup in the address
    request.user = me if signed_in else AnonymousUser()
    template = engines["django"].from_string("{% load post_cards %}{% post_cards posts %}")
    context = RequestContext(request, {"posts": posts})

    with context.bind_template(template.template):
        stamped = str(cards.render_cards(context, posts, cached=False))
        card_template = get_template("posts/_post_card.html").template
        one_by_one = []
        for post in posts:
            content = cards._render_content(context, post)
            with context.push(
                post=post,
                content=content,
                can_edit=signed_in and post.author_id == me.pk,
                can_delete=signed_in,  # the author, or staff with the permission
            ):
                one_by_one.append(card_template.render(context))

    assert stamped == "\n".join(one_by_one)
    if signed_in:  # each toggle sends the person back here
        assert stamped.count('value="/u/someone/?page=1234567890&amp;x=') == 2 * len(posts)
