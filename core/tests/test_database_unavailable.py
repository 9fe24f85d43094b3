"""The database unreachable, as people and operators see it: pages answer the site's 503, the
API its JSON 503, both with Retry-After and no traceback; /healthz still 200, /readyz a 503 that
names the database."""

import pytest

from accounts.tests.factories import UserFactory, api_client_for

pytestmark = pytest.mark.django_db(transaction=True)

STYLED_503 = "Friends is unavailable for a moment"


@pytest.fixture
def signed_in(client):
    client.force_login(UserFactory())
    return client


def assert_styled_503(response):
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"]
    page = response.content.decode()
    assert STYLED_503 in page
    assert '<link rel="stylesheet"' in page
    assert "Traceback" not in page


def assert_json_503(response):
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"]
    assert response.json()["code"] == "service_unavailable"
    assert "Traceback" not in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/people/", "/settings/", "/u/nobody/"])
def test_pages_of_a_signed_in_person_answer_the_styled_503(signed_in, database_down, path):
    assert_styled_503(signed_in.get(path))


def test_the_welcome_page_answers_the_styled_503(client, database_down):
    # Signing up and logging in, which it offers, need the database.
    assert_styled_503(client.get("/"))


def test_a_form_sent_answers_the_styled_503(signed_in, database_down):
    assert_styled_503(signed_in.post("/posts/new/", {"body": "Hello"}))


def test_sign_in_page_sent_answers_the_styled_503(client, database_down):
    assert_styled_503(client.post("/login/", {"username": "ada", "password": "whatever-it-is"}))


def test_the_api_answers_json_503_with_a_token(database_down_after_token):
    assert_json_503(database_down_after_token.get("/api/v1/feed/"))


def test_the_api_answers_json_503_with_a_session(signed_in, database_down):
    assert_json_503(signed_in.get("/api/v1/feed/"))
    assert_json_503(
        signed_in.post("/api/v1/posts/", {"body": "Hello"}, content_type="application/json")
    )


def test_the_probes_say_which_dependency_is_down(signed_in, database_down):
    healthz = signed_in.get("/healthz")
    readyz = signed_in.get("/readyz")

    assert healthz.status_code == 200
    assert readyz.status_code == 503
    checks = readyz.json()["checks"]
    assert checks["database"]["ok"] is False
    assert [name for name, check in checks.items() if not check["ok"]] == ["database"]


def test_the_failure_is_logged_once_without_a_traceback_in_the_answer(
    signed_in, database_down, log_lines
):
    response = signed_in.get("/", HTTP_X_REQUEST_ID="outage-1")

    assert response.status_code == 503
    lines = [line for line in log_lines() if line.get("request_id") == "outage-1"]
    assert any(line["message"].startswith("The database is unavailable") for line in lines)
    access = [line for line in lines if line["logger"] == "friends.access"]
    assert [(line["status"], line["level"]) for line in access] == [(503, "ERROR")]


@pytest.fixture
def database_down_after_token(transactional_db, request):
    client = api_client_for(UserFactory())
    request.getfixturevalue("database_down")
    return client
