"""Download your data in a real browser: a person with 200 posts and 50 photos starts an export,
a real worker writes it while the page's progress bar follows without a reload, the emailed
link downloads the zip, whose index.html opens offline with its photos, and another person gets
a 404 for the same link. With JavaScript off, the page reloads itself until the export is done."""

from __future__ import annotations

import io
import re
import time
import zipfile

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from e2e.conftest import PHONE, assert_no_sideways_scroll, audit
from e2e.test_journeys import assert_not_reloaded, mark_page
from posts.models import DataExport
from posts.tests.exports import person_with_data

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, username: str, then: str = "/settings/") -> None:
    page.goto(f"/login/?next={then}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(f"{then}$"))


def test_an_export_of_200_posts_and_50_photos_completes_live_and_its_link_is_the_owner_s_only(
    open_tab, worker_process, run_worker, settings, tmp_path
):
    started = time.monotonic()
    person_with_data(posts=200, photos=50, username="demo", title="Walk <{n}> & more")
    seeded = time.monotonic() - started

    page = open_tab().page
    log_in(page, "demo")
    page.get_by_role("link", name="Download your data").click()
    expect(page).to_have_url(re.compile("/settings/export/$"))
    expect(page.get_by_role("heading", level=2)).to_have_text("No export yet")
    audit(page)

    clicked = time.monotonic()
    page.get_by_role("button", name="Start an export").click()
    expect(page.locator("#export-status progress")).to_be_visible()
    mark_page(page)
    audit(page)  # the running state, before a worker moves it
    # What the bar shows on the way (printed below).
    page.evaluate(
        """window.seenValues = [];
        window.setInterval(() => {
          const bar = document.querySelector('#export-status progress');
          const value = bar && bar.getAttribute('value');
          if (value !== null && window.seenValues.at(-1) !== value) window.seenValues.push(value);
        }, 100);"""
    )
    worker_process("default")  # the export; the email is sent below, in this process
    # The worker moves the bar; the page follows without a reload, up to the link.
    expect(page.get_by_role("heading", name="Your data is ready")).to_be_visible(timeout=60_000)
    waited = time.monotonic() - clicked
    assert_not_reloaded(page)
    bar = page.locator("#export-status progress")
    expect(bar).to_have_attribute("value", "1")
    audit(page)
    assert_no_sideways_scroll(page)
    export = DataExport.objects.get(user__username="demo")
    assert export.items_done == export.items_total == 1 + 200 + 6 + 50
    worked = (export.finished_at - export.created_at).total_seconds()

    run_worker()  # the email queued when the export was done
    [message] = [m for m in mail.outbox if m.to == ["demo@example.com"]]
    link = re.search(r"https?://\S+(/settings/export/\d+/download/)", message.body).group(1)

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download your data").last.click()
    saved = tmp_path / "download.zip"
    downloading.value.save_as(saved)
    answer = page.request.get(link)  # the emailed link, with the owner's session
    assert answer.status == 200
    assert answer.body() == saved.read_bytes()
    archive = zipfile.ZipFile(io.BytesIO(saved.read_bytes()))
    assert len([name for name in archive.namelist() if "/photos/" in name]) == 50
    archive.extractall(tmp_path / "unzipped")

    # index.html offline: no server, no network; its photos come from the zip.
    reader = open_tab()
    reader.context.set_offline(True)
    reader.page.goto((tmp_path / "unzipped" / "friends-data" / "index.html").as_uri())
    expect(reader.page.get_by_role("heading", level=1)).to_contain_text("Demo")
    expect(reader.page.get_by_role("heading", name="Walk <0> & more")).to_be_visible()
    expect(reader.page.locator("article[id^=post-]")).to_have_count(200)
    photos = reader.page.locator(".photos img")
    expect(photos).to_have_count(50)
    # Lazy images, loaded now rather than scrolled to one by one.
    reader.page.evaluate(
        "document.querySelectorAll('img').forEach((i) => { i.loading = 'eager'; })"
    )
    reader.page.wait_for_function(
        "Array.from(document.images).every((image) => image.complete && image.naturalWidth > 0)"
    )

    # Someone else, logged in, gets nothing.
    UserFactory(username="eve")
    other = open_tab().page
    log_in(other, "eve")
    assert other.request.get(link).status == 404
    assert other.request.get("/api/v1/me/export/").status == 404
    print(
        f"\nbar values seen {page.evaluate('window.seenValues')}, "
        f"seed {seeded:.1f}s, export queued to done {worked:.1f}s, "
        f"start to the link on the page {waited:.1f}s, zip {saved.stat().st_size} bytes"
    )


def test_without_javascript_the_page_reloads_itself_until_the_export_is_done(
    open_tab, worker_process
):
    person_with_data(posts=30, photos=3, username="plain")
    page = open_tab(java_script_enabled=False, **PHONE).page
    log_in(page, "plain", then="/settings/export/")
    page.get_by_role("button", name="Start an export").click()
    expect(page.get_by_text("Your export has started")).to_be_visible()
    expect(page.locator("#export-status progress")).to_be_visible()
    assert_no_sideways_scroll(page)
    worker_process("default")
    expect(page.get_by_role("heading", name="Your data is ready")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("link", name="Download your data")).to_be_visible()
