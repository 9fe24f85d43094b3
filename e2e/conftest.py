"""Browser journeys: Playwright driving Debian's Chromium against the live test server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "e2e" in item.nodeid.split("/")[0]:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_playwright():
    """Playwright's sync API keeps an event loop running in the test's thread, so Django
    takes the ORM calls made there (database set-up, the tests' own queries between browser
    steps) for calls from async code. They are plain synchronous calls: allowed while browser
    journeys run, and only then; never for the rest of the suite, where the check must keep
    finding real mistakes (this fixture is not used by `make test`, which selects no e2e)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="session")
def browser(_orm_beside_playwright):
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Browser journeys need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


class Tab:
    """A browser context and its page, with what the page said on its console."""

    def __init__(self, browser, base_url: str, **options):
        self.context = browser.new_context(base_url=base_url, **options)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        # Checks that run scripts in the page (axe-core) ask this first.
        self.page.javascript_enabled = options.get("java_script_enabled", True)
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _console(self, message) -> None:
        # Chromium reports every refusal of the Content-Security-Policy on the console, and
        # every script error; a failed request of a test that means it (a 404 page) is no
        # script error.
        text = message.text
        if "Content Security Policy" in text:
            self.problems.append(f"CSP: {text}")
        elif message.type == "error" and not text.startswith("Failed to load resource"):
            self.problems.append(f"console error: {text}")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_tab(browser, live_server):
    """`open_tab(**context options)`: a new browser tab on the live server (PHONE, DESKTOP,
    java_script_enabled=False...). The test fails if any tab broke its Content-Security-Policy
    or had a script error."""
    tabs: list[Tab] = []

    def open_(**options) -> Tab:
        tab = Tab(browser, live_server.url, **{**DESKTOP, **options})
        tabs.append(tab)
        return tab

    yield open_
    problems = [problem for tab in tabs for problem in tab.problems]
    for tab in tabs:
        tab.close()
    assert problems == [], problems


@pytest.fixture
def page(open_tab):
    """A desktop-sized browser tab on the live server (see open_tab)."""
    return open_tab().page


@pytest.fixture
def screenshot(page, request):
    """Save a full-page screenshot under var/screenshots/ (to look at after a run)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# --- Checks every page must pass --------------------------------------------------------------


def audit(page) -> None:
    """axe-core (the bundled axe.min.js of axe-playwright-python, nothing downloaded) on the
    page as it is: no serious or critical violation of WCAG 2.1 A/AA or axe's best practices."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}
    results = Axe().run(page, options={**options, "resultTypes": ["violations"]})
    grave = [
        f"{violation['id']} ({violation['impact']}) on {page.url}: {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert grave == [], "\n".join(grave)


def assert_no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} is {width}px wide in a {viewport}px window"
