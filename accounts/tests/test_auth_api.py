import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import EmailDelivery, User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = "/api/v1/auth/signup/"
STRONG = "plum-orchard-velvet-42"


@pytest.fixture
def api():
    return APIClient()


def signup(api, **overrides):
    body = {"username": "ada", "email": "ada@example.com", "password": STRONG, **overrides}
    return api.post(SIGNUP, body, format="json")


def test_signup_returns_the_user_and_queues_the_welcome_email(
    api, run_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(api, display_name="Ada Lovelace")

    assert response.status_code == 201
    assert response.json() == {
        "id": response.json()["id"],
        "username": "ada",
        "email": "ada@example.com",
        "display_name": "Ada Lovelace",
        "bio": "",
        "likes_public": False,
        "date_joined": response.json()["date_joined"],
        "language": "",  # the browser's
        "avatar": None,  # none until one is uploaded and processed
        "avatar_pending": None,
    }
    delivery = EmailDelivery.objects.get()
    assert (delivery.kind, delivery.recipient, delivery.status) == (
        "welcome",
        "ada@example.com",
        "pending",
    )
    assert mail.outbox == []  # never sent inside the request

    run_worker()

    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    delivery.refresh_from_db()
    assert delivery.status == "sent"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"username": "ADA"}, "username"),
        ({"username": "other", "email": "Ada@Example.COM"}, "email"),
    ],
)
def test_signup_refuses_names_that_differ_only_in_case(api, overrides, field):
    UserFactory(username="ada", email="ada@example.com")

    response = signup(api, **overrides)

    assert response.status_code == 409  # taken: a conflict, not a malformed request
    assert "already exists" in response.json()["errors"][field][0]
    assert User.objects.count() == 1
    assert EmailDelivery.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"password": "password123"}, "password", "too common"),
        ({"password": "ada"}, "password", "too short"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"username": "a" * 151}, "username", "no more than 150"),
        ({"display_name": "x" * 51}, "display_name", "no more than 50"),
        ({"username": "bad name!"}, "username", "English letters, digits"),
        # Usernames are ASCII handles, as the schema's pattern says in every regex dialect.
        ({"username": "ăna"}, "username", "English letters, digits"),
        ({"username": "철수"}, "username", "English letters, digits"),
        ({"username": ""}, "username", "blank"),
    ],
)
def test_signup_with_bad_input_explains_and_creates_nothing(api, overrides, field, words):
    response = signup(api, **overrides)

    assert response.status_code == 400
    body = response.json()
    assert words in " ".join(body["errors"][field])
    assert body["detail"]
    assert User.objects.count() == 0
    assert EmailDelivery.objects.count() == 0


def test_signup_with_missing_fields_lists_each(api):
    response = api.post(SIGNUP, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "email", "password"}


def test_signup_with_a_json_list_is_a_400_not_a_500(api):
    response = api.post(SIGNUP, [1, 2], format="json")

    assert response.status_code == 400


def test_token_for_right_credentials_only(api):
    user = UserFactory(username="Grace")

    good = api.post("/api/v1/auth/token/", {"username": "grace", "password": PASSWORD})
    bad = api.post("/api/v1/auth/token/", {"username": "grace", "password": "nope"})

    assert good.status_code == 200
    assert bad.status_code == 401
    assert bad["WWW-Authenticate"].startswith("Token")
    assert "Unable to log in" in bad.json()["detail"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {good.json()['token']}")
    assert api.get("/api/v1/me/").json()["username"] == user.username


def test_password_reset_answers_the_same_for_unknown_addresses(api):
    UserFactory(email="known@example.com")

    known = api.post("/api/v1/auth/password-reset/", {"email": "KNOWN@example.com"})
    unknown = api.post("/api/v1/auth/password-reset/", {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert list(EmailDelivery.objects.values_list("recipient", "kind")) == [
        ("known@example.com", "password_reset")
    ]


def test_password_reset_with_an_invalid_address_is_a_400(api):
    response = api.post("/api/v1/auth/password-reset/", {"email": "nope"})

    assert response.status_code == 400
    assert "errors" in response.json()


def test_me_shows_and_updates_the_own_profile(api):
    user = UserFactory(display_name="Old")
    api.force_authenticate(user)

    response = api.patch("/api/v1/me/", {"display_name": "New", "bio": "Hello"}, format="json")

    assert response.status_code == 200
    assert response.json()["display_name"] == "New"
    user.refresh_from_db()
    assert (user.display_name, user.bio) == ("New", "Hello")


def test_me_makes_the_likes_public_and_private_again(api):
    user = UserFactory()
    api.force_authenticate(user)
    assert api.get("/api/v1/me/").json()["likes_public"] is False

    shown = api.patch("/api/v1/me/", {"likes_public": True}, format="json")
    user.refresh_from_db()
    assert (shown.json()["likes_public"], user.likes_public) == (True, True)

    hidden = api.patch("/api/v1/me/", {"likes_public": "false"}, format="multipart")
    user.refresh_from_db()
    assert (hidden.json()["likes_public"], user.likes_public) == (False, False)
    assert api.patch("/api/v1/me/", {"likes_public": "perhaps"}, format="json").status_code == 400


@pytest.mark.parametrize(
    ("value", "content"),
    [("true", "json"), ("1", "json"), (1, "json"), ("0", "multipart"), ("yes", "multipart")],
)
def test_me_takes_likes_public_only_as_the_schema_writes_a_boolean(api, value, content):
    """JSON true/false, or the words "true"/"false" in a form: nothing else the schema would
    call invalid is taken."""
    user = UserFactory(likes_public=True)
    api.force_authenticate(user)

    response = api.patch("/api/v1/me/", {"likes_public": value}, format=content)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["likes_public"]
    user.refresh_from_db()
    assert user.likes_public is True


def test_me_refuses_overlong_fields_and_read_only_changes(api):
    user = UserFactory(username="ada", email="ada@example.com", bio="Before")
    api.force_authenticate(user)

    too_long = api.patch("/api/v1/me/", {"bio": "x" * 301}, format="json")
    read_only = api.patch(
        "/api/v1/me/", {"username": "hijack", "email": "hijack@example.com"}, format="json"
    )

    assert too_long.status_code == 400
    assert "bio" in too_long.json()["errors"]
    assert read_only.status_code == 200
    assert (read_only.json()["username"], read_only.json()["email"]) == ("ada", "ada@example.com")
    user.refresh_from_db()
    assert (user.bio, user.username, user.email) == ("Before", "ada", "ada@example.com")


def test_me_needs_a_login(api):
    assert api.get("/api/v1/me/").status_code in (401, 403)


def test_an_address_in_a_reserved_domain_that_no_mail_reaches_is_refused(api):
    response = api.post(
        "/api/v1/auth/signup/",
        {"username": "demo_9", "email": "demo_9@demo.invalid", "password": STRONG},
    )

    assert response.status_code == 400
    assert "email" in response.json()["errors"]
