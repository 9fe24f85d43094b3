"""Photos and avatars for the demo people, drawn with Pillow: nothing downloaded, no image files.

Each image comes from a string seed (the same seed draws the same bytes) and carries a
description for screen readers, written from what was drawn. Photos are landscapes, beaches
and calm abstracts in muted palettes, in the sizes and shapes phones produce; avatars are
drawn faces, initials on a gradient, or a small scene, as people pick in real life.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter, ImageFont

Colour = tuple[int, int, int]

# Named, so that a description can say which colours a picture has.
COLOURS: dict[str, Colour] = {
    "cream": (246, 239, 226),
    "sand": (226, 205, 170),
    "peach": (246, 190, 156),
    "coral": (232, 125, 104),
    "terracotta": (192, 104, 76),
    "rose": (222, 146, 158),
    "plum": (112, 70, 104),
    "lavender": (186, 174, 214),
    "slate blue": (86, 104, 150),
    "navy": (34, 48, 82),
    "sky blue": (142, 190, 226),
    "teal": (52, 124, 128),
    "sage": (158, 178, 146),
    "forest green": (56, 92, 70),
    "olive": (126, 126, 78),
    "mustard": (220, 170, 70),
    "charcoal": (52, 56, 62),
    "pale pink": (244, 222, 218),
    "pale green": (222, 232, 214),
}

# Harmonious sets for the abstracts: a background and the colours drawn on it.
PALETTES: list[tuple[str, list[str]]] = [
    ("cream", ["terracotta", "mustard", "sage"]),
    ("cream", ["navy", "coral", "sand"]),
    ("cream", ["teal", "peach", "mustard"]),
    ("pale pink", ["plum", "rose", "lavender"]),
    ("sand", ["forest green", "sage", "terracotta"]),
    ("cream", ["slate blue", "sky blue", "coral"]),
    ("pale green", ["teal", "forest green", "mustard"]),
]


@dataclass(frozen=True)
class Mood:
    """The light of a scene: its sky, what shines in it, and the land under it."""

    name: str
    sky_top: Colour
    sky_bottom: Colour
    sky_words: str
    light: Colour
    light_height: tuple[float, float]  # of the sky, from the horizon up
    far: Colour
    near: Colour
    land_words: str
    sea: Colour


MOODS = [
    Mood(
        "dawn", (176, 164, 208), (248, 200, 170), "lavender and peach",
        (255, 236, 200), (0.05, 0.3), (206, 150, 166), (98, 66, 100), "rose and plum",
        (120, 120, 170),
    ),
    Mood(
        "midday", (112, 164, 214), (214, 230, 240), "clear blue",
        (255, 252, 236), (0.6, 0.85), (150, 178, 168), (52, 96, 72), "green",
        (60, 130, 160),
    ),
    Mood(
        "golden hour", (128, 156, 198), (250, 212, 156), "blue and gold",
        (255, 226, 160), (0.15, 0.4), (170, 150, 110), (84, 90, 60), "olive and ochre",
        (70, 110, 140),
    ),
    Mood(
        "dusk", (72, 62, 112), (240, 150, 104), "purple and orange",
        (252, 196, 120), (0.02, 0.2), (150, 86, 110), (40, 40, 70), "deep purple",
        (70, 60, 100),
    ),
    Mood(
        "night", (18, 26, 56), (62, 78, 124), "dark blue",
        (244, 238, 220), (0.45, 0.8), (70, 82, 118), (28, 32, 46), "dark blue",
        (30, 40, 70),
    ),
]  # fmt: skip

# Photo shapes as cameras and phones make them: (width, height) ratios.
LANDSCAPE_RATIOS = [(4, 3), (3, 2), (16, 9)]
PORTRAIT_RATIOS = [(3, 4), (2, 3), (4, 5)]
LONG_SIDES = [1024, 1152, 1280]

SKIN = [(255, 224, 196), (241, 194, 160), (224, 172, 135), (198, 134, 96), (150, 98, 68)]
HAIR = [(44, 34, 30), (92, 62, 42), (158, 108, 62), (222, 186, 120), (168, 74, 44), (150, 150, 150)]
AVATAR_SIDE = 512
FACE_ZOOM = 1.2
NAME_AFFIXES = {"mr", "mrs", "ms", "miss", "dr", "jr", "sr", "md", "dds", "dvm", "phd", "ii", "iii"}


@dataclass(frozen=True)
class DemoImage:
    data: bytes
    file_name: str
    alt_text: str


# --- Photos -----------------------------------------------------------------------------------


def photo(seed: str) -> DemoImage:
    """A photo: a landscape or a beach (at one of five times of day), or an abstract."""
    rng = random.Random(seed)
    size = _photo_size(rng)
    draw = rng.choices(
        [_mountains, _hills, _beach, _circles, _arches, _waves, _lights],
        weights=[5, 3, 4, 2, 2, 2, 1],
    )[0]
    image, alt_text = draw(rng, size)
    return DemoImage(_encode(image, "JPEG"), "photo.jpg", alt_text)


def _photo_size(rng: random.Random) -> tuple[int, int]:
    shape = rng.choices(["landscape", "portrait", "square"], weights=[6, 3, 1])[0]
    long_side = rng.choice(LONG_SIDES)
    if shape == "square":
        return long_side, long_side
    across, down = rng.choice(LANDSCAPE_RATIOS if shape == "landscape" else PORTRAIT_RATIOS)
    if across > down:
        return long_side, round(long_side * down / across)
    return round(long_side * across / down), long_side


def _mountains(rng: random.Random, size: tuple[int, int]) -> tuple[Image.Image, str]:
    return _landscape(rng, size, peaks=True)


def _hills(rng: random.Random, size: tuple[int, int]) -> tuple[Image.Image, str]:
    return _landscape(rng, size, peaks=False)


def _landscape(rng: random.Random, size: tuple[int, int], *, peaks: bool):
    """Ridges fading into the haze of the sky behind them, sometimes mirrored in a lake."""
    width, height = size
    mood = rng.choice(MOODS)
    lake = rng.random() < 0.4
    horizon = height * rng.uniform(0.5, 0.62) if lake else height * rng.uniform(0.55, 0.72)
    image = _sky(rng, size, mood, horizon)
    layers = rng.randint(2, 4)
    # By a lake every ridge stands on its shore, so that the water mirrors them and the sky.
    spacing = 0.015 if lake else 0.09
    for layer in range(layers):
        depth = (layer + 1) / layers  # 1 is the nearest
        colour = _mix(_mix(mood.sky_bottom, mood.far, 0.55), mood.near, depth**1.3)
        base = horizon + height * (0.02 + spacing * layer)
        amplitude = height * (0.26 if peaks else 0.12) * (1.15 - 0.45 * depth)
        profile = _peaks(rng, amplitude) if peaks else _swells(rng, amplitude)
        outline = [(x * width, base - y) for x, y in profile]
        _fill_below(image, outline, colour, bottom=_mix(colour, (0, 0, 0), 0.25))
    if lake:
        _reflect(image, int(horizon + height * (0.03 + spacing * layers)), mood)
    ridges = {2: "two", 3: "three", 4: "four"}[layers]
    land = f"{ridges} ridges of {mood.land_words} {'mountains' if peaks else 'hills'}"
    water = ", mirrored in a still lake" if lake else ""
    return image, f"A landscape at {mood.name}: {land} under a {mood.sky_words} sky{water}."


def _sky(rng: random.Random, size: tuple[int, int], mood: Mood, horizon: float) -> Image.Image:
    """The sky to `horizon` (below it, what it fades to), with the sun or the moon."""
    width, height = size
    image = _gradient((width, max(1, int(horizon))), mood.sky_top, mood.sky_bottom)
    sky = Image.new("RGB", size, mood.sky_bottom)
    sky.paste(image, (0, 0))
    if mood.name == "night":
        draw = ImageDraw.Draw(sky)
        for _ in range(int(width * horizon / 9000)):
            x, y = rng.uniform(0, width), rng.uniform(0, horizon * 0.9)
            radius = rng.choice([1, 1, 1, 1.5, 2])
            colour = _mix(mood.sky_top, mood.light, rng.uniform(0.4, 1.0))
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    low, high = mood.light_height
    centre = (width * rng.uniform(0.2, 0.8), horizon * (1 - rng.uniform(low, high)))
    radius = min(size) * rng.uniform(0.04, 0.07)
    _glow(sky, centre, radius * 7, mood.light, 0.55)
    _disc(sky, centre, radius, mood.light)
    return sky


def _reflect(image: Image.Image, water_line: int, mood: Mood) -> None:
    """Mirror what is above `water_line` into the water below it, darker and softened."""
    width, height = image.size
    depth = height - water_line
    above = image.crop((0, max(0, water_line - depth), width, water_line))
    mirrored = above.transpose(Image.Transpose.FLIP_TOP_BOTTOM).resize((width, depth))
    water = Image.blend(mirrored, Image.new("RGB", mirrored.size, mood.sea), 0.35)
    image.paste(water.filter(ImageFilter.BoxBlur(2)), (0, water_line))
    draw = ImageDraw.Draw(image)
    draw.line(
        (0, water_line, width, water_line), fill=_mix(mood.sky_bottom, mood.sea, 0.3), width=2
    )


def _beach(rng: random.Random, size: tuple[int, int]) -> tuple[Image.Image, str]:
    """Sea to the horizon, the light's path on the water, sand and foam in front."""
    width, height = size
    mood = rng.choice(MOODS)
    horizon = height * rng.uniform(0.38, 0.55)
    image = _sky(rng, size, mood, horizon)
    far_sea = _mix(mood.sky_bottom, mood.sea, 0.55)
    sea = _gradient((width, height - int(horizon)), far_sea, _mix(mood.sea, (0, 0, 0), 0.2))
    image.paste(sea, (0, int(horizon)))
    draw = ImageDraw.Draw(image)
    path_x = width * rng.uniform(0.3, 0.7)
    for _ in range(int(height / 12)):
        y = rng.uniform(horizon + 2, height)
        spread = (y - horizon) / (height - horizon)
        x = path_x + rng.gauss(0, width * 0.05 * (0.3 + spread))
        half = rng.uniform(4, 30) * (0.4 + spread)
        draw.line((x - half, y, x + half, y), fill=_mix(far_sea, mood.light, 0.5), width=2)
    shore = height * rng.uniform(0.72, 0.86)
    waves = _swells(rng, height * 0.03, points=80)
    edge = [(x * width, shore - y) for x, y in waves]
    sand = _mix(COLOURS["sand"], mood.sky_bottom, 0.25)
    foam = _mix((255, 255, 255), mood.sky_bottom, 0.2)
    _fill_below(image, edge, foam, soften=2)
    lower = [(x, y + height * 0.012) for x, y in edge]
    _fill_below(image, lower, sand, bottom=_mix(sand, (120, 90, 60), 0.3))
    light = {"night": "a bright moon", "midday": "a high sun"}.get(mood.name, "a low sun")
    return image, (
        f"A beach at {mood.name}: a calm sea under a {mood.sky_words} sky, with {light} "
        "shining on the water and sand in the foreground."
    )


