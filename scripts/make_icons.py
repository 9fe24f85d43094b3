"""Draw the PNG app icons in static/icons/ from the shapes of static/favicon.svg.

Browsers take the SVG as the favicon; home screens and the web app manifest want PNGs. Run it
again after changing the favicon: `.venv/bin/python scripts/make_icons.py`.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parent.parent / "static" / "icons"
BLUE = (37, 99, 235)
WHITE = (255, 255, 255)
# The second face of the favicon is white at 80 % opacity over the blue.
PALE = tuple(round(0.8 * w + 0.2 * b) for w, b in zip(WHITE, BLUE, strict=True))
OVERSAMPLE = 4  # drawn larger, then scaled down: smooth edges without an SVG renderer


def draw(size: int, *, full_bleed: bool, safe_zone: float = 1.0) -> Image.Image:
    """The favicon's 64-unit drawing at `size` pixels. `full_bleed`: a square background (the
    platform rounds or masks it); `safe_zone`: the share of the width the figures may use."""
    big = size * OVERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    unit = big / 64
    if full_bleed:
        pen.rectangle((0, 0, big, big), fill=BLUE)
    else:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=14 * unit, fill=BLUE)
    scale = unit * safe_zone
    offset = big * (1 - safe_zone) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return offset + x * scale, offset + y * scale

    def circle(x: float, y: float, r: float, colour) -> None:
        (left, top), (right, bottom) = at(x - r, y - r), at(x + r, y + r)
        pen.ellipse((left, top, right, bottom), fill=colour)

    def shoulders(x: float, width: float) -> None:
        # The upper half of an ellipse standing on the baseline y=54, 15 units high.
        (left, top), (right, bottom) = at(x - width, 39), at(x + width, 69)
        pen.pieslice((left, top, right, bottom), 180, 360, fill=WHITE)

    circle(24, 26, 9, WHITE)
    circle(42, 26, 9, PALE)
    shoulders(24, 14)
    shoulders(42, 12)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    ICONS.mkdir(exist_ok=True)
    for size in (192, 512):
        draw(size, full_bleed=False).save(ICONS / f"icon-{size}.png", optimize=True)
    # Maskable: the platform cuts any shape out of it, so the figures keep to the middle 80 %.
    draw(512, full_bleed=True, safe_zone=0.8).save(ICONS / "icon-maskable-512.png", optimize=True)
    draw(180, full_bleed=True).convert("RGB").save(ICONS / "apple-touch-icon.png", optimize=True)
    print(f"Icons written to {ICONS}")


if __name__ == "__main__":
    main()
