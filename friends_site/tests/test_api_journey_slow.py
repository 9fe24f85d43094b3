"""The journey of docs/API.md, run as written (bash, curl, jq) against the live server and a
real media worker (make slow): the guide's example cannot drift away from the API."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import ApiToken, Follow, User
from media.models import Media
from posts.models import Comment, Like, Post

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

API_GUIDE = Path(settings.BASE_DIR) / "docs" / "API.md"
SUMMARY = re.compile(
    r"^journey ok: (?P<alice>\w+) posted #(?P<post>\d+) with photo #(?P<media>\d+); "
    r"(?P<bob>\w+) followed, liked and commented$",
    re.MULTILINE,
)


def journey_script() -> str:
    """The first ```sh block under the heading "A complete journey"."""
    guide = API_GUIDE.read_text(encoding="utf-8")
    match = re.search(
        r"^## A complete journey\n(?:(?!^## ).)*?^```sh\n(?P<script>.*?)^```$",
        guide,
        re.MULTILINE | re.DOTALL,
    )
    assert match, 'docs/API.md has no ```sh block under "## A complete journey"'
    return match["script"]


@pytest.mark.timeout(300)
def test_the_journey_of_the_api_guide_runs_as_written(live_server, worker_process, tmp_path):
    missing = [tool for tool in ("bash", "curl", "jq", "base64") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"The API journey needs {', '.join(missing)} (apt-get install curl jq)")
    script = tmp_path / "journey.sh"
    script.write_text(journey_script(), encoding="utf-8")
    worker_process("media", "default")

    started = time.monotonic()
    result = subprocess.run(
        ["bash", "-euo", "pipefail", str(script)],
        env={**os.environ, "BASE": f"{live_server.url}/api/v1"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    elapsed = time.monotonic() - started
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, output
    summary = SUMMARY.search(result.stdout)
    assert summary, output
    print(f"journey ran in {elapsed:.1f} s\n{result.stdout}")

    alice = User.objects.get(username=summary["alice"])
    bob = User.objects.get(username=summary["bob"])
    assert User.objects.count() == 2
    post = Post.objects.get()  # sent twice with one Idempotency-Key
    assert post.pk == int(summary["post"])
    assert post.author == alice
    assert (post.like_count, post.comment_count) == (1, 1)
    photo = post.photos.get()
    assert photo.pk == int(summary["media"])
    assert (photo.owner, photo.status, photo.width, photo.height) == (
        alice,
        Media.Status.DONE,
        24,
        16,
    )
    assert Follow.objects.filter(follower=bob, followee=alice).exists()
    assert Like.objects.filter(user=bob, post=post).exists()
    assert [(c.author, c.body) for c in Comment.objects.filter(post=post)] == [
        (bob, "Lovely stripes!")
    ]
    assert ApiToken.objects.filter(user=bob).count() == 0  # he logged out
    assert ApiToken.objects.filter(user=alice, name="journey script").count() == 1
