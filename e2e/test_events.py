"""Live updates in a real browser: two tabs of one person on the ASGI server (uvicorn, as the
site runs), a photo posted in one turning ready in the other through the event stream."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from conftest import _database_url
from e2e.conftest import Tab
from e2e.test_journeys import assert_not_reloaded, jpeg_bytes, log_in, mark_page
from friends_site.embedded_redis import free_port
from posts.models import DataExport, Post
from posts.tests.exports import person_with_data
from scripts.benchlib import wait_for_http

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def asgi_server(transactional_db):
    """uvicorn serving the whole site on the tests' database and Redis; yields its URL."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "friends_site.test_settings",
        "DJANGO_DEBUG": "1",  # static files from the source folders (WhiteNoise's finders)
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        "TEST_REDIS_DB": str(settings.TEST_REDIS_DB),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "friends_site.asgi:application",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=settings.BASE_DIR, env=env,
    )  # fmt: skip
    try:
        wait_for_http(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def same_person_tabs(browser, asgi_server):
    tab = Tab(browser, asgi_server)
    yield tab
    problems = tab.problems
    tab.close()
    assert problems == [], problems


def test_a_photo_posted_in_one_tab_turns_ready_in_another_without_reload_or_polling(
    same_person_tabs, worker_process
):
    UserFactory(username="alice", display_name="Alice")
    tab_a = same_person_tabs.page
    log_in(tab_a, "alice")

    # Tab A posts a photo while no worker runs yet: it stays a placeholder.
    tab_a.goto("/posts/new/")
    tab_a.get_by_label("Title").fill("Sunset at the lake")
    tab_a.locator("input[type=file]").set_input_files(
        {"name": "lake.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}
    )
    tab_a.get_by_role("button", name="Publish").click()
    expect(tab_a.get_by_text("Sunset at the lake").first).to_be_visible()
    post = Post.objects.get(title="Sunset at the lake")

    # Tab B (the same person, the same browser) shows the post with its placeholder.
    tab_b = same_person_tabs.context.new_page()
    requests: list[str] = []
    tab_b.on("request", lambda request: requests.append(request.url))
    stream_open = []
    tab_b.on("response", lambda r: "/events/" in r.url and stream_open.append(r.status))
    tab_b.goto(f"/posts/{post.pk}/")
    mark_page(tab_b)
    placeholder = tab_b.locator(".photo-tile[data-fragment-refresh]")
    expect(placeholder).to_have_count(1)
    tab_b.wait_for_timeout(4000)  # longer than the polling's first look (1.5 s)
    assert stream_open == [200]
    loaded = len(requests)
    assert not [url for url in requests if "/tile/" in url or "/notifications/unread/" in url]

    # A worker processes the photo: tab B shows it, asking for the tile once, without reload.
    worker_process("media", "default")
    expect(tab_b.locator("article img.media-image, .photo-tile img").first).to_be_visible(
        timeout=20_000
    )
    assert_not_reloaded(tab_b)
    after = requests[loaded:]
    assert len([url for url in after if "/tile/" in url]) == 1, after
    assert not [url for url in requests if "/notifications/unread/" in url]
    assert not [url for url in after if "/events/" in url]  # the one stream stayed open


def test_an_export_s_progress_bar_follows_the_stream_without_polling(
    same_person_tabs, worker_process
):
    """Download your data on the ASGI server: the bar moves with the job's "export" events; the
    page asks for its status card only when an event says it changed, never on a timer."""
    person_with_data(posts=200, photos=50, username="ada")
    page = same_person_tabs.page
    page.goto("/login/?next=/settings/export/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile("/settings/export/$"))

    page.get_by_role("button", name="Start an export").click()
    expect(page.locator("#export-status progress")).to_be_visible()
    mark_page(page)
    cards: list[str] = []
    page.on("request", lambda r: r.url.endswith("/settings/export/") and cards.append(r.url))
    page.evaluate(
        """window.seenValues = [];
        new MutationObserver(() => {
          const bar = document.querySelector('#export-status progress');
          const value = bar && bar.getAttribute('value');
          if (value !== null && window.seenValues.at(-1) !== value) window.seenValues.push(value);
        }).observe(document.body, {subtree: true, childList: true, attributes: true});"""
    )
    page.wait_for_timeout(3000)  # no worker yet: a polling page would have asked by now
    assert cards == []

    worker_process("default", "email")
    expect(page.get_by_role("link", name="Download your data")).to_be_visible(timeout=60_000)
    assert_not_reloaded(page)
    export = DataExport.objects.get(user__username="ada")
    assert export.items_done == export.items_total > 250
    assert 1 <= len(cards) <= 1 + export.items_total // 50 + 5  # one per event, not per tick
    assert page.evaluate("window.seenValues")[-1] == "1"  # the bar of the finished export