def _circles(rng: random.Random, size: tuple[int, int]) -> tuple[Image.Image, str]:
    """Overlapping circles in three colours on a light ground."""
    width, height = size
    ground, names = rng.choice(PALETTES)
    image = _gradient(size, COLOURS[ground], _mix(COLOURS[ground], COLOURS["sand"], 0.35))
    count = rng.randint(3, 5)
    short = min(size)
    for index in range(count):
        radius = short * rng.uniform(0.12, 0.3)
        centre = (rng.uniform(radius, width - radius), rng.uniform(radius, height - radius))
        _disc(image, centre, radius, COLOURS[names[index % len(names)]], opacity=0.88)
    colours = _listed(names[:count])
    return image, f"An abstract of {_number(count)} overlapping circles in {colours} on {ground}."


def _arches(rng: random.Random, size: tuple[int, int]) -> tuple[Image.Image, str]:
    """Concentric arches standing on a band of ground, and a sun above them."""
    width, height = size
    ground, names = rng.choice(PALETTES)
    image = Image.new("RGB", size, COLOURS[ground])
    count = rng.randint(4, 6)
    # Standing a little above the bottom edge, so that a square crop of a tall photo keeps them.
    base = height * rng.uniform(0.72, 0.82)
    centre = (width * rng.uniform(0.4, 0.6), base)
    outer = min(width * 0.4, base * 0.6)
    band = outer / (count + 1)
    for index in range(count):
        radius = outer - index * band
        colour = COLOURS[names[index % len(names)]]
        _disc(image, centre, radius, colour)
    _disc(image, centre, outer - count * band, COLOURS[ground])
    floor = _mix(COLOURS[ground], COLOURS[names[-1]], 0.3)
    _fill_below(image, [(0, base), (width, base)], floor, soften=0)
    sun = (width * rng.uniform(0.2, 0.8), base - outer - min(size) * rng.uniform(0.1, 0.16))
    _disc(image, sun, min(size) * 0.06, COLOURS[names[0]])
    colours = _listed(names[: min(count, len(names))])
    return image, (
        f"{_number(count).capitalize()} concentric arches in {colours} on {ground}, "
        "under a small round sun."
    )


