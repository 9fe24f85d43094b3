import pytest

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_lists_every_endpoint_of_the_contract(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/auth/signup/",
        "/api/v1/auth/token/",
        "/api/v1/auth/password-reset/",
        "/api/v1/me/",
        "/api/v1/users/",
        "/api/v1/users/{username}/follow/",
        "/api/v1/suggestions/",
        "/api/v1/media/",
        "/api/v1/posts/",
        "/api/v1/posts/{post_id}/like/",
        "/api/v1/posts/{post_id}/comments/",
        "/api/v1/comments/{comment_id}/",
        "/api/v1/feed/",
        "/api/v1/me/likes/",
        "/api/v1/me/bookmarks/",
    ]:
        assert path in paths, path


def test_swagger_ui_is_served_by_the_app_itself(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr.net" not in html  # works without internet access
