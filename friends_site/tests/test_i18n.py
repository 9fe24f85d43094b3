"""Korean and English (README "Languages"): the catalogs, how the language is chosen, emails in
the recipient's language, API errors, and the newcomer journey read in Korean."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core import mail
from django.template.base import Lexer, TokenType
from django.test import Client
from django.utils import translation

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from core.management.commands.compilemessages import catalogs, compiled
from posts.services import comment_create, like_set, post_create

KO = {"HTTP_ACCEPT_LANGUAGE": "ko-KR,ko;q=0.9,en;q=0.5"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


# --- The catalogs -----------------------------------------------------------------------------


def test_there_are_korean_and_english_catalogs():
    languages = {path.parent.parent.name for path in catalogs()}
    assert languages == {"en", "ko"}


@pytest.mark.parametrize("po_path", catalogs(), ids=lambda path: path.parent.parent.name)
def test_the_committed_mo_is_the_compiled_po(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run manage.py compilemessages"
    assert mo_path.read_bytes() == compiled(po_path), (
        f"{mo_path} is older than its .po: run manage.py compilemessages"
    )


@pytest.mark.parametrize("po_path", catalogs(), ids=lambda path: path.parent.parent.name)
def test_every_string_is_translated_with_the_same_placeholders(po_path):
    catalog = polib.pofile(str(po_path))
    entries = [entry for entry in catalog if not entry.obsolete]
    assert len(entries) > 400
    untranslated = [entry.msgid for entry in catalog.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []
    for entry in entries:
        wanted = set(PLACEHOLDER.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert set(PLACEHOLDER.findall(text)) == wanted, entry.msgid


def test_every_translate_tag_of_the_templates_is_in_the_catalog():
    """Strings added since the last makemessages are not in the catalog: run it again."""
    msgids = {entry.msgid for entry in polib.pofile(str(_catalog("ko"))) if not entry.obsolete}
    literal = re.compile(r"""^translate (["'])(.*?)\1(?: context (["']).*?\3)?(?: as \w+)?$""")
    missing = []
    for path in sorted(Path(settings.BASE_DIR, "templates").rglob("*.*")):
        for token in Lexer(path.read_text()).tokenize():
            match = literal.match(token.contents.strip())
            if token.token_type == TokenType.BLOCK and match and match.group(2) not in msgids:
                missing.append(f"{path.name}: {match.group(2)}")
    assert missing == []


def _catalog(language: str) -> Path:
    return Path(settings.BASE_DIR, "locale", language, "LC_MESSAGES", "django.po")


# --- Which language a page is in --------------------------------------------------------------


@pytest.mark.django_db
def test_accept_language_chooses_korean_and_english_stays_the_default(client):
    korean = client.get("/login/", **KO)
    assert '<html lang="ko">' in korean.content.decode()
    assert "로그인" in korean.content.decode()
    assert korean["Content-Language"] == "ko"
    english = Client().get("/login/")
    assert '<html lang="en">' in english.content.decode()
    assert "Log in" in english.content.decode()


@pytest.mark.django_db
def test_the_persons_setting_wins_over_the_browser(client):
    person = UserFactory(language="ko")
    client.force_login(person)
    page = client.get("/settings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="ko">' in page
    assert "설정" in page
    person.language = ""
    person.save(update_fields=["language"])
    assert (
        '<html lang="en">' in client.get("/settings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert '<html lang="ko">' in client.get("/settings/", **KO).content.decode()


@pytest.mark.django_db
def test_the_footer_switcher_sets_the_cookie_and_works_without_javascript(client):
    page = client.get("/login/").content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert '<option value="ko" lang="ko"' in page
    response = client.post("/i18n/setlang/", {"language": "ko", "next": "/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ko"
    assert '<html lang="ko">' in client.get("/login/").content.decode()


@pytest.mark.django_db
def test_the_switcher_saves_a_signed_in_persons_setting(client):
    person = UserFactory()
    client.force_login(person)
    client.post("/i18n/setlang/", {"language": "ko", "next": "/settings/"})
    person.refresh_from_db()
    assert person.language == "ko"
    # Another browser, without the cookie, gets Korean too.
    other = Client()
    other.force_login(person)
    assert '<html lang="ko">' in other.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.django_db
def test_the_settings_page_sets_the_language(client):
    person = UserFactory()
    client.force_login(person)
    form = client.get("/settings/").content.decode()
    assert 'name="language"' in form
    client.post("/settings/", {"display_name": "Ada", "bio": "", "language": "ko"})
    person.refresh_from_db()
    assert person.language == "ko"
    client.post("/settings/", {"display_name": "Ada", "bio": "", "language": ""})
    person.refresh_from_db()
    assert person.language == ""


@pytest.mark.django_db
def test_dates_are_written_the_korean_way(client):
    author = UserFactory()
    post = post_create(author=author, title="제목", body="")
    page = client.get(f"/posts/{post.pk}/", **KO).content.decode()
    assert f"{post.created_at.year}년" in page


# --- Emails in the recipient's language -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_emails_go_out_in_the_recipients_language(client, run_worker):
    client.post(
        "/signup/",
        {
            "username": "minsu",
            "email": "minsu@example.com",
            "display_name": "민수",
            "password1": "plum-orchard-velvet-42",
            "password2": "plum-orchard-velvet-42",
        },
        **KO,
    )
    # They signed up in Korean: that is their setting, and their welcome email is Korean...
    run_worker()
    assert User.objects.get(username="minsu").language == "ko"
    assert mail.outbox[-1].subject != "Welcome to Friends"
    assert 'lang="ko"' in mail.outbox[-1].alternatives[0][0]
    # ...as are their later emails (a password reset here).
    Client().post("/password-reset/", {"email": "minsu@example.com"})
    run_worker()
    reset = mail.outbox[-1]
    assert reset.subject == "Friends 비밀번호 재설정"
    assert "비밀번호" in reset.body
    assert "Hello" not in reset.body
    assert 'lang="ko"' in reset.alternatives[0][0]


@pytest.mark.django_db(transaction=True)
def test_an_invitation_goes_out_in_the_inviters_language(client, run_worker):
    inviter = UserFactory(display_name="지은", language="ko")
    client.force_login(inviter)
    client.post("/invite/", {"email": "friend@example.com"})
    run_worker()
    invitation = mail.outbox[-1]
    assert invitation.subject == "지은님이 Friends에 초대했습니다"
    assert "가입하면" in invitation.body


# --- The API ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_errors_have_a_korean_detail_and_the_same_english_code(client):
    for headers in ({}, KO):
        missing = client.get("/api/v1/no-such-thing/", **headers)
        assert missing.json()["code"] == "not_found"
        unauthenticated = client.get("/api/v1/me/", **headers)
        assert unauthenticated.json()["code"] == "not_authenticated"
    assert HANGUL.search(client.get("/api/v1/no-such-thing/", **KO).json()["detail"])
    assert HANGUL.search(client.get("/api/v1/me/", **KO).json()["detail"])
    assert client.get("/api/v1/me/").json()["detail"].startswith("Authentication")


@pytest.mark.django_db
def test_a_service_error_reaches_the_api_in_korean():
    from accounts.tests.factories import api_client_for

    person = UserFactory()
    api = api_client_for(person)
    answer = api.put(f"/api/v1/users/{person.username}/follow/", HTTP_ACCEPT_LANGUAGE="ko")
    assert answer.status_code == 409
    assert answer.json()["code"] == "follow_self"
    assert answer.json()["detail"] == "자기 자신은 팔로우할 수 없습니다."


# --- The newcomer journey, in Korean ----------------------------------------------------------

# Names that stay as they are in Korean: the site's, the formats', the language switcher's own
# name for English, the time zone.
ALLOWED_WORDS = {
    "Friends",
    "API",
    "English",
    "UTC",
    "MB",
    "JPEG",
    "PNG",
    "WebP",
    "GIF",
    "HEIC",
    "HEIF",
    "AVIF",
}
HUMAN_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label"}


class _Visible(HTMLParser):
    """The text a person reads or hears: text outside script/style, and the attributes read."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        attributes = dict(attrs)
        for name in HUMAN_ATTRIBUTES & attributes.keys():
            self.parts.append(attributes[name] or "")
        if tag == "input" and attributes.get("type") in ("submit", "button"):
            self.parts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def english_words(html: str, user_content: list[str]) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    text = " ".join(parser.parts)
    for content in sorted(user_content, key=len, reverse=True):
        text = text.replace(content, " ")
    words = re.findall(r"[A-Za-z]{2,}", text)
    return [word for word in words if word not in ALLOWED_WORDS]


@pytest.mark.django_db
def test_with_accept_language_ko_the_newcomer_journey_shows_no_english(client):
    friend = UserFactory(username="jieun", email="jieun@example.com", display_name="이지은")
    friends_post = post_create(author=friend, title="첫 글", body="안녕하세요 123")
    user_content = ["jieun", "jieun@example.com", "minsu", "minsu@example.com", "/u/"]
    checked = []

    def read(path: str, response=None) -> str:
        response = response or client.get(path, **KO)
        html = response.content.decode()
        found = english_words(html, user_content)
        assert found == [], f"{path}: English words {found}"
        checked.append(path)
        return html

    read("/", client.get("/", follow=True, **KO))
    read("/signup/")
    wrong = {
        "username": "minsu",
        "email": "not an address",
        "display_name": "민수",
        "password1": "short",
        "password2": "different",
    }
    errors = read("/signup/ (errors)", client.post("/signup/", wrong, **KO))
    assert "errorlist" in errors
    read("/login/")
    read("/password-reset/")
    signed_up = client.post(
        "/signup/",
        {
            "username": "minsu",
            "email": "minsu@example.com",
            "display_name": "김민수",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        follow=True,
        **KO,
    )
    read("/signup/ (done)", signed_up)
    minsu = User.objects.get(username="minsu")
    like_set(user=friend, post=post_create(author=minsu, title="두 번째 글", body="사진 없음"))
    comment_create(author=friend, post=friends_post, body="좋아요 @minsu")
    read("/")
    read("/people/")
    read("/people/?q=jieun")
    read("/u/jieun/")
    read("/u/minsu/")
    read("/posts/new/")
    created = client.post("/posts/new/", {"title": "새 글", "body": "본문 456"}, follow=True, **KO)
    read("/posts/new/ (done)", created)
    read(f"/posts/{friends_post.pk}/")
    read("/settings/")
    read("/notifications/")
    read("/invite/")
    read("/nothing-here/", client.get("/nothing-here/", **KO))
    assert client.get("/nothing-here/", **KO).status_code == 404
    assert len(checked) == 18


def test_the_rule_finds_english_left_in_a_page():
    assert english_words("<p>피드</p><a title='Menu'>메뉴</a>", []) == ["Menu"]
    assert english_words("<p>Friends · API</p><script>var x;</script>", []) == []
    assert english_words("<p>@minsu 님</p>", ["minsu"]) == []


def test_korean_plural_forms_and_relative_waits():
    from core.ratelimit import readable_wait

    with translation.override("ko"):
        assert readable_wait(30) == "30초"
        assert readable_wait(3600) == "60분"
    with translation.override("en"):
        assert readable_wait(1) == "1 second"
        assert readable_wait(30) == "30 seconds"