def _waves(rng: random.Random, size: tuple[int, int]) -> tuple[Image.Image, str]:
    """Bands with wavy edges, shading from light at the top to dark at the bottom."""
    width, height = size
    light, dark = rng.choice(
        [("sky blue", "navy"), ("peach", "plum"), ("sage", "forest green"), ("sand", "terracotta")]
    )
    image = Image.new("RGB", size, _mix(COLOURS[light], (255, 255, 255), 0.4))
    count = rng.randint(4, 7)
    for index in range(count):
        depth = (index + 1) / count
        base = height * (0.25 + 0.7 * index / count)
        profile = _swells(rng, height * 0.05, points=120)
        edge = [(x * width, base - y) for x, y in profile]
        colour = _mix(COLOURS[light], COLOURS[dark], depth)
        _fill_below(image, edge, colour)
    return image, f"Layered waves in {_number(count)} shades, from {light} down to {dark}."


def _lights(rng: random.Random, size: tuple[int, int]) -> tuple[Image.Image, str]:
    """Out-of-focus lights on a dark ground, as city lights at night through a wide lens."""
    width, height = size
    ground, ground_low = rng.choice([("plum", "navy"), ("navy", "charcoal"), ("teal", "navy")])
    image = _gradient(size, _mix(COLOURS[ground], (0, 0, 0), 0.3), COLOURS[ground_low])
    names = rng.choice([["mustard", "peach"], ["rose", "lavender"], ["peach", "sky blue"]])
    short = min(size)
    for index in range(rng.randint(25, 40)):
        radius = short * rng.uniform(0.02, 0.08)
        centre = (rng.uniform(0, width), rng.uniform(height * 0.1, height * 0.9))
        opacity = rng.uniform(0.25, 0.6)
        _disc(image, centre, radius, COLOURS[names[index % 2]], opacity=opacity, soften=radius / 8)
    return image, f"Soft out-of-focus lights in {_listed(names)} on a dark {ground} background."


