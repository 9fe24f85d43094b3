import pytest

from accounts.tests.factories import PASSWORD, UserFactory
from posts.models import Media
from posts.tests import media_images as images

pytestmark = pytest.mark.django_db(transaction=True)


def test_scratch(page, run_worker, screenshot, tmp_path):
    user = UserFactory()
    page.goto("/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto("/posts/new/")
    paths = []
    for n in range(2):
        photo = tmp_path / f"p{n}.jpg"
        photo.write_bytes(images.jpeg((800, 600), orientation=6))
        paths.append(str(photo))
    page.fill("input[name=title]", "Hello photos")
    page.set_input_files("input[name=images]", paths)
    page.fill(".photo-descriptions li:nth-child(1) input", "First card")
    page.fill(".photo-descriptions li:nth-child(2) input", "Second card")
    screenshot("form")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-media-poll]")
    box = page.query_selector(".media-placeholder").bounding_box()
    print("placeholder", box)
    run_worker()
    page.wait_for_selector("img.media-image", timeout=20000)
    page.wait_for_timeout(800)
    print("image", page.query_selector("img.media-image").bounding_box())
    print(list(Media.objects.values_list("alt_text", flat=True)))
    screenshot("ready")
