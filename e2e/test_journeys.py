"""The journeys a person takes, in a real browser against the live server and real workers."""

import io
import re

import pytest
from django.core import mail
from PIL import Image
from playwright.sync_api import expect

from accounts.models import EmailDelivery, Follow, User
from accounts.tests.factories import PASSWORD, UserFactory
from e2e.conftest import PHONE, assert_no_sideways_scroll, audit
from media.models import Media
from posts.models import Post
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Signed in: "New post" shows (the top bar's or the tab bar's, by the width; both for a
    # moment while the stylesheet arrives).
    expect(page.get_by_role("link", name="New post").first).to_be_visible()


def mark_page(page) -> None:
    """Mark the loaded document: a reload or a navigation loses the mark."""
    page.evaluate("window.stillTheSamePage = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.stillTheSamePage === true"), "the page was reloaded"


def jpeg_bytes(width: int = 1600, height: int = 1200) -> bytes:
    image = Image.new("RGB", (width, height))
    for x in range(0, width, 100):  # stripes, so the photo is visibly a photo
        image.paste((30 + x % 200, 90, 160), (x, 0, x + 50, height))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def test_sign_up_lands_on_an_empty_feed_with_suggestions_and_gets_a_welcome_email(
    page, screenshot, run_worker
):
    UserFactory(username="alice", display_name="Alice Liddell")
    page.goto("/")
    page.get_by_role("main").get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill("Newcomer")
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Display name").fill("New Comer")
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("link", name="New Comer")).to_be_visible()  # logged in
    expect(page.get_by_text("Alice Liddell").first).to_be_visible()  # suggested instead of a feed
    screenshot("empty-feed")

    user = User.objects.get(username="Newcomer")
    assert EmailDelivery.objects.get(user=user).status == EmailDelivery.Status.PENDING
    run_worker()
    assert [message.to for message in mail.outbox] == [["newcomer@example.com"]]
    assert EmailDelivery.objects.get(user=user).status == EmailDelivery.Status.DONE


