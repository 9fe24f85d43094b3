"""API tokens: one per device or client, stored as digests, ending at their expiry, on revoking,
and all at once with a password change or a deactivation."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.management.commands import changepassword
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.crypto import hash_token
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
STRONG = "plum-orchard-velvet-42"


def log_in(username: str, password: str = PASSWORD, *, name: str = "", **headers) -> dict:
    """POST auth/token/ as an app would; the answer's JSON."""
    body = {"username": username, "password": password, "name": name}
    response = APIClient().post(f"{API}/auth/token/", body, format="json", **headers)
    assert response.status_code == 200, response.content
    return response.json()


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def works(key: str) -> bool:
    """Whether `key` still opens the API: 200 on me/, or 401."""
    status = client_with(key).get(f"{API}/me/").status_code
    assert status in (200, 401), status
    return status == 200


# --- Log-in, names, storage -------------------------------------------------------------------


def test_log_in_answers_the_key_once_with_the_tokens_name_and_expiry(settings):
    settings.API_TOKEN_TTL_DAYS = 7
    user = UserFactory(username="ada")

    body = log_in("ADA", name="  Ada's phone  ")

    assert set(body) == {"token", "id", "name", "created", "expires_at"}
    assert body["name"] == "Ada's phone"
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == user
    assert abs(token.expiry - token.created - timedelta(days=7)) < timedelta(seconds=5)
    assert client_with(body["token"]).get(f"{API}/me/").json()["username"] == "ada"


def test_a_token_without_a_name_is_named_after_the_user_agent_on_one_trimmed_line():
    UserFactory(username="ada")

    short = log_in("ada", HTTP_USER_AGENT="FriendsApp/2.1\n (iPhone;   iOS 18.2)")
    long = log_in("ada", HTTP_USER_AGENT="Agent/1.0 " + "x" * 300)
    unstorable = log_in("ada", HTTP_USER_AGENT="Bad\x00Agent")

    assert short["name"] == "FriendsApp/2.1 (iPhone; iOS 18.2)"
    assert len(long["name"]) == 100
    assert long["name"].startswith("Agent/1.0 xxx")
    assert long["name"].endswith("…")
    assert unstorable["name"] == "API client"


def test_the_key_is_not_stored_the_database_holds_only_its_digest():
    UserFactory(username="ada")

    body = log_in("ada", name="Phone")

    key = body["token"]
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    row = ApiToken.objects.filter(pk=body["id"]).values().get()
    assert row["digest"] == hash_token(key)
    assert not [column for column, value in row.items() if key in str(value)]


def test_every_log_in_makes_a_token_of_its_own_and_deletes_the_persons_expired_ones():
    user = UserFactory(username="ada")
    old = log_in("ada", name="Old tablet")
    ApiToken.objects.filter(pk=old["id"]).update(expiry=timezone.now() - timedelta(seconds=1))

    phone = log_in("ada", name="Phone")
    laptop = log_in("ada", name="Laptop")

    assert phone["token"] != laptop["token"]
    assert works(phone["token"])
    assert works(laptop["token"])
    assert sorted(user.auth_token_set.values_list("name", flat=True)) == ["Laptop", "Phone"]


def test_an_expired_token_answers_401():
    UserFactory(username="ada")
    body = log_in("ada")
    assert works(body["token"])

    ApiToken.objects.filter(pk=body["id"]).update(expiry=timezone.now() - timedelta(seconds=1))

    response = client_with(body["token"]).get(f"{API}/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    "header",
    ["Token", "Token a b", "Token caf\u00e9", "Token " + "0" * 64],
    ids=["no key", "spaces", "not ascii", "unknown"],
)
def test_a_malformed_or_unknown_key_answers_401_never_500(header):
    UserFactory(username="ada")
    log_in("ada")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(f"{API}/me/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_last_used_at_moves_on_use_but_not_more_than_once_a_minute():
    UserFactory(username="ada")
    body = log_in("ada")
    client = client_with(body["token"])
    token = ApiToken.objects.get(pk=body["id"])
    assert token.last_used_at is None

    client.get(f"{API}/me/")
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    with CaptureQueriesContext(connection) as queries:
        client.get(f"{API}/me/")
    token.refresh_from_db()
    assert token.last_used_at == first_use  # a second later: recorded already
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]

    a_minute_ago = timezone.now() - timedelta(minutes=1, seconds=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=a_minute_ago)
    client.get(f"{API}/me/")
    token.refresh_from_db()
    assert token.last_used_at > a_minute_ago + timedelta(minutes=1)


