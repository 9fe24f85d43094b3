"""Notifications in a real browser: a like, a comment and a mention each reach their person
once through a real worker, and the count in an open page follows without a reload."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from e2e.conftest import PHONE, assert_no_sideways_scroll, audit
from e2e.test_journeys import assert_not_reloaded, log_in, mark_page
from posts.models import Notification, NotificationKind
from posts.services import comment_create
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_badge_of_an_open_page_counts_a_like_a_comment_and_a_mention_without_a_reload(
    open_tab, worker_process, settings
):
    settings.NOTIFICATION_POLL_SECONDS = 1  # the page asks for its count every second
    alice = UserFactory(username="alice", display_name="Alice")
    bob = UserFactory(username="bob", display_name="Bob")
    post = PostFactory(author=alice, title="Spring walk", body="Blossom everywhere")
    worker_process("default")

    page = open_tab().page
    log_in(page, "alice")
    mark_page(page)
    badge = page.locator(".nav-main [data-unread-badge]")
    expect(badge).to_have_text("")

    # Bob, in a browser of his own, likes Alice's post; the worker tells her.
    bobs = open_tab().page
    log_in(bobs, "bob")
    bobs.goto(f"/posts/{post.pk}/")
    bobs.get_by_role("button", name=re.compile("Like")).click()
    expect(bobs.get_by_role("button", name=re.compile("Like")).first).to_have_attribute(
        "aria-pressed", "true"
    )

    expect(badge).to_have_text("1 unread", timeout=20_000)
    expect(page.get_by_role("link", name=re.compile(r"^Notifications\s*1 unread$"))).to_be_visible()
    assert_not_reloaded(page)

    # A comment that mentions her: two more (the comment, the mention).
    comment_create(post=post, author=bob, body="Lovely, @alice!")
    expect(badge).to_have_text("3 unread", timeout=20_000)
    assert_not_reloaded(page)

    page.get_by_role("link", name=re.compile("^Notifications")).click()
    lines = page.locator("li.notification")
    expect(lines).to_have_count(3)
    expect(lines.nth(0)).to_contain_text("Bob mentioned you in a comment on “Spring walk”")
    expect(lines.nth(1)).to_contain_text("Bob commented on your post “Spring walk”")
    expect(lines.nth(2)).to_contain_text("Bob liked your post “Spring walk”")
    expect(page.locator("li.notification.unread")).to_have_count(3)  # highlighted once
    expect(badge).to_have_text("")  # and read now
    audit(page)
    assert_no_sideways_scroll(page)
    kinds = sorted(Notification.objects.filter(recipient=alice).values_list("kind", "actor_count"))
    assert kinds == [
        (NotificationKind.COMMENT, 1),
        (NotificationKind.LIKE, 1),
        (NotificationKind.MENTION, 1),
    ]

    # The mention leads to the comment.
    lines.nth(0).get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/posts/{post.pk}/#comment-\d+$"))
    expect(page.get_by_role("link", name="@alice")).to_have_attribute("href", "/u/alice/")

    # Read again: nothing unread, nothing highlighted.
    page.goto("/notifications/")
    expect(page.locator("li.notification.unread")).to_have_count(0)


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_the_notifications_page_and_its_settings_pass_the_audit(open_tab, width):
    alice = UserFactory(username="alice", display_name="Alice")
    post = PostFactory(author=alice, title="A rather long title for a post about the spring walk")
    for n in range(4):
        person = UserFactory(display_name=f"Person {n}")
        Notification.objects.create(
            recipient=alice,
            kind=NotificationKind.LIKE if n % 2 else NotificationKind.FOLLOW,
            group_key=f"test:{n}",
            post=post if n % 2 else None,
            latest_actor=person,
            actor_count=n + 1,
        )
    tab = open_tab(**PHONE) if width == "phone" else open_tab()
    page = tab.page
    log_in(page, "alice")
    if width == "phone":
        tabs = page.get_by_role("navigation", name="Tabs")
        expect(tabs.locator("[data-unread-badge]")).to_have_text("4 unread")

    page.goto("/notifications/")
    expect(page.locator("li.notification.unread")).to_have_count(4)
    audit(page)
    assert_no_sideways_scroll(page)

    page.goto("/settings/notifications/")
    page.get_by_label("Like on your post").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your notification settings are saved.")).to_be_visible()
    expect(page.get_by_label("Like on your post")).not_to_be_checked()
    audit(page)
    assert_no_sideways_scroll(page)