def test_sign_up_with_a_taken_name_explains_and_keeps_what_was_typed(page):
    UserFactory(username="alice")
    page.goto("/signup/")
    page.get_by_label("Username").fill("ALICE")
    page.get_by_label("Email").fill("another@example.com")
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_text("A user with that username already exists.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("another@example.com")
    assert User.objects.count() == 1


def test_follow_post_a_photo_that_turns_ready_without_reload_and_like_it(
    page, screenshot, worker_process
):
    alice = UserFactory(username="alice", display_name="Alice")
    bob = UserFactory(username="bob", display_name="Bob Builder")
    PostFactory(author=bob, title="Bob's first post", body="See https://example.com/page")
    worker_process("media", "default")
    log_in(page, "alice")

    # Follow Bob from his profile: the button flips in place, the count follows (no reload).
    page.goto("/u/bob/")
    mark_page(page)
    page.get_by_role("button", name="Follow").click()
    expect(page.get_by_role("button", name="Following")).to_be_visible()
    expect(page.locator("#profile-followers")).to_have_text("1")
    assert_not_reloaded(page)
    assert Follow.objects.filter(follower=alice, followee=bob).exists()

    # Bob's post is in Alice's feed, its link clickable and safe.
    page.goto("/")
    expect(page.get_by_text("Bob's first post")).to_be_visible()
    link = page.get_by_role("link", name="https://example.com/page")
    expect(link).to_have_attribute("rel", re.compile("nofollow"))

    # Post with a photo: the page answers at once; the photo appears when the worker is done.
    page.goto("/posts/new/")
    page.get_by_label("Title").fill("Sunset at the lake")
    page.get_by_label("Text").fill("What a <b>view</b>")
    page.locator("input[type=file]").set_input_files(
        {"name": "lake.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}
    )
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Sunset at the lake").first).to_be_visible()
    expect(page.get_by_text("What a <b>view</b>").first).to_be_visible()  # shown as text
    photo = page.locator("article img.media-image, article .post-media img").first
    expect(photo).to_be_visible(timeout=20_000)
    post = Post.objects.get(title="Sunset at the lake")
    assert post.photos.get().status == Media.Status.DONE
    screenshot("post-with-photo")

    # Like and bookmark Bob's post: the toggles and the count change without a reload.
    page.goto("/")
    mark_page(page)
    card = page.locator("article", has_text="Bob's first post")
    card.get_by_role("button", name=re.compile("Like")).click()
    expect(card.get_by_role("button", name=re.compile("Liked"))).to_be_visible()
    expect(card.get_by_role("button", name=re.compile("Liked"))).to_contain_text("1")
    card.get_by_role("button", name="Bookmark").click()
    expect(card.get_by_role("button", name="Bookmarked")).to_be_visible()
    assert_not_reloaded(page)
    assert Post.objects.get(title="Bob's first post").like_count == 1
    screenshot("feed")


def test_a_file_that_is_not_an_image_is_refused_with_a_clear_message(page):
    UserFactory(username="alice")
    log_in(page, "alice")
    page.goto("/posts/new/")
    page.get_by_label("Title").fill("Not a photo")
    page.locator("input[type=file]").set_input_files(
        {"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"<html>hello</html>"}
    )
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Not a photo")
    assert not Post.objects.exists()


def test_staff_pages_and_the_api_docs_keep_to_their_content_security_policy(page):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    log_in(page, "boss")

    for path in ("/admin/", "/admin/media/media/", "/admin/rq/", "/api/v1/docs/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    expect(page.locator(".opblock").first).to_be_visible()  # Swagger UI drew the operations


def test_the_api_docs_render_with_no_request_leaving_the_machine(page, live_server):
    site = f"{live_server.url}/"  # http://localhost:<port>/
    requested = []

    def keep_local(route):
        # Recorded, and anything bound elsewhere refused: nothing leaves even if the test fails.
        requested.append(route.request.url)
        if route.request.url.startswith(site):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", keep_local)
    page.goto("/api/v1/docs/")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/feed/")).to_be_visible()
    # Opening an operation draws its parameters, responses and models too.
    page.locator(".opblock-summary", has_text="/api/v1/posts/").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    page.wait_for_load_state("networkidle")

    assert operations.count() > 20
    assert f"{live_server.url}/api/v1/schema/" in requested
    assert [url for url in requested if not url.startswith(site)] == []


# --- The whole journey, with JavaScript and without, on a laptop and on a phone ---------------

JOURNEYS = {
    "desktop": {},
    "desktop-no-javascript": {"java_script_enabled": False},
    "phone": PHONE,
}


def checked(page, path: str | None = None) -> None:
    """Go to `path` (or stay), then check the page as every page is checked: axe-core finds
    no serious or critical violation, and nothing scrolls sideways. Both run scripts in the
    page, so a tab with JavaScript off is checked by its twin journeys with it on."""
    if path:
        page.goto(path)
    page.wait_for_load_state("networkidle")
    if page.javascript_enabled:
        audit(page)
        assert_no_sideways_scroll(page)


def log_out(page) -> None:
    page.locator(".menu summary").click()  # the menu: a <details>, open with or without JS
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Log in")).to_be_visible()


def test_log_out_log_in_and_reset_a_forgotten_password_through_the_emailed_link(
    open_tab, run_worker
):
    UserFactory(username="alice", email="alice@example.com")
    page = open_tab(**PHONE).page
    log_in(page, "alice")
    log_out(page)
    checked(page)

    # Forgotten: the reset form answers the same for any address, and the email comes from the
    # queue.
    page.get_by_role("banner").get_by_role("link", name="Log in").click()
    page.get_by_role("link", name=re.compile("Forgot")).click()
    checked(page)
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your email")
    checked(page)
    assert mail.outbox == []  # not sent in the request
    run_worker()
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    link = re.search(r"https?://\S+/password-reset/\S+/\S+/", message.body).group(0)

    page.goto(re.sub(r"^https?://[^/]+", "", link))
    checked(page)
    page.get_by_label("New password", exact=True).fill("a-new-passphrase-42")
    page.get_by_label("New password confirmation").fill("a-new-passphrase-42")
    page.get_by_role("button", name="Set the new password").click()
    checked(page)
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)  # the old one no longer works
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".errorlist, [role=alert]").first).to_be_visible()
    page.get_by_label("Password").fill("a-new-passphrase-42")
    page.get_by_role("button", name="Log in").click()
    # Signed in: "New post" shows (the top bar's or the tab bar's, by the width; both for a
    # moment while the stylesheet arrives).
    expect(page.get_by_role("link", name="New post").first).to_be_visible()


@pytest.mark.parametrize("journey", JOURNEYS)
def test_a_whole_social_journey(open_tab, worker_process, journey):
    """Follow from suggestions and from search, post two photos and watch them turn ready, open
    the viewer, like, bookmark, comment, edit and delete: with JavaScript in place, without it
    by plain forms and links, and on a phone."""
    javascript = JOURNEYS[journey].get("java_script_enabled", True)
    alice = UserFactory(username="alice", display_name="Alice")
    bob = UserFactory(username="bob", display_name="Bob Builder")
    carol = UserFactory(username="carol", display_name="Carol Singer")
    UserFactory(username="dave", display_name="Dave Searched")
    Follow.objects.create(follower=alice, followee=bob)
    Follow.objects.create(follower=bob, followee=carol)  # so Carol is suggested to Alice
    PostFactory(author=bob, title="Bob's first post", body="Hello from Bob")
    worker_process("media", "default")
    page = open_tab(**JOURNEYS[journey]).page
    log_in(page, "alice")
    checked(page)

    # Follow Carol from the suggestions and Dave from a search.
    checked(page, "/people/")
    mark_page(page)
    row = page.locator("li", has_text="Carol Singer")
    expect(row).to_contain_text("followed by bob")
    row.get_by_role("button", name="Follow").click()
    expect(page.locator("li", has_text="Carol Singer").get_by_role("button", name="Following"))
    if javascript:
        assert_not_reloaded(page)
    page.get_by_label("Search people").fill("dave")
    page.get_by_role("button", name="Search").click()
    checked(page)
    page.locator("li", has_text="Dave Searched").get_by_role("button", name="Follow").click()
    expect(page.get_by_role("button", name="Following")).to_be_visible()
    followees = Follow.objects.filter(follower=alice).values_list("followee__username", flat=True)
    assert set(followees) == {"bob", "carol", "dave"}

    # Post two photos: the page answers at once; each appears when the worker is done (with
    # JavaScript in place; without it, on a reload).
    checked(page, "/posts/new/")
    page.get_by_label("Title").fill("Two views of the lake")
    page.get_by_label(re.compile("^Text")).fill("Morning and evening")
    page.locator("input[type=file]").set_input_files(
        [
            {"name": "morning.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(1600, 1200)},
            {"name": "evening.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(1200, 1600)},
        ]
    )
    if javascript:
        page.get_by_label("Description of morning.jpg").fill("The lake at dawn")
        page.get_by_label("Description of evening.jpg").fill("The lake at dusk")
    else:
        page.get_by_label("Photo descriptions").fill("The lake at dawn\nThe lake at dusk")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", name="Two views of the lake")).to_be_visible()
    post = Post.objects.get(title="Two views of the lake")
    photos = page.locator(".photo-grid img[alt^='The lake at']")
    if javascript:
        expect(photos).to_have_count(2, timeout=30_000)
    else:
        for _ in range(60):
            if photos.count() == 2:
                break
            page.wait_for_timeout(500)
            page.reload()
        expect(photos).to_have_count(2)
    assert [media.status for media in post.photos.all()] == [Media.Status.DONE] * 2
    checked(page)

    # The viewer: over the page with JavaScript (arrow keys, Escape), its own page without.
    page.get_by_role("link", name="The lake at dawn").click()
    if javascript:
        viewer = page.locator("dialog.photo-dialog")
        expect(viewer).to_be_visible()
        expect(viewer).to_contain_text("1 of 2")
        checked(page)
        page.keyboard.press("ArrowRight")
        expect(viewer).to_contain_text("2 of 2")
        expect(viewer.get_by_role("img", name="The lake at dusk")).to_be_visible()
        page.keyboard.press("Escape")
        expect(viewer).to_be_hidden()
    else:
        expect(page).to_have_url(re.compile(rf"/posts/{post.pk}/photos/1/$"))
        checked(page)
        page.get_by_role("link", name="Next").click()
        expect(page.get_by_text("2 of 2")).to_be_visible()
        expect(page.get_by_role("img", name="The lake at dusk")).to_be_visible()
        page.get_by_role("link", name="Back to the post").click()
    expect(page).to_have_url(re.compile(rf"/posts/{post.pk}/$"))

    # Like, bookmark and comment on Bob's post; edit and delete the comment.
    bobs = Post.objects.get(title="Bob's first post")
    checked(page, f"/posts/{bobs.pk}/")
    mark_page(page)
    page.get_by_role("button", name=re.compile("^♥ Like")).click()
    expect(page.get_by_role("button", name=re.compile("Liked"))).to_contain_text("1")
    page.get_by_role("button", name="Bookmark").click()
    expect(page.get_by_role("button", name="Bookmarked")).to_be_visible()
    if javascript:
        assert_not_reloaded(page)
    page.get_by_label("Comment", exact=True).fill("Nice one, Bob!")
    page.get_by_role("button", name="Comment", exact=True).click()
    comment = page.locator("li", has_text="Nice one, Bob!")
    expect(comment).to_be_visible()
    comment.get_by_role("link", name="Edit").click()
    checked(page)
    page.get_by_label("Comment").fill("Nice one, Bob! (edited)")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Nice one, Bob! (edited)")).to_be_visible()
    page.locator("li", has_text="Nice one, Bob!").get_by_role("link", name="Delete").click()
    checked(page)
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Nice one, Bob!")).to_have_count(0)
    bobs.refresh_from_db()
    assert (bobs.like_count, bobs.comment_count) == (1, 0)
    checked(page, "/bookmarks/")
    expect(page.get_by_text("Bob's first post")).to_be_visible()

    # Edit the post, then delete it; back, its pages say it is gone (no stale form to resend).
    checked(page, f"/posts/{post.pk}/")
    page.get_by_role("link", name="Edit").click()
    checked(page)
    page.get_by_label("Title").fill("Two views of the lake, edited")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Two views of the lake, edited")).to_be_visible()
    page.get_by_role("link", name="Delete").click()
    checked(page)
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Two views of the lake")).to_have_count(0)
    assert not Post.objects.filter(pk=post.pk).exists()
    page.go_back()
    expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
    checked(page)