# --- Ending tokens through the API ------------------------------------------------------------


def test_delete_auth_token_ends_that_token_and_leaves_the_others_working():
    UserFactory(username="ada")
    phone = log_in("ada", name="Phone")
    laptop = log_in("ada", name="Laptop")

    response = client_with(phone["token"]).delete(f"{API}/auth/token/")

    assert response.status_code == 204
    assert not works(phone["token"])
    assert works(laptop["token"])
    assert client_with(phone["token"]).delete(f"{API}/auth/token/").status_code == 401


def test_delete_auth_token_needs_a_token_not_a_session():
    user = UserFactory(username="ada")
    phone = log_in("ada", name="Phone")
    client = APIClient()
    client.force_login(user)

    assert client.delete(f"{API}/auth/token/").status_code == 401
    assert works(phone["token"])


def test_the_list_shows_names_and_the_current_token_never_keys():
    ada = UserFactory(username="ada")
    UserFactory(username="bob")
    phone = log_in("ada", name="Phone")
    laptop = log_in("ada", name="Laptop")
    bobs = log_in("bob", name="Bob's phone")
    expired = log_in("ada", name="Expired")
    ApiToken.objects.filter(pk=expired["id"]).update(expiry=timezone.now())

    response = client_with(phone["token"]).get(f"{API}/me/tokens/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [(t["name"], t["current"]) for t in results] == [("Laptop", False), ("Phone", True)]
    assert set(results[0]) == {"id", "name", "created", "last_used_at", "expires_at", "current"}
    text = response.content.decode()
    for key in (phone["token"], laptop["token"], bobs["token"]):
        assert key not in text
    assert ApiToken.objects.get(pk=phone["id"]).digest not in text
    session = APIClient()
    session.force_login(ada)
    assert [t["current"] for t in session.get(f"{API}/me/tokens/").json()["results"]] == [
        False,
        False,
    ]


def test_revoking_one_of_your_tokens_ends_it_at_once():
    UserFactory(username="ada")
    phone = log_in("ada", name="Phone")
    laptop = log_in("ada", name="Laptop")

    response = client_with(laptop["token"]).delete(f"{API}/me/tokens/{phone['id']}/")

    assert response.status_code == 204
    assert not works(phone["token"])
    assert works(laptop["token"])


def test_revoking_another_users_token_is_404_and_changes_nothing():
    UserFactory(username="ada")
    UserFactory(username="bob")
    ada = log_in("ada", name="Phone")
    bob = log_in("bob", name="Bob's phone")

    response = client_with(ada["token"]).delete(f"{API}/me/tokens/{bob['id']}/")
    missing = client_with(ada["token"]).delete(f"{API}/me/tokens/{bob['id'] + 100}/")

    assert response.status_code == 404
    assert response.json() == missing.json()  # no way to tell a token of someone else exists
    assert works(bob["token"])
    assert ApiToken.objects.count() == 2


# --- Password changes and deactivation end every token ----------------------------------------


def test_after_a_password_reset_the_old_token_answers_401(
    client, django_capture_on_commit_callbacks, run_worker
):
    UserFactory(username="ada", email="ada@example.com")
    old = log_in("ada", name="Lost phone")
    with django_capture_on_commit_callbacks(execute=True):
        APIClient().post(f"{API}/auth/password-reset/", {"email": "ada@example.com"})
    run_worker()
    [message] = mail.outbox
    link = re.search(r"https?://[^/\s]+(/password-reset/\S+/\S+/)", message.body).group(1)

    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": STRONG, "new_password2": STRONG})

    assert not works(old["token"])
    assert not ApiToken.objects.exists()
    assert works(log_in("ada", STRONG)["token"])


def test_after_a_password_change_on_the_settings_page_the_old_tokens_answer_401(client):
    user = UserFactory(username="ada")
    tokens = [log_in("ada", name="Phone"), log_in("ada", name="Laptop")]
    client.force_login(user)

    response = client.post(
        "/settings/password/",
        {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG},
        follow=True,
    )

    assert "Your password is changed." in response.content.decode()
    assert [works(token["token"]) for token in tokens] == [False, False]


def test_the_admins_password_form_and_the_changepassword_command_end_the_tokens(
    client, monkeypatch
):
    user = UserFactory(username="ada")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    first = log_in("ada")

    response = client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": STRONG, "password2": STRONG, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert not works(first["token"])

    second = log_in("ada", STRONG)
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": STRONG + "!")
    call_command("changepassword", "ada", stdout=None)
    assert not works(second["token"])


def test_after_the_admin_deactivates_the_user_the_old_tokens_answer_401_even_once_active_again(
    client,
):
    user = UserFactory(username="ada", email="ada@example.com")
    tokens = [log_in("ada", name="Phone"), log_in("ada", name="Laptop")]
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    form = {
        "username": "ada",
        "email": "ada@example.com",
        "first_name": "",
        "last_name": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "display_name": user.display_name,
        "bio": "",
    }

    response = client.post(f"/admin/accounts/user/{user.pk}/change/", form)  # is_active off

    assert response.status_code == 302, response.content
    user.refresh_from_db()
    assert not user.is_active
    assert [works(token["token"]) for token in tokens] == [False, False]
    client.post(f"/admin/accounts/user/{user.pk}/change/", {**form, "is_active": "on"})
    user.refresh_from_db()
    assert user.is_active
    assert [works(token["token"]) for token in tokens] == [False, False]


# --- The settings page ------------------------------------------------------------------------


def test_the_settings_page_lists_the_tokens_and_revokes_one_with_a_plain_form():
    user = UserFactory(username="ada")
    phone = log_in("ada", name="Ada's phone")
    laptop = log_in("ada", name="Laptop")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert 'href="/settings/tokens/"' in client.get("/settings/").content.decode()
    page = client.get("/settings/tokens/").content.decode()
    assert "Ada&#x27;s phone" in page
    assert "Laptop" in page
    assert "Never" in page  # neither was used yet
    assert phone["token"] not in page
    assert laptop["token"] not in page
    action = f"/settings/tokens/{phone['id']}/revoke/"
    assert f'action="{action}"' in page
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = client.post(action, {"csrfmiddlewaretoken": csrf}, follow=True)

    assert response.redirect_chain == [("/settings/tokens/", 302)]
    html = response.content.decode()
    assert "“Ada&#x27;s phone” is revoked" in html
    assert "Laptop" in html
    assert action not in html
    assert not works(phone["token"])
    assert works(laptop["token"])


def test_the_settings_page_needs_a_login_and_gives_another_users_token_a_404(client):
    UserFactory(username="bob")
    bob = log_in("bob", name="Bob's phone")

    assert client.get("/settings/tokens/")["Location"].startswith("/login/")
    client.force_login(UserFactory(username="ada"))
    assert client.post(f"/settings/tokens/{bob['id']}/revoke/").status_code == 404
    assert "Bob" not in client.get("/settings/tokens/").content.decode()
    assert works(bob["token"])


def test_csrf_is_enforced_for_session_authenticated_writes():
    user = UserFactory(username="ada")
    phone = log_in("ada", name="Phone")
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(user)
    pages = Client(enforce_csrf_checks=True)
    pages.force_login(user)

    api_without = api.delete(f"{API}/me/tokens/{phone['id']}/")
    page_without = pages.post(f"/settings/tokens/{phone['id']}/revoke/")

    assert api_without.status_code == 403
    assert "CSRF" in api_without.json()["detail"]
    assert page_without.status_code == 403
    assert works(phone["token"])
    # The same request with the token the page hands out goes through.
    api.get("/settings/tokens/")
    api_with = api.delete(
        f"{API}/me/tokens/{phone['id']}/", HTTP_X_CSRFTOKEN=api.cookies["csrftoken"].value
    )
    assert api_with.status_code == 204
    assert not works(phone["token"])
