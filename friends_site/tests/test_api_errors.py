"""Every /api/ answer from 400 to 503 is JSON in the one format (core.errors), whatever refused
the request: DRF, the URL resolver, Django itself, an unhandled error, the database."""

import json

import pytest
from django.db import OperationalError
from django.test import Client
from rest_framework.test import APIClient

from accounts.api import views as account_views
from accounts.tests.factories import UserFactory, api_client_for
from core.views import csrf_failure
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


def assert_error_format(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert body["code"] == code
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert "Traceback" not in response.content.decode()
    return body


def test_an_unknown_api_path_answers_404_in_the_error_format(client):
    body = assert_error_format(client.get(f"{API}/nothing-here/"), 404, "not_found")

    assert f"{API}/nothing-here/" in body["detail"]


def test_an_unknown_api_path_is_json_under_debug_too(client, settings):
    settings.DEBUG = True

    assert_error_format(client.get(f"{API}/nothing-here/"), 404, "not_found")


def test_a_path_without_its_final_slash_says_so():
    response = api_client_for(UserFactory()).post(f"{API}/posts", {"title": "x"}, format="json")

    body = assert_error_format(response, 404, "not_found")
    assert body["detail"].endswith(f"Paths end with a slash: {API}/posts/")


def test_a_session_write_to_an_unknown_api_path_is_a_json_404_not_a_csrf_page():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())

    response = client.delete(f"{API}/comments/null,null/")

    assert_error_format(response, 404, "not_found")


def test_a_refused_csrf_check_answers_json_under_the_api(rf):
    response = csrf_failure(rf.post(f"{API}/anything/"), "CSRF cookie not set.")

    assert response.status_code == 403
    assert json.loads(response.content)["code"] == "permission_denied"


def test_a_form_posted_without_its_csrf_token_gets_the_site_s_403_page():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())

    response = client.post("/settings/", {"display_name": "x"})

    assert response.status_code == 403
    assert "security token" in response.content.decode()


def test_an_unknown_page_is_still_a_page(client):
    response = client.get("/nothing-here/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (RuntimeError("secret internals"), 500, "server_error"),
        (OperationalError("secret internals: connection refused"), 503, "service_unavailable"),
    ],
)
def test_an_unhandled_error_on_an_api_route_answers_json(monkeypatch, error, status, code):
    """An error of ours is a 500; the database gone is a 503 to retry after Retry-After."""

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(account_views.MeApi, "get", fail)
    client = api_client_for(UserFactory())
    client.raise_request_exception = False

    response = client.get(f"{API}/me/")

    assert_error_format(response, status, code)
    assert "secret internals" not in response.content.decode()
    assert (response.get("Retry-After") is not None) == (status == 503)


def test_a_validation_error_names_the_fields_at_fault():
    client = api_client_for(UserFactory())

    body = assert_error_format(client.post(f"{API}/posts/", {}, format="json"), 400, "invalid")

    assert "title" in body["errors"]


def test_no_credentials_answers_401_in_the_error_format():
    assert_error_format(APIClient().get(f"{API}/me/"), 401, "not_authenticated")


def test_a_method_the_route_does_not_take_answers_405_in_the_error_format():
    response = api_client_for(UserFactory()).put(f"{API}/me/", {}, format="json")

    assert_error_format(response, 405, "method_not_allowed")


def test_a_content_type_the_route_does_not_take_answers_415_in_the_error_format():
    post = PostFactory()
    client = api_client_for(post.author)

    response = client.patch(f"{API}/posts/{post.pk}/", {"title": "x"}, format="multipart")

    assert_error_format(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("method", "path"), [("patch", "/me/"), ("post", "/posts/"), ("post", "/media/")]
)
def test_a_multipart_body_without_parts_is_refused_not_read_as_empty(method, path):
    boundary = "f1ceb403018c1e364877be08ac2c8574"
    body = f"--{boundary}\r\n[[1.2e-270], -98.0, {{'x': [1]}}]--{boundary}--\r\n"
    client = api_client_for(UserFactory(display_name="Kept"))

    response = client.generic(
        method.upper(),
        f"{API}{path}",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )

    assert_error_format(response, 400, "parse_error")
