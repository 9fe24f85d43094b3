import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from friends_site.embedded_redis import free_port

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-velvet-42"


@pytest.fixture
def tight_limits(settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_RATES = {
        "signup": ((3, 3600), (2, 3600)),
        "login": ((3, 300), (2, 300)),
        "password_reset": ((3, 3600), (2, 3600)),
    }


def api_signup(number: int, ip: str = "10.0.0.1", email: str = ""):
    return APIClient(REMOTE_ADDR=ip).post(
        "/api/v1/auth/signup/",
        {
            "username": f"person{number}",
            "email": email or f"person{number}@example.com",
            "password": STRONG,
        },
    )


def test_api_signup_per_ip_limit_is_a_429_with_a_readable_detail(tight_limits):
    statuses = [api_signup(n).status_code for n in range(4)]

    assert statuses == [201, 201, 201, 429]
    response = api_signup(5)
    assert "Too many attempts. Please try again in" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0
    assert api_signup(6, ip="10.0.0.2").status_code == 201  # another address is not limited
    assert User.objects.count() == 4


def test_the_per_account_limit_holds_across_addresses(tight_limits):
    UserFactory(username="grace")
    client = APIClient()
    for ip in ("10.0.0.1", "10.0.0.2"):
        response = client.post(
            "/api/v1/auth/token/", {"username": "grace", "password": "wrong"}, REMOTE_ADDR=ip
        )
        assert response.status_code == 400

    response = client.post(
        "/api/v1/auth/token/", {"username": "GRACE", "password": PASSWORD}, REMOTE_ADDR="10.0.0.3"
    )

    assert response.status_code == 429


def test_log_in_page_shows_a_readable_429(client, tight_limits):
    UserFactory(username="grace")
    for _ in range(2):
        client.post("/login/", {"username": "grace", "password": "wrong"})

    response = client.post("/login/", {"username": "grace", "password": PASSWORD})

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.parametrize(
    ("path", "accepted"), [("/password-reset/", 302), ("/api/v1/auth/password-reset/", 202)]
)
def test_password_reset_is_limited_per_address(client, tight_limits, path, accepted):
    # A new address each time: only the limit per client address (3) can trip.
    statuses = [
        client.post(path, {"email": f"someone{n}@example.com"}, REMOTE_ADDR="10.0.0.1").status_code
        for n in range(4)
    ]

    assert statuses == [accepted, accepted, accepted, 429]
    other = client.post(path, {"email": "other@example.com"}, REMOTE_ADDR="10.0.0.2")
    assert other.status_code == accepted


def test_sign_up_page_is_limited_too(client, tight_limits):
    for number in range(3):
        client.post("/signup/", {"username": f"p{number}", "email": f"p{number}@example.com"})

    response = client.post("/signup/", {"username": "late", "email": "late@example.com"})

    assert response.status_code == 429


def test_ratelimit_enable_off_turns_every_limit_off(tight_limits, settings):
    settings.RATELIMIT_ENABLE = False

    statuses = {api_signup(n).status_code for n in range(5)}

    assert statuses == {201}


def test_limits_fail_open_when_the_cache_is_down(tight_limits, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }

    statuses = {api_signup(n).status_code for n in range(5)}

    assert statuses == {201}
