"""Limits that hold: failed log-ins per account and address, sign-ups and resets per address,
the client's address behind proxies, IPv6 networks; pages, API and admin alike."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import EmailDelivery, User
from accounts.tests.factories import PASSWORD, UserFactory
from conftest import wait_for_a_fresh_window
from friends_site.embedded_redis import free_port

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-velvet-42"


@pytest.fixture
def tight_limits(settings):
    wait_for_a_fresh_window(900, margin=5)  # the windows below: every count in one of each
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_RATES = {
        "login_failures": (3, 900),
        "login_failures_per_address": (6, 900),
        "signups_per_address": (3, 3600),
        "resets_per_address": (3, 3600),
        "reset_emails_per_account": (2, 3600),
    }


def token_login(username: str, password: str, **headers):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, **headers
    )


def page_login(client, username: str, password: str, **headers):
    return client.post("/login/", {"username": username, "password": password}, **headers)


def test_failed_log_ins_from_one_address_do_not_lock_the_owner_out_of_theirs(tight_limits):
    UserFactory(username="grace")
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    statuses = [token_login("grace", "wrong", **attacker).status_code for _ in range(30)]

    assert statuses[:3] == [401, 401, 401]
    assert set(statuses[3:]) == {429}  # refused before the password is even checked
    assert token_login("grace", PASSWORD, **attacker).status_code == 429
    assert token_login("grace", PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 200


def test_the_full_width_name_logs_in_and_shares_the_counter(tight_limits):
    UserFactory(username="admin")
    client = {"REMOTE_ADDR": "203.0.113.9"}
    for name in ("admin", "ADMIN", "ａｄｍｉｎ"):
        assert token_login(name, "wrong", **client).status_code == 401

    assert token_login("ａｄｍｉｎ", PASSWORD, **client).status_code == 429
    assert token_login("ａｄｍｉｎ", PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 200


def test_successes_are_not_counted_and_clear_the_failures(tight_limits):
    UserFactory(username="grace")
    for _ in range(2):  # without the clearing, the fourth failure would already be refused
        assert token_login("grace", "wrong").status_code == 401
        assert token_login("grace", "wrong").status_code == 401
        assert token_login("grace", PASSWORD).status_code == 200


def test_an_address_failing_on_many_accounts_is_stopped(tight_limits):
    for number in range(7):
        UserFactory(username=f"victim{number}")
    address = {"REMOTE_ADDR": "203.0.113.9"}

    statuses = [token_login(f"victim{n}", "wrong", **address).status_code for n in range(7)]

    assert statuses == [401] * 6 + [429]
    assert token_login("victim0", "wrong", REMOTE_ADDR="198.51.100.7").status_code == 401


def test_log_in_page_shows_a_readable_429_and_logs_nobody_in(client, tight_limits):
    UserFactory(username="grace")
    for _ in range(3):
        page_login(client, "grace", "wrong")

    response = page_login(client, "grace", PASSWORD)

    assert response.status_code == 429
    assert "Too many attempts. Please try again in" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert not response.wsgi_request.user.is_authenticated


def test_the_admin_log_in_is_limited_too(client, tight_limits):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for _ in range(3):
        client.post("/admin/login/", {"username": "root", "password": "wrong"})

    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})

    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated


def test_behind_one_trusted_proxy_clients_are_told_apart_and_a_spoofed_hop_is_ignored(
    settings, tight_limits
):
    settings.TRUSTED_PROXY_HOPS = 1
    UserFactory(username="grace")
    proxy = "10.0.0.2"  # every request arrives from the proxy
    first = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    for _ in range(3):
        assert token_login("grace", "wrong", **first).status_code == 401
    assert token_login("grace", PASSWORD, **first).status_code == 429

    second = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert token_login("grace", PASSWORD, **second).status_code == 200
    # The first client claims another address in front of its own: the proxy appended the real
    # one, which is the one counted.
    spoofed = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.7, 203.0.113.9"}
    assert token_login("grace", PASSWORD, **spoofed).status_code == 429


def test_without_trusted_proxies_the_forwarded_header_is_ignored(tight_limits):
    UserFactory(username="grace")
    for number in range(3):
        spoof = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": f"192.0.2.{number}"}
        assert token_login("grace", "wrong", **spoof).status_code == 401

    assert token_login("grace", PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429


def test_one_ipv6_network_counts_as_one_client(tight_limits):
    UserFactory(username="grace")
    for host in range(1, 4):
        address = {"REMOTE_ADDR": f"2001:db8:1:2::{host}"}
        assert token_login("grace", "wrong", **address).status_code == 401

    assert token_login("grace", PASSWORD, REMOTE_ADDR="2001:db8:1:2:ffff::1").status_code == 429
    assert token_login("grace", PASSWORD, REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


def api_signup(number: int, ip: str = "10.0.0.1"):
    return APIClient(REMOTE_ADDR=ip).post(
        "/api/v1/auth/signup/",
        {"username": f"person{number}", "email": f"person{number}@example.com", "password": STRONG},
    )


def test_api_sign_ups_per_address_answer_429_with_a_readable_detail(tight_limits):
    statuses = [api_signup(n).status_code for n in range(4)]

    assert statuses == [201, 201, 201, 429]
    response = api_signup(5)
    assert "Too many attempts. Please try again in" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0
    assert api_signup(6, ip="10.0.0.2").status_code == 201  # another address is not limited
    assert User.objects.count() == 4


def test_sign_up_page_is_limited_per_address(client, tight_limits):
    for number in range(3):
        client.post("/signup/", {"username": f"p{number}", "email": f"p{number}@example.com"})

    response = client.post("/signup/", {"username": "late", "email": "late@example.com"})

    assert response.status_code == 429


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


def test_asking_again_and_again_sends_an_account_a_few_reset_emails_and_answers_the_same(
    client, tight_limits, run_worker, django_capture_on_commit_callbacks
):
    user = UserFactory(email="grace@example.com")
    answers = []
    for number in range(4):  # from four addresses: none is limited
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/api/v1/auth/password-reset/",
                {"email": "grace@example.com"},
                REMOTE_ADDR=f"10.0.0.{number}",
            )
        answers.append((response.status_code, response.json()))

    assert all(answer == answers[0] for answer in answers)
    assert EmailDelivery.objects.filter(user=user).count() == 2
    run_worker()
    assert len(mail.outbox) == 2


def test_ratelimit_enable_off_turns_every_limit_off(tight_limits, settings):
    settings.RATELIMIT_ENABLE = False
    UserFactory(username="grace")

    statuses = {api_signup(n).status_code for n in range(5)}
    failures = {token_login("grace", "wrong").status_code for _ in range(5)}

    assert statuses == {201}
    assert failures == {401}


def test_limits_fail_open_when_the_cache_is_down(tight_limits, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    UserFactory(username="grace")

    statuses = {api_signup(n).status_code for n in range(5)}

    assert statuses == {201}
    assert token_login("grace", PASSWORD).status_code == 200
