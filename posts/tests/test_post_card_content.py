"""What a post card shows the same to everyone: times, long texts, and what its cache key covers."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import RequestContext, engines
from django.test.signals import template_rendered
from django.utils import timezone

from accounts.tests.factories import FollowFactory, UserFactory
from media.models import Media
from posts import cards
from posts.selectors import posts_load
from posts.services import comment_create
from posts.templatetags import post_text
from posts.tests.factories import PostFactory
from posts.tests.test_photo_viewer import add_photo

pytestmark = pytest.mark.django_db

MOMENT = datetime(2025, 3, 4, 15, 4, 5, tzinfo=UTC)
LONG = "A sentence that goes on for a while. " * 20  # 740 characters


def feed(client, reader) -> str:
    client.force_login(reader)
    return client.get("/").content.decode()


def reader_of(post):
    reader = UserFactory()
    FollowFactory(follower=reader, followee=post.author)
    return reader


def test_a_card_shows_the_exact_time_for_scripts_to_say_how_long_ago(client, settings):
    settings.TIME_ZONE = "Europe/Paris"
    post = PostFactory(created_at=MOMENT)

    html = feed(client, reader_of(post))

    # Machine-readable in UTC; read in the site's time zone (UTC+1 in March), as Django formats.
    time = re.search(r"<time [^>]*>[^<]*</time>", html).group(0)
    assert 'datetime="2025-03-04T15:04:05Z"' in time
    assert 'title="March 4, 2025, 4:04 p.m. (CET)"' in time
    assert ">March 4, 2025, 4:04 p.m.</time>" in time
    assert "data-relative" in time


def test_comments_show_their_time_the_same_way(client):
    post = PostFactory()
    comment = comment_create(post=post, author=UserFactory(), body="Nice")
    type(comment).objects.filter(pk=comment.pk).update(created_at=MOMENT)

    client.force_login(UserFactory())
    html = client.get(f"/posts/{post.pk}/").content.decode()

    comment_html = re.search(r'<li class="comment".*?</li>', html, re.S).group(0)
    assert '<time datetime="2025-03-04T15:04:05Z" title="March 4, 2025, 3:04 p.m. (UTC)"' in (
        comment_html
    )


def test_a_long_text_is_cut_short_on_cards_with_more_leading_to_the_post(client):
    post = PostFactory(body=LONG)

    html = feed(client, reader_of(post))

    assert f'<div class="post-body clamped" id="post-{post.pk}-body">' in html
    more = f'<a class="post-more" href="/posts/{post.pk}/" aria-controls="post-{post.pk}-body">more'
    assert more in html
    assert LONG.strip() in html  # all there: scripts open it in place


def test_many_short_lines_are_cut_short_too():
    assert post_text.is_long_text("line\n" * 8 + "ninth")
    assert not post_text.is_long_text("line\n" * 7 + "eighth")
    assert not post_text.is_long_text("x" * 600)
    assert post_text.is_long_text("x" * 601)


def test_a_short_text_has_no_more(client):
    post = PostFactory(body="Short and sweet.\nTwo lines.")

    html = feed(client, reader_of(post))

    assert 'class="post-body">Short and sweet.' in html
    assert "clamped" not in html
    assert "post-more" not in html


def test_the_posts_own_page_shows_a_long_text_in_full(client):
    post = PostFactory(body=LONG)
    client.force_login(UserFactory())

    html = client.get(f"/posts/{post.pk}/").content.decode()

    assert f'<div class="post-body">{LONG.strip()}' in html
    assert "clamped" not in html
    assert "post-more" not in html


def test_the_same_post_cached_on_cards_still_shows_in_full_on_its_page(client):
    post = PostFactory(body=LONG)
    reader = reader_of(post)
    assert "post-more" in feed(client, reader)  # now in the cache

    assert "post-more" not in client.get(f"/posts/{post.pk}/").content.decode()
    assert "post-more" in feed(client, reader)


def test_every_template_a_card_content_is_drawn_from_is_part_of_its_cache_key(rf):
    """A template left out of cards.CONTENT_TEMPLATES would keep old markup after a change."""
    author = UserFactory()
    post = PostFactory(author=author, body=LONG, edited_at=timezone.now())
    for position in range(5):
        add_photo(post, position)
    add_photo(post, 5, status=Media.Status.PROCESSING)
    add_photo(post, 6, status=Media.Status.FAILED)
    few = PostFactory(author=author)
    add_photo(few, 0, status=Media.Status.PROCESSING)
    add_photo(few, 1, status=Media.Status.FAILED)
    add_photo(few, 2)
    single = PostFactory(author=author)
    add_photo(single, 0)
    request = rf.get("/")
    request.user = author
    posts = posts_load(ids=[post.pk, few.pk, single.pk], viewer=author)
    template = engines["django"].from_string("{% load post_cards %}{% post_cards posts %}")
    context = RequestContext(request, {"posts": posts})
    drawn = []

    def record(sender, template, **kwargs):
        drawn.append(template.name)

    template_rendered.connect(record)
    try:
        with context.bind_template(template.template):
            for shown in posts:
                cards._render_content(context, shown)
    finally:
        template_rendered.disconnect(record)

    assert set(drawn) == set(cards.CONTENT_TEMPLATES)


def test_a_new_limit_for_long_texts_is_a_new_cache_key(monkeypatch, rf):
    request = rf.get("/")
    request.user = AnonymousUser()
    engine = engines["django"].engine
    before = cards._content_version(engine)

    monkeypatch.setattr(post_text, "LONG_TEXT_CHARACTERS", 300)

    assert cards._content_version(engine) != before
