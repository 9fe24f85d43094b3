"""The people of `make load` (scripts/load.py runs this file with Locust, headless).

Each simulated person signs up (most through the API, some through the /signup/ page, which
also gives them a browser session), logs in once for an API token (a log-in costs a password
hash, as a real client's does once per device), then acts as people do: mostly reading the feed,
posts and profiles, sometimes following, liking, commenting and posting, now and then with a
photo. Requests are named by endpoint pattern so the statistics group them. Every answer
outside 2xx counts as a failure.

What the run created (the people's addresses, post and photo ids) is written as JSON to
LOAD_RECORD when the test stops, for scripts/load.py to check against the database. LOAD_RUN
makes the usernames of one run unique and findable by search.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import time
import uuid

from locust import HttpUser, between, events, task

RUN = os.environ.get("LOAD_RUN", "ld" + uuid.uuid4().hex[:6])
RECORD_PATH = os.environ.get("LOAD_RECORD", "")
PASSWORD = "plum-orchard-velvet-42"
API = "/api/v1"

# What every person of this run did that must be found afterwards; one Locust process, so one
# list each.
signed_up: list[dict] = []  # {"username", "email"}: answered 201 (or the page's redirect)
post_ids: list[int] = []  # answered 201
post_attempts = 0  # sent, answered or not (a request cut off by the end may still have made one)
media_ids: list[int] = []
known_post_ids: list[int] = []  # posts anyone may like or comment on (all people are public)


def _photo(kind: str) -> bytes:
    """An 800x600 photo-like picture (gradient with grain), made once at start."""
    from PIL import Image, ImageChops

    gradient = Image.linear_gradient("L").resize((800, 600))
    grain = Image.effect_noise((400, 300), 40).resize((800, 600))
    image = Image.merge(
        "RGB", [ImageChops.add(grain, gradient, 2), gradient, gradient.transpose(0)]
    )
    out = io.BytesIO()
    if kind == "JPEG":
        image.save(out, "JPEG", quality=85)
    else:
        image.quantize(64).save(out, "PNG")
    return out.getvalue()


PHOTOS = [("photo.jpg", "image/jpeg", _photo("JPEG")), ("photo.png", "image/png", _photo("PNG"))]
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


timeline: list[tuple[float, str, float]] = []  # (when it was answered, name, milliseconds)


@events.request.add_listener
def _on_request(name, response_time, **_kwargs) -> None:
    timeline.append((time.time(), name, response_time))


def _figures(entry) -> dict:
    return {
        "method": entry.method or "",
        "name": entry.name,
        "requests": entry.num_requests,
        "errors": entry.num_failures,
        "rps": entry.total_rps,
        "p50": entry.get_response_time_percentile(0.5),
        "p95": entry.get_response_time_percentile(0.95),
        "p99": entry.get_response_time_percentile(0.99),
        "max": entry.max_response_time,
    }


@events.test_stop.add_listener
def _write_record(environment, **_kwargs) -> None:
    """Once every person has stopped: what they made, and the final statistics (Locust's CSV
    is written on a timer, and may miss the last requests)."""
    if not RECORD_PATH:
        return
    stats = environment.runner.stats
    record = {
        "signed_up": signed_up,
        "post_ids": post_ids,
        "post_attempts": post_attempts,
        "media_ids": media_ids,
        "timeline": timeline,
        "endpoints": [_figures(entry) for entry in stats.entries.values()],
        "total": _figures(stats.total),
        "errors": [
            {"method": error.method, "name": error.name, "error": str(error.error),
             "occurrences": error.occurrences}
            for error in stats.errors.values()
        ],
        # A task that raised (a bug here, or an answer of the wrong shape): not a request, so
        # not in the errors above, yet the run did not do what it says.
        "exceptions": [
            {"count": exception["count"], "message": exception["msg"]}
            for exception in environment.runner.exceptions.values()
        ],
    }  # fmt: skip
    with open(RECORD_PATH, "w") as file:
        json.dump(record, file)


class Person(HttpUser):
    """Signs up through the API; reads dominate what follows."""

    weight = 4
    # A person reads a screen for a moment between actions.
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.username = f"{RUN}{uuid.uuid4().hex[:10]}"
        self.email = f"{self.username}@example.com"
        self.signup()
        response = self.client.post(
            f"{API}/auth/token/",
            json={"username": self.username, "password": PASSWORD, "name": "load"},
            name=f"{API}/auth/token/",
        )
        self.token = response.json()["token"] if response.ok else ""
        self.api_headers = {"Authorization": f"Token {self.token}"}
        self.own_posts: list[int] = []
        self.wait()  # a new person looks at the empty feed before looking for people
        self.follow_some()

    def signup(self) -> None:
        response = self.client.post(
            f"{API}/auth/signup/",
            json={"username": self.username, "email": self.email, "password": PASSWORD},
            name=f"{API}/auth/signup/",
        )
        if response.status_code == 201:
            signed_up.append({"username": self.username, "email": self.email})

    # --- helpers -----------------------------------------------------------------------------

    def api(self, method: str, path: str, name: str, **kwargs):
        """An API request with the token; any answer outside 2xx is a failure."""
        with self.client.request(
            method,
            f"{API}/{path}",
            name=f"{API}/{name}",
            headers=self.api_headers,
            catch_response=True,
            allow_redirects=False,
            **kwargs,
        ) as response:
            if not 200 <= response.status_code < 300:
                response.failure(f"{response.status_code}: {response.text[:200]}")
            return response

    def some_post(self) -> int | None:
        return random.choice(known_post_ids) if known_post_ids else None

    def follow_some(self) -> None:
        """Follow a few people of this run found by search, and one suggestion."""
        response = self.api("GET", f"users/?search={RUN}", "users/?search=[q]")
        if response.ok:
            others = [
                person["username"]
                for person in response.json().get("results", [])
                if person["username"] != self.username
            ]
            for username in random.sample(others, min(3, len(others))):
                self.wait()  # reads the name and the bio before the button
                self.api("PUT", f"users/{username}/follow/", "users/[username]/follow/")

    def remember(self, posts: list[dict]) -> None:
        known_post_ids.extend(post["id"] for post in posts[:5] if post["id"] not in known_post_ids)
        del known_post_ids[:-500]

    # --- reads -------------------------------------------------------------------------------

    @task(12)
    def read_feed(self) -> None:
        response = self.api("GET", "feed/", "feed/")
        if response.ok:
            self.remember(response.json().get("results", []))

    @task(4)
    def read_post(self) -> None:
        post_id = self.some_post()
        if post_id is not None:
            self.api("GET", f"posts/{post_id}/", "posts/[id]/")

    @task(3)
    def read_comments(self) -> None:
        post_id = self.some_post()
        if post_id is not None:
            self.api("GET", f"posts/{post_id}/comments/", "posts/[id]/comments/")

    @task(2)
    def read_profile(self) -> None:
        if signed_up:
            username = random.choice(signed_up)["username"]
            self.api("GET", f"users/{username}/", "users/[username]/")

    @task(2)
    def read_notifications(self) -> None:
        self.api("GET", "notifications/", "notifications/")

    @task(1)
    def read_suggestions(self) -> None:
        response = self.api("GET", "suggestions/", "suggestions/")
        if response.ok and response.json().get("results") and random.random() < 0.5:
            username = response.json()["results"][0]["user"]["username"]
            self.api("PUT", f"users/{username}/follow/", "users/[username]/follow/")

    # --- writes ------------------------------------------------------------------------------

    @task(1)
    def search_and_follow(self) -> None:
        self.follow_some()

    @task(4)
    def like(self) -> None:
        post_id = self.some_post()
        if post_id is not None:
            self.api("PUT", f"posts/{post_id}/like/", "posts/[id]/like/")

    @task(2)
    def comment(self) -> None:
        post_id = self.some_post()
        if post_id is not None:
            body = {"body": f"Nice one, from {self.username}."}
            self.api("POST", f"posts/{post_id}/comments/", "posts/[id]/comments/", json=body)

    @task(2)
    def post_text(self) -> None:
        self.create_post({"title": f"A thought by {self.username}", "body": "Words. " * 20})

    @task(1)
    def post_photo(self) -> None:
        """Upload a photo (POST media/), then the post that shows it (media_ids)."""
        filename, content_type, data = random.choice(PHOTOS)
        response = self.api(
            "POST", "media/", "media/", files={"file": (filename, data, content_type)}
        )
        if response.status_code == 202:
            media_id = response.json()["id"]
            media_ids.append(media_id)
            self.create_post({"title": "A photo", "body": "Look.", "media_ids": [media_id]})

    def create_post(self, payload: dict) -> None:
        global post_attempts
        post_attempts += 1
        response = self.api("POST", "posts/", "posts/", json=payload)
        if response.status_code == 201:
            post = response.json()
            post_ids.append(post["id"])
            known_post_ids.append(post["id"])


class BrowserPerson(Person):
    """Signs up through the /signup/ page (so has a session too) and also reads pages."""

    weight = 1

    def signup(self) -> None:
        page = self.client.get("/signup/", name="/signup/")
        self.wait()  # the person fills the form in
        match = CSRF_FIELD.search(page.text)
        form = {
            "csrfmiddlewaretoken": match.group(1) if match else "",
            "username": self.username,
            "email": self.email,
            "password1": PASSWORD,
            "password2": PASSWORD,
        }
        # A successful sign-up redirects to the feed: 200 at the end of the redirect, and the
        # session cookie set.
        with self.client.post(
            "/signup/", data=form, name="/signup/ (POST)", catch_response=True
        ) as response:
            if response.status_code == 200 and "sessionid" in self.client.cookies:
                signed_up.append({"username": self.username, "email": self.email})
            else:
                response.failure(f"sign-up page: {response.status_code}, no session")

    def page(self, path: str, name: str) -> None:
        with self.client.get(
            path, name=name, catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")

    @task(8)
    def read_home(self) -> None:
        self.page("/", "/")

    @task(2)
    def read_post_page(self) -> None:
        post_id = self.some_post()
        if post_id is not None:
            self.page(f"/posts/{post_id}/", "/posts/[id]/")