# --- Avatars ----------------------------------------------------------------------------------


def avatar(seed: str, name: str) -> DemoImage:
    """A square avatar for the person called `name`: a drawn face, initials, or a scene."""
    rng = random.Random(seed)
    style = rng.choices(["face", "initials", "scene"], weights=[6, 3, 2])[0]
    if style == "face":
        image, alt_text = _face(rng)
    elif style == "initials":
        image, alt_text = _initials(rng, name)
    else:
        draw = rng.choice([_mountains, _beach, _circles])
        image, alt_text = draw(rng, (AVATAR_SIDE, AVATAR_SIDE))
    return DemoImage(_encode(image, "PNG"), "avatar.png", alt_text)


def _face(rng: random.Random) -> tuple[Image.Image, str]:
    """A flat, friendly portrait: drawn at twice the size, then reduced for smooth edges."""
    side = AVATAR_SIDE * 2
    ground_name = rng.choice(["peach", "sky blue", "sage", "lavender", "sand", "rose", "mustard"])
    ground = _mix(COLOURS[ground_name], (255, 255, 255), 0.35)
    image = Image.new("RGB", (side, side), ground)
    draw = ImageDraw.Draw(image)
    skin, hair = rng.choice(SKIN), rng.choice(HAIR)
    shirt_name = rng.choice(["teal", "coral", "navy", "plum", "slate blue", "forest green"])
    hair_style = rng.choice(["short", "long", "bun", "curly", "none"])

    def box(x: float, y: float, rx: float, ry: float) -> tuple[float, float, float, float]:
        # Zoomed about the chin: the face fills the circle a 40-pixel avatar is shown in.
        x, y, rx, ry = (
            0.5 + (x - 0.5) * FACE_ZOOM,
            0.6 + (y - 0.6) * FACE_ZOOM,
            rx * FACE_ZOOM,
            ry * FACE_ZOOM,
        )
        return ((x - rx) * side, (y - ry) * side, (x + rx) * side, (y + ry) * side)

    if hair_style == "long":
        draw.rounded_rectangle(box(0.5, 0.55, 0.25, 0.27), radius=side * 0.2, fill=hair)
    draw.ellipse(box(0.5, 1.06, 0.36, 0.3), fill=COLOURS[shirt_name])
    draw.rectangle(box(0.5, 0.7, 0.07, 0.08), fill=_mix(skin, (0, 0, 0), 0.12))
    draw.ellipse(box(0.5, 0.47, 0.19, 0.22), fill=skin)
    if hair_style in ("short", "long", "bun"):
        draw.chord(box(0.5, 0.42, 0.205, 0.2), 180, 360, fill=hair)
        draw.pieslice(box(0.36, 0.36, 0.09, 0.12), 90, 270, fill=hair)
    if hair_style == "bun":
        draw.ellipse(box(0.5, 0.2, 0.09, 0.08), fill=hair)
    if hair_style == "curly":
        for angle in range(180, 361, 20):
            x = 0.5 + 0.18 * math.cos(math.radians(angle))
            y = 0.42 + 0.2 * math.sin(math.radians(angle))
            draw.ellipse(box(x, y, 0.07, 0.07), fill=hair)
    eyes = _mix(skin, (30, 24, 24), 0.85)
    for x in (0.43, 0.57):
        draw.ellipse(box(x, 0.49, 0.018, 0.022), fill=eyes)
    cheeks = _mix(skin, COLOURS["rose"], 0.35)
    for x in (0.39, 0.61):
        draw.ellipse(box(x, 0.56, 0.03, 0.02), fill=cheeks)
    line = int(side * 0.012 * FACE_ZOOM)
    draw.arc(box(0.5, 0.55, 0.06, 0.045), 20, 160, fill=eyes, width=line)
    glasses = rng.random() < 0.25
    if glasses:
        frame = (52, 48, 48)
        for x in (0.43, 0.57):
            draw.ellipse(box(x, 0.49, 0.05, 0.045), outline=frame, width=line)
        left, middle, right, _ = box(0.5, 0.49, 0.02, 0)
        draw.line((left, middle, right, middle), fill=frame, width=line)
    image = image.resize((AVATAR_SIDE, AVATAR_SIDE), Image.Resampling.LANCZOS)
    extra = " and glasses" if glasses else ""
    hair_words = {
        "short": "short hair",
        "long": "long hair",
        "bun": "a bun",
        "curly": "curly hair",
        "none": "a shaved head",
    }[hair_style]
    return image, (
        f"A drawn portrait of a smiling person with {hair_words}{extra}, in a {shirt_name} top, "
        f"on {ground_name}."
    )


