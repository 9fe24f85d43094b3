"""static/js/site.js where it decides something on its own: how long ago a time reads, and the
blurhash placeholder painted behind photos while they load. Run in Node with a stand-in page."""

import json
import os
import shutil
import subprocess

import blurhash
import pytest
from django.conf import settings
from PIL import Image

from media.imaging import _blurhash

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="needs Node.js")

# Loads site.js as the browser would, with just enough of a page for its set-up to run, then
# answers what the test asks on standard input.
HARNESS = r"""
const fs = require("fs"), vm = require("vm");
const noop = () => {};
const page = {
  readyState: "loading", addEventListener: noop, querySelectorAll: () => [],
  documentElement: { lang: "en" },
};
const sandbox = { document: page, console, Intl, Date, Uint8ClampedArray };
sandbox.window = { setInterval: noop, setTimeout: noop, addEventListener: noop, Intl };
vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(process.argv[1], "utf8"), sandbox);
const asked = JSON.parse(fs.readFileSync(0, "utf8"));
const formats = sandbox.relativeTimes.formatsFor("en");
console.log(JSON.stringify({
  pixels: asked.hashes.map(([hash, width, height]) => {
    const pixels = sandbox.blurhash.decode(hash, width, height);
    return pixels && Array.from(pixels);
  }),
  times: asked.times.map((time) => sandbox.relativeTimes.describe(
    new Date(time), new Date(asked.now), formats)),
}));
"""


def run_site_js(*, hashes=(), times=(), now="2026-03-10T12:00:00Z") -> dict:
    script = settings.BASE_DIR / "static" / "js" / "site.js"
    answer = subprocess.run(
        [NODE, "-e", HARNESS, str(script)],
        input=json.dumps({"hashes": list(hashes), "times": list(times), "now": now}),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TZ": "UTC"},
        timeout=30,
    )
    return json.loads(answer.stdout)


def photo_like() -> Image.Image:
    image = Image.new("RGB", (120, 80))
    image.putdata(
        [
            (x * 2, 40 + y * 2, 255 - x) if x < 80 else (250, 200, 30)
            for y in range(80)
            for x in range(120)
        ]
    )
    return image


@pytest.mark.parametrize("size", [(32, 21), (21, 32), (8, 8)])
def test_the_blurhash_of_a_photo_decodes_to_the_pixels_of_the_reference_decoder(size):
    width, height = size
    hash_ = _blurhash(photo_like())  # as the media job stores it

    pixels = run_site_js(hashes=[[hash_, width, height]])["pixels"][0]

    reference = blurhash.decode(hash_, width, height).convert("RGB").tobytes()
    mine = [value for index, value in enumerate(pixels) if index % 4 != 3]
    assert len(mine) == len(reference)
    assert max(abs(a - b) for a, b in zip(mine, reference, strict=True)) <= 1
    assert set(pixels[3::4]) == {255}  # opaque


def test_what_is_not_a_blurhash_draws_nothing():
    hashes = [
        ["", 4, 4],
        ["LEHV6nWB2yk8pyo0adR*.7kCMdn", 4, 4],
        ["LEHV6nWB2yk8pyo0adR*.7kCMd\\j", 4, 4],
    ]

    assert run_site_js(hashes=hashes)["pixels"] == [None, None, None]


def test_times_read_as_how_long_ago_then_as_the_day():
    times = [
        "2026-03-10T11:59:30Z",  # 30 seconds
        "2026-03-10T12:00:20Z",  # a little ahead of this computer's clock
        "2026-03-10T11:55:00Z",
        "2026-03-10T09:00:00Z",
        "2026-03-09T08:00:00Z",  # 28 hours: yesterday still
        "2026-03-08T13:00:00Z",  # 47 hours: the day before yesterday
        "2025-12-24T08:00:00Z",  # last year
        "2026-03-10T14:30:00Z",  # ahead: a token's expiry, say
        "2026-03-11T20:00:00Z",
    ]

    described = run_site_js(times=times)["times"]

    assert described == [
        "now",
        "now",
        "5 min. ago",
        "3 hr. ago",
        "yesterday",
        "Mar 8",
        "Dec 24, 2025",
        "in 2 hr.",
        "tomorrow",
    ]
