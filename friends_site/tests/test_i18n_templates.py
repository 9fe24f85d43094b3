"""Every human-readable string of the templates is translatable (README "Languages").

The rule: each template under templates/ is split by Django's own Lexer. Text inside
{% translate %}, {% blocktranslate %}…{% endblocktranslate %}, {% comment %}, <script>/<style>
elements and {% block page_class %} (CSS classes) is left out; every other tag and variable
becomes a neutral placeholder. What remains is read as HTML: its visible text, and the
attributes people read (title, alt, placeholder, aria-label, aria-description, data-*-label /
data-*-text), must hold no letter (A-Z, a-z) once the few names in ALLOWED and file names
("profile.json") are taken out. Plain-text templates (.txt, emails) are all visible text, but
for addresses (words with a slash). Literal strings passed to an include's `with` that hold a
capital letter are labels too: they must be `_("…")`.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"

# Names that stay as they are in every language.
ALLOWED = ("Friends", "API")

HUMAN_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description"}
PLACEHOLDER = "\x00"
LETTERS = re.compile(r"[A-Za-z]")
INCLUDE_LITERAL = re.compile(r"""(\w+)=("[^"]*"|'[^']*')""")


# File names shown as they are ("profile.json"), with or without a placeholder before the dot.
FILE_NAME = re.compile(r"[\w\x00-]*\.(?:json|html|zip|txt)\b")


def _without_allowed(text: str) -> str:
    text = FILE_NAME.sub("", text)
    for word in ALLOWED:
        text = re.sub(rf"\b{word}\b", "", text)
    return text


def _is_human_attribute(name: str) -> bool:
    return name in HUMAN_ATTRIBUTES or (
        name.startswith("data-") and name.endswith(("-label", "-text"))
    )


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden_depth += 1
        for name, value in attrs:
            if value and _is_human_attribute(name) and LETTERS.search(_without_allowed(value)):
                self.found.append(f'{tag}[{name}="{value}"]')

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_data(self, data):
        if not self._hidden_depth and LETTERS.search(_without_allowed(data)):
            self.found.append(data.strip())


def untranslated_strings(source: str, *, html: bool = True) -> list[str]:
    """The human-readable strings of a template's source that are not marked for translation."""
    skeleton = []
    found = []
    skipping = None  # the closing tag while inside a block whose text is not checked
    for token in Lexer(source).tokenize():
        contents = token.contents.strip() if token.token_type != TokenType.TEXT else ""
        if skipping:
            if token.token_type == TokenType.BLOCK and contents.split()[0] == skipping:
                skipping = None
            continue
        if token.token_type == TokenType.TEXT:
            skeleton.append(token.contents)
            continue
        if token.token_type == TokenType.BLOCK:
            name = contents.split()[0] if contents else ""
            if name in ("blocktranslate", "blocktrans"):
                skipping = "endblocktranslate" if name == "blocktranslate" else "endblocktrans"
            elif name == "comment":
                skipping = "endcomment"
            elif contents == "block page_class":
                skipping = "endblock"  # CSS classes added to base.html's class attribute
            elif name == "include" and " with " in contents:
                for key, literal in INCLUDE_LITERAL.findall(contents):
                    if re.search("[A-Z]", literal):
                        found.append(f"{{% include … {key}={literal} %}}")
        skeleton.append(PLACEHOLDER)
    text = "".join(skeleton)
    if html:
        parser = _VisibleText()
        parser.feed(text)
        parser.close()
        found.extend(parser.found)
    else:
        # Addresses (anything with a slash: "…/signup/") are not words.
        found.extend(
            line.strip()
            for line in text.splitlines()
            if LETTERS.search(_without_allowed(re.sub(r"\S*/\S*", "", line)))
        )
    return [item.replace(PLACEHOLDER, "…") for item in found]


def _templates():
    return sorted(
        path
        for path in TEMPLATES_DIR.rglob("*")
        if path.suffix in (".html", ".txt") and path.is_file()
    )


@pytest.mark.parametrize(
    "path", _templates(), ids=lambda path: str(path.relative_to(TEMPLATES_DIR))
)
def test_template_has_no_untranslated_string(path):
    found = untranslated_strings(path.read_text(), html=path.suffix == ".html")
    assert found == [], f"{path.relative_to(TEMPLATES_DIR)}: untranslated text {found}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<p>Hello</p>", ["Hello"]),
        ('<p>{% translate "Hello" %}</p>', []),
        ("{% blocktranslate %}Hi {{ name }}{% endblocktranslate %}", []),
        ('<img alt="A cat" src="/x.png">', ['img[alt="A cat"]']),
        ('<a class="button primary" href="/signup/">{% translate "Sign up" %}</a>', []),
        ('<span title="{% translate "Menu" %}"></span>', []),
        ("{% comment %}Notes for developers{% endcomment %}", []),
        ("<script>var x = 1;</script>", []),
        ("<footer>Friends · API</footer>", []),
        ('<a href="profile.json">profile.json</a>', []),
        ('{% include "x.html" with label="Like" %}', ['{% include … label="Like" %}']),
        ('{% include "x.html" with label=_("Like") kind="like" %}', []),
    ],
)
def test_the_rule(source, expected):
    assert untranslated_strings(source) == expected
