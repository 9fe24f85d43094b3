"""Every answer carries the security headers: a Content-Security-Policy without inline
scripts, Permissions-Policy, Referrer-Policy, Cross-Origin-Opener-Policy, nosniff."""

import pytest

from accounts.tests.factories import UserFactory
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/signup/",
    "/login/",
    "/password-reset/",
    "/settings/",
    "/people/",
    "/posts/new/",
    "/likes/",
    "/bookmarks/",
    "/u/someone/",
    "/api/v1/schema/",
    "/api/v1/me/",
    "/admin/",
    "/admin/login/",
    "/no-such-page/",
]


def directives(response) -> dict[str, str]:
    """The Content-Security-Policy as {directive: sources} (django-csp writes them in any order)."""
    policy = response["Content-Security-Policy"].split(";")
    return dict(directive.strip().split(" ", 1) for directive in policy)


@pytest.mark.parametrize("path", PAGES)
def test_every_answer_has_a_strict_content_security_policy_and_the_other_headers(client, path):
    me = UserFactory(username="someone", is_staff=True, is_superuser=True)
    PostFactory(author=me)
    client.force_login(me)

    response = client.get(path)

    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_only_the_rq_dashboard_may_run_inline_scripts_and_swagger_inline_styles(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    dashboard = directives(client.get("/admin/rq/"))
    docs = directives(client.get("/api/v1/docs/"))

    assert dashboard["script-src"] == "'self' 'unsafe-inline'"
    assert docs["script-src"] == "'self'"
    assert docs["style-src"] == "'self' 'unsafe-inline'"