def _initials(rng: random.Random, name: str) -> tuple[Image.Image, str]:
    """The person's initials in cream on a diagonal gradient of two related colours."""
    top, bottom = rng.choice(
        [
            ("coral", "plum"),
            ("teal", "navy"),
            ("mustard", "terracotta"),
            ("sky blue", "slate blue"),
            ("sage", "forest green"),
            ("rose", "plum"),
        ]
    )
    side = AVATAR_SIDE
    mask = Image.linear_gradient("L").resize((side * 2, side * 2)).rotate(45)
    mask = mask.crop((side // 2, side // 2, side * 3 // 2, side * 3 // 2))
    image = Image.composite(
        Image.new("RGB", (side, side), COLOURS[bottom]),
        Image.new("RGB", (side, side), COLOURS[top]),
        mask,
    )
    letters = _initials_of(name)
    font = ImageFont.load_default(size=int(side * (0.42 if len(letters) > 1 else 0.5)))
    ImageDraw.Draw(image).text(
        (side / 2, side / 2),
        letters,
        font=font,
        anchor="mm",
        fill=COLOURS["cream"],
        stroke_width=int(side * 0.012),
        stroke_fill=COLOURS["cream"],
    )
    return image, f"The initials {letters} on a {top} and {bottom} gradient."


def _initials_of(name: str) -> str:
    words = [word.strip(".,") for word in name.split()]
    words = [word for word in words if word and word.lower() not in NAME_AFFIXES]
    if not words:
        return "?"
    return (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()


# --- Drawing ----------------------------------------------------------------------------------


def _mix(a: Colour, b: Colour, amount: float) -> Colour:
    amount = min(1.0, max(0.0, amount))
    return tuple(round(x + (y - x) * amount) for x, y in zip(a, b, strict=True))


def _gradient(size: tuple[int, int], top: Colour, bottom: Colour) -> Image.Image:
    mask = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def _fill_below(
    image: Image.Image,
    edge: list[tuple[float, float]],
    colour: Colour,
    *,
    bottom: Colour | None = None,
    soften: float = 1,
) -> None:
    """Paint what lies below `edge` (a line from the left side to the right), in `colour` or
    in a gradient from `colour` down to `bottom`."""
    width, height = image.size
    top = max(0, int(min(y for _, y in edge)) - 4)
    band = min(height, int(max(y for _, y in edge)) + 4) - top
    mask = Image.new("L", (width, height - top), 0)
    outline = [(x, y - top) for x, y in edge]
    ImageDraw.Draw(mask).polygon([*outline, (width, height - top), (0, height - top)], fill=255)
    if soften and band > 0:
        # A slight blur of the edge stands in for anti-aliasing, which ImageDraw does not do.
        mask.paste(mask.crop((0, 0, width, band)).filter(ImageFilter.BoxBlur(soften)), (0, 0))
    fill = colour if bottom is None else _gradient(mask.size, colour, bottom)
    image.paste(fill, (0, top, width, height), mask)


def _disc(
    image: Image.Image,
    centre: tuple[float, float],
    radius: float,
    colour: Colour,
    *,
    opacity: float = 1.0,
    soften: float = 1,
) -> None:
    """Paint a circle, through a mask no larger than the circle (much faster than a full one)."""
    x, y = centre
    pad = int(soften * 3) + 2
    left, top = int(x - radius) - pad, int(y - radius) - pad
    side = int(radius * 2) + 2 * pad + 1
    mask = Image.new("L", (side, side), 0)
    bounds = (x - radius - left, y - radius - top, x + radius - left, y + radius - top)
    ImageDraw.Draw(mask).ellipse(bounds, fill=round(255 * opacity))
    if soften > 2:
        mask = mask.filter(ImageFilter.GaussianBlur(soften))
    elif soften:
        mask = mask.filter(ImageFilter.BoxBlur(soften))
    image.paste(colour, (left, top, left + side, top + side), mask)


def _glow(
    image: Image.Image, centre: tuple[float, float], radius: float, colour: Colour, strength: float
) -> None:
    """Light fading out from `centre`: a radial gradient used as the mask of a colour."""
    diameter = max(2, int(radius * 2))
    # Pillow's radial gradient reaches 181 at the edge of its inscribed circle, 255 at corners.
    falloff = Image.radial_gradient("L").point(
        lambda value: round(255 * strength * max(0.0, 1 - value / 181) ** 2)
    )
    mask = Image.new("L", image.size, 0)
    corner = (int(centre[0] - diameter / 2), int(centre[1] - diameter / 2))
    mask.paste(falloff.resize((diameter, diameter), Image.Resampling.BILINEAR), corner)
    image.paste(colour, None, mask)


def _peaks(rng: random.Random, amplitude: float, points: int = 65) -> list[tuple[float, float]]:
    """A jagged ridge by midpoint displacement: (x from 0 to 1, height from 0 to amplitude)."""
    heights = [0.0] * points
    heights[0], heights[-1] = rng.random(), rng.random()
    step, scale = points - 1, 0.9
    while step > 1:
        half = step // 2
        for index in range(half, points, step):
            middle = (heights[index - half] + heights[index + half]) / 2
            heights[index] = middle + rng.uniform(-scale, scale)
        step, scale = half, scale * 0.55
    low, high = min(heights), max(heights)
    return [
        (index / (points - 1), amplitude * (value - low) / ((high - low) or 1))
        for index, value in enumerate(heights)
    ]


def _swells(rng: random.Random, amplitude: float, points: int = 160) -> list[tuple[float, float]]:
    """A smooth, rolling line: a few sine waves of random phase added together."""
    waves = [(rng.uniform(0.5, 1.0) / k, rng.uniform(0.8, 1.4) * k, rng.uniform(0, math.tau))
             for k in (1, 2, 3.5)]  # fmt: skip
    total = sum(weight for weight, _, _ in waves)
    line = []
    for index in range(points + 1):
        x = index / points
        wave = sum(w * math.sin(f * math.pi * x + phase) for w, f, phase in waves)
        line.append((x, amplitude * (0.5 + 0.5 * wave / total)))
    return line


def _number(count: int) -> str:
    return ["no", "one", "two", "three", "four", "five", "six", "seven"][count]


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _encode(image: Image.Image, image_format: str) -> bytes:
    out = io.BytesIO()
    options = {"quality": 88} if image_format == "JPEG" else {"optimize": False}
    image.save(out, image_format, **options)
    return out.getvalue()
