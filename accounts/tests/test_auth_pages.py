import re

import pytest
from django.core import mail

from accounts.models import EmailDelivery, User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-velvet-42"


def signup_form(**overrides):
    return {
        "username": "ada",
        "email": "ada@example.com",
        "display_name": "Ada",
        "password1": STRONG,
        "password2": STRONG,
        **overrides,
    }


def test_anonymous_visitors_get_a_welcome_page_with_sign_up_and_log_in(client):
    html = client.get("/").content.decode()

    assert 'href="/signup/"' in html
    assert 'href="/login/"' in html


def test_signing_up_logs_in_and_queues_the_welcome_email(
    client, django_capture_on_commit_callbacks, run_worker
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/signup/", signup_form(), follow=True)

    assert response.redirect_chain[0] == ("/", 302)
    assert response.wsgi_request.user.username == "ada"
    assert "Welcome to Friends, Ada!" in response.content.decode()
    run_worker()
    assert [m.subject for m in mail.outbox] == ["Welcome to Friends"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"username": "GRACE"}, "A user with that username already"),
        ({"email": "Grace@Example.com"}, "A user with that email address already"),
        ({"password1": "password", "password2": "password"}, "This password is too common."),
        ({"password2": "something-else-entirely"}, "The two passwords do not match."),
        ({"email": "ada@"}, "Enter a valid email address."),
        ({"username": "a" * 151}, "at most 150 characters"),
        ({"display_name": "d" * 51}, "at most 50 characters"),
        ({"username": ""}, "This field is required."),
        ({"username": "철수"}, "English letters, digits and @ . + - _ only"),
        ({"username": "ăna"}, "English letters, digits and @ . + - _ only"),
    ],
)
def test_sign_up_with_bad_input_shows_the_error_and_creates_nothing(client, overrides, message):
    UserFactory(username="grace", email="grace@example.com")

    response = client.post("/signup/", signup_form(**overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == 1
    assert EmailDelivery.objects.count() == 0


def test_log_in_ignores_the_case_of_the_username_and_log_out_is_post_only(client):
    UserFactory(username="grace")

    response = client.post("/login/", {"username": "GRACE", "password": PASSWORD}, follow=True)
    assert response.wsgi_request.user.is_authenticated

    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/", follow=True)
    assert not response.wsgi_request.user.is_authenticated
    assert "You are logged out." in response.content.decode()


def test_log_in_with_a_wrong_password_says_so(client):
    UserFactory(username="grace")

    response = client.post("/login/", {"username": "grace", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_settings_saves_the_profile_and_rejects_an_overlong_bio(client):
    user = UserFactory(display_name="Before")
    client.force_login(user)

    response = client.post("/settings/", {"display_name": "After", "bio": "Hi"}, follow=True)
    assert "Your profile is saved." in response.content.decode()
    response = client.post("/settings/", {"display_name": "Again", "bio": "b" * 301})

    assert "at most 300 characters" in response.content.decode()
    user.refresh_from_db()
    assert (user.display_name, user.bio) == ("After", "Hi")


def test_settings_checkbox_shows_the_likes_on_the_profile_and_hides_them_again(client):
    user = UserFactory(username="ada")
    client.force_login(user)
    page = client.get("/settings/").content.decode()
    assert re.search(r'<input type="checkbox" name="likes_public"(?![^>]*checked)[^>]*>', page)

    client.post("/settings/", {"display_name": "Ada", "bio": "", "likes_public": "on"})
    user.refresh_from_db()
    assert user.likes_public
    page = client.get("/settings/").content.decode()
    assert re.search(r'<input type="checkbox" name="likes_public"[^>]*checked', page)

    # A form posts nothing for an unticked box: the likes are private again.
    client.post("/settings/", {"display_name": "Ada", "bio": ""})
    user.refresh_from_db()
    assert not user.likes_public


@pytest.mark.parametrize(
    ("path", "data", "field", "message"),
    [
        ("/signup/", signup_form(password2="something-else-1"), "password2", "do not match"),
        ("/signup/", signup_form(email="not-an-address"), "email", "valid email"),
        ("/settings/", {"display_name": "x" * 51}, "display_name", "at most 50"),
        ("/posts/new/", {"title": "", "body": "words"}, "title", "required"),
    ],
)
def test_a_field_error_sits_after_its_field_which_points_at_it(client, path, data, field, message):
    if path != "/signup/":
        client.force_login(UserFactory())
    html = client.post(path, data).content.decode()

    widget = re.search(rf'<(?:input|textarea)[^>]* name="{field}"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in widget
    assert f"id_{field}_error" in re.search(r'aria-describedby="([^"]*)"', widget).group(1)
    # The error list comes right after the field's own paragraph (label, help, widget).
    after = html[html.index(widget) + len(widget) :]
    errors = re.match(rf'\s*</p>\s*<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', after)
    assert errors, after[:300]
    assert message in errors.group(1)


def test_log_in_error_is_shown_above_the_fields(client):
    html = client.post("/login/", {"username": "nobody", "password": "wrong"}).content.decode()
    assert html.index('class="errorlist nonfield"') < html.index('name="username"')


def test_settings_needs_a_login(client):
    response = client.get("/settings/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_password_change_from_settings(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        "/settings/password/",
        {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG},
        follow=True,
    )

    assert "Your password is changed." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(STRONG)


def test_password_reset_by_email_link_sets_a_new_password(
    client, django_capture_on_commit_callbacks, run_worker, settings
):
    settings.SITE_URL = "https://friends.example.com"
    user = UserFactory(email="reset@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/password-reset/", {"email": "Reset@Example.com"}, follow=True)
    assert "Check your email" in response.content.decode()
    run_worker()

    [message] = mail.outbox
    html = message.alternatives[0].content
    link = re.search(r"https://friends\.example\.com(/password-reset/\S+/\S+/)", message.body)
    assert link, message.body
    assert link.group(0) in html
    response = client.get(link.group(1), follow=True)
    set_password_url = response.redirect_chain[-1][0]
    response = client.post(
        set_password_url, {"new_password1": STRONG, "new_password2": STRONG}, follow=True
    )
    assert "Your password is changed" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(STRONG)
    # The link works once.
    response = client.get(link.group(1), follow=True)
    assert "This link does not work" in response.content.decode()


def test_password_reset_page_answers_the_same_for_unknown_addresses(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="known@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/password-reset/", {"email": "known@example.com"}, follow=True)
        unknown = client.post("/password-reset/", {"email": "nobody@example.com"}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain
    # The same but for the CSRF token of the footer's language form, masked anew every time.
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub(b"", known.content) == token.sub(b"", unknown.content)
    assert EmailDelivery.objects.filter(kind="password_reset").count() == 1
