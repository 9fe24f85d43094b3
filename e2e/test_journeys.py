"""The journeys a person takes, in a real browser against the live server and real workers."""

import io
import re

import pytest
from django.core import mail
from PIL import Image
from playwright.sync_api import expect

from accounts.models import EmailDelivery, Follow, User
from accounts.tests.factories import PASSWORD, UserFactory
from media.models import Media
from posts.models import Post
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="New post")).to_be_visible()


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
