"""Every page, at a phone's and a laptop's width, on the demo data: axe-core finds no serious
or critical violation, nothing scrolls sideways (from 320px), and the README's screenshots
are taken here (docs/screenshots/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count
from playwright.sync_api import expect

from accounts.models import Follow, Invitation, User
from accounts.services import block_set, mute_set
from e2e.conftest import DESKTOP, PHONE, assert_no_sideways_scroll, audit
from posts.models import Comment, Post

pytestmark = pytest.mark.django_db(transaction=True)

DOCS_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
DEMO_PASSWORD = "demo-password-1234"  # posts.management.commands.seed_demo.PASSWORD
NARROWEST = {**PHONE, "viewport": {"width": 320, "height": 640}}
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
IMAGES_ON_SCREEN_LOADED = """Array.from(document.images).every(image => {
    const box = image.getBoundingClientRect();
    const onScreen = box.width > 0 && box.bottom > 0 && box.top < innerHeight;
    return !onScreen || (image.complete && image.naturalWidth > 0);
})"""


@pytest.fixture
def demo(settings):
    """A small `seed_demo`: people with avatars, posts (some with drawn photos), follows,
    likes and comments, processed by the media job's own code."""
    settings.RATELIMIT_ENABLE = False
    call_command(
        "seed_demo",
        users=12,
        posts=80,
        likes=300,
        follows=50,
        comments=60,
        photo_posts=8,
        force=True,
        verbosity=0,
    )
    me = "demo_1"
    own_post = Post.objects.filter(author__username=me).latest("created_at")
    photo_post = Post.objects.annotate(n=Count("photos")).filter(n__gte=2).latest("created_at")
    own_comment = Comment.objects.filter(author__username=me).first() or Comment.objects.create(
        post=photo_post, author=own_post.author, body="What a view!"
    )
    other = photo_post.author.username if photo_post.author.username != me else "demo_2"
    invitation = Invitation.objects.create(
        inviter=User.objects.get(username=me), email="newcomer@example.com", token="e2e-invite"
    )
    # Someone demo_1 blocked (their profile page offers to unblock) and someone they muted,
    # both new and without posts, so the feed and suggestions on the screenshots stay as they are.
    me_user = User.objects.get(username=me)
    blocked = User.objects.create_user("blocked_person", "blocked@example.com", DEMO_PASSWORD)
    muted = User.objects.create_user("muted_person", "muted@example.com", DEMO_PASSWORD)
    Follow.objects.create(follower=me_user, followee=muted)
    block_set(blocker=me_user, blocked=blocked)
    mute_set(muter=me_user, muted=muted)
    return {
        "me": me,
        "other": other,
        "photo_post": photo_post,
        "pages": [
            "/",
            "/?before=" + own_post.created_at.isoformat(),  # an older page of the feed
            "/people/",
            "/people/?q=demo",
            "/people/?q=nobody-by-that-name",
            f"/u/{other}/",
            f"/u/{other}/followers/",
            f"/u/{other}/following/",
            f"/u/{me}/",
            f"/u/{me}/likes/",
            "/posts/new/",
            f"/posts/{photo_post.pk}/",
            f"/posts/{photo_post.pk}/photos/1/",
            f"/posts/{own_post.pk}/edit/",
            f"/posts/{own_post.pk}/delete/",
            f"/comments/{own_comment.pk}/edit/",
            f"/comments/{own_comment.pk}/delete/",
            "/likes/",
            "/bookmarks/",
            "/settings/",
            "/settings/password/",
            "/settings/tokens/",
            "/settings/delete/",
            "/settings/blocked/",
            "/settings/muted/",
            "/u/blocked_person/",
            f"/u/{other}/block/",
            "/invite/",
            "/no-such-page/",
        ],
        "anonymous_pages": [
            "/login/",
            "/signup/",
            f"/signup/?invite={invitation.token}",
            f"/invite/unsubscribe/{invitation.token}/",
            "/settings/delete/done/",
            "/password-reset/",
            "/password-reset/sent/",
            "/password-reset/MQ/not-a-token/",
            f"/u/{other}/",
            f"/posts/{photo_post.pk}/",
        ],
    }


def log_in_as(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Signed in: "New post" shows (the top bar's or the tab bar's, by the width; both for a
    # moment while the stylesheet arrives).
    expect(page.get_by_role("link", name="New post").first).to_be_visible()


def wait_for_images(page) -> None:
    """Until every photo and avatar on screen has loaded (page.evaluate, polled: the function
    wait_for_function evaluates a string, which the Content-Security-Policy refuses)."""
    for _ in range(100):
        if page.evaluate(IMAGES_ON_SCREEN_LOADED):
            return
        page.wait_for_timeout(100)
    missing = page.evaluate(
        "Array.from(document.images).filter(image => !image.complete).map(image => image.src)"
    )
    raise AssertionError(f"images on {page.url} did not load: {missing}")


def visit(page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")  # the photos' blurhash painted, times rewritten


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_every_page_passes_axe_and_fits_the_width(open_tab, demo, width):
    anonymous = open_tab(**WIDTHS[width]).page
    for path in demo["anonymous_pages"]:
        visit(anonymous, path)
        audit(anonymous)
        assert_no_sideways_scroll(anonymous)
    # A form answered with its errors, each beside its field.
    visit(anonymous, "/signup/")
    anonymous.get_by_role("button", name="Sign up").click()
    expect(anonymous.locator("[aria-invalid=true]").first).to_be_visible()
    audit(anonymous)

    page = open_tab(**WIDTHS[width]).page
    log_in_as(page, demo["me"])
    for path in demo["pages"]:
        visit(page, path)
        audit(page)
        assert_no_sideways_scroll(page)

    # The open menu (phone and desktop) and the photo viewer over the feed are pages too.
    visit(page, f"/posts/{demo['photo_post'].pk}/")
    page.locator(".menu summary").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    audit(page)
    page.locator(".menu summary").click()
    page.locator(".photo-grid a").first.click()
    expect(page.locator("dialog.photo-dialog")).to_be_visible()
    audit(page)


def test_no_page_scrolls_sideways_at_320_pixels(open_tab, demo):
    anonymous = open_tab(**NARROWEST).page
    for path in demo["anonymous_pages"]:
        visit(anonymous, path)
        assert_no_sideways_scroll(anonymous)
    page = open_tab(**NARROWEST).page
    log_in_as(page, demo["me"])
    for path in demo["pages"]:
        visit(page, path)
        assert_no_sideways_scroll(page)


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_screenshots_of_the_main_pages_on_the_demo_data(open_tab, demo, width):
    """The pictures in the README: the feed, a post with photos, a profile."""
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = open_tab(**WIDTHS[width]).page
    log_in_as(page, demo["me"])
    shots = {
        "feed": "/",
        "post": f"/posts/{demo['photo_post'].pk}/",
        "profile": f"/u/{demo['other']}/",
    }
    for name, path in shots.items():
        visit(page, path)
        # Every photo and avatar on screen has loaded: the picture shows them, not their
        # placeholders.
        wait_for_images(page)
        expect(page.locator("main img.avatar").first).to_be_visible()
        path = DOCS_SCREENSHOTS / f"{name}-{width}.png"
        if name == "feed":  # from the first card with photos, just under the top bar
            page.evaluate(
                "window.scrollTo(0, document.querySelector('article:has(.photo-grid)')"
                ".getBoundingClientRect().top + scrollY - 72)"
            )
            wait_for_images(page)
        page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000
