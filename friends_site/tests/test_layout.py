"""The site's chrome: navigation for visitors and members, the current place marked, titles,
error pages that need no database, the icons and the web app manifest."""

import json
import re

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from PIL import Image

from accounts.tests.factories import UserFactory
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def nav(html: str, label: str) -> str:
    found = re.search(rf'<nav class="[^"]*" aria-label="{label}">(.*?)</nav>', html, re.S)
    return found.group(1) if found else ""


def current(html: str, label: str) -> list[str]:
    """The places a navigation marks as the page (aria-current), by their text."""
    links = re.findall(r"<a [^>]*aria-current=\"page\"[^>]*>(.*?)</a>", nav(html, label), re.S)
    return [re.sub(r"<[^>]+>|\s+", " ", link).strip() for link in links]


def test_visitors_get_log_in_and_sign_up_and_no_tab_bar(client):
    html = client.get("/login/").content.decode()
    header = re.search(r'<header class="topbar">.*?</header>', html, re.S).group(0)
    assert 'href="/login/" aria-current="page">Log in' in header
    assert 'href="/signup/"' in header
    assert nav(html, "Tabs") == ""
    assert "Log out" not in html


@pytest.mark.parametrize(
    ("path", "tab", "top"),
    [
        ("/", "Feed", "Feed"),
        ("/people/", "People", "People"),
        ("/posts/new/", "New post", None),
        ("/u/me/", "Profile", None),
        ("/u/me/followers/", "Profile", None),
        ("/likes/", None, "Likes"),
    ],
)
def test_the_tab_bar_and_the_top_navigation_mark_where_the_person_is(client, path, tab, top):
    me = UserFactory(username="me")
    client.force_login(me)

    html = client.get(path).content.decode()

    assert [
        label for label in ("Feed", "People", "New post", "Profile") if label in nav(html, "Tabs")
    ] == [
        "Feed",
        "People",
        "New post",
        "Profile",
    ]
    assert current(html, "Tabs") == ([tab] if tab else [])
    assert current(html, "Main") == ([top] if top else [])


def test_every_page_has_a_skip_link_landmarks_and_a_title_of_its_own(client):
    me = UserFactory(username="me")
    post = PostFactory(author=me, title="Hello there")
    client.force_login(me)
    titles = {}
    for path in (
        "/",
        "/people/",
        "/u/me/",
        "/u/me/followers/",
        "/u/me/following/",
        "/u/me/likes/",
        "/likes/",
        "/bookmarks/",
        f"/posts/{post.pk}/",
        f"/posts/{post.pk}/edit/",
        "/posts/new/",
        "/settings/",
        "/settings/password/",
        "/settings/tokens/",
        "/no-such-page/",
    ):
        html = client.get(path).content.decode()
        assert '<a class="skip-link" href="#content">' in html, path
        assert '<main id="content"' in html, path
        assert '<header class="topbar">' in html, path
        assert '<footer class="footer">' in html, path
        titles[path] = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    client.logout()
    for path in ("/", "/login/", "/signup/", "/password-reset/"):
        titles[path + " (visitor)"] = re.search(
            r"<title>(.*?)</title>", client.get(path).content.decode(), re.S
        ).group(1)

    assert all(title.endswith(" · Friends") for title in titles.values()), titles
    assert not [path for path, title in titles.items() if title == "Friends · Friends"]
    assert titles[f"/posts/{post.pk}/"] == "Hello there · Friends"
    assert titles["/no-such-page/"] == "Not found · Friends"


@pytest.mark.parametrize("template", ["500.html", "503.html", "400.html"])
def test_pages_rendered_without_a_request_show_no_personal_parts(
    template, django_assert_num_queries
):
    with django_assert_num_queries(0):
        html = render_to_string(template)

    assert "css/site.css" in html
    assert 'class="card error-page"' in html
    assert "Log in" not in html
    assert "Log out" not in html
    assert nav(html, "Tabs") == ""
    assert nav(html, "Main") == ""


def test_the_not_found_page_keeps_the_navigation_of_a_member(client):
    client.force_login(UserFactory())
    response = client.get("/u/nobody/")
    assert response.status_code == 404
    assert "New post" in nav(response.content.decode(), "Tabs")


def test_the_manifest_and_its_icons_are_there_and_linked(client):
    static = settings.BASE_DIR / "static"
    manifest = json.loads((static / "manifest.webmanifest").read_text())
    widths = {"any": set(), "maskable": set()}
    for icon in manifest["icons"]:
        if icon["type"] == "image/png":
            with Image.open(static / icon["src"]) as image:
                assert f"{image.width}x{image.height}" == icon["sizes"]
                widths[icon.get("purpose", "any")].add(image.width)
        else:
            assert (static / icon["src"]).exists()
    assert widths == {"any": {192, 512}, "maskable": {512}}
    assert manifest["start_url"] == "/"

    html = client.get("/login/").content.decode()
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in html
    assert f'<meta name="theme-color" content="{manifest["theme_color"]}">' in html
    assert '<link rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png">' in html
    assert (static / "icons" / "apple-touch-icon.png").exists()
