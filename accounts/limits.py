"""The limits of sign-up, log-in and password reset (counted by core.ratelimit).

Log-in counts failures, not attempts: a wrong password counts against the pair (the account,
the client's address) and against the address; a success clears the pair. Someone guessing a
password from one address is stopped after a few tries without locking the owner out: the owner
logs in from their own address on a counter of their own. An address failing on many accounts
(credential stuffing) is stopped as a whole. The account is named as log-in matches it:
NFKC-normalised and case-folded, so "ＡＤＭＩＮ" and "admin" share a counter. Every log-in
form (the page, `auth/token/`, the admin) goes through accounts.backends, which applies them.

Password reset answers the same whatever the address: past its limit an address gets a 429,
and an account gets at most a few reset emails an hour (silently: the answer stays the same,
and the emails it already got hold working links).
"""

from __future__ import annotations

import unicodedata

from core.client import client_ip, limit_key
from core.ratelimit import (
    Rate,
    count,
    enforce,
    rate_of,
    readable_wait,
    refuse_if_over,
    reset,
    retry_after,
)

LOGIN_FAILURES = Rate(10, 15 * 60)  # per account and address
LOGIN_FAILURES_PER_ADDRESS = Rate(50, 15 * 60)
SIGNUPS_PER_ADDRESS = Rate(20, 3600)
RESETS_PER_ADDRESS = Rate(20, 3600)
RESET_EMAILS_PER_ACCOUNT = Rate(5, 3600)


def login_identity(username: str) -> str:
    """The name as log-in matches it: NFKC (as Django's username field) and case-folded."""
    return unicodedata.normalize("NFKC", username or "").casefold().strip()


def login_check(request, username: str) -> None:
    """Refuse a log-in attempt (RateLimited) when its account and address, or its address,
    failed too often; nothing is counted."""
    address = limit_key(client_ip(request))
    pair = f"{login_identity(username)}|{address}"
    for name, key, default in (
        ("login_failures", pair, LOGIN_FAILURES),
        ("login_failures_per_address", address, LOGIN_FAILURES_PER_ADDRESS),
    ):
        rate = rate_of(name, default)
        refuse_if_over(name, key, rate, _too_many(rate))


def login_failed(request, username: str) -> None:
    address = limit_key(client_ip(request))
    count("login_failures", f"{login_identity(username)}|{address}", _rate("login_failures"))
    count("login_failures_per_address", address, _rate("login_failures_per_address"))


def login_succeeded(request, username: str) -> None:
    address = limit_key(client_ip(request))
    reset("login_failures", f"{login_identity(username)}|{address}", _rate("login_failures"))


def signup_check(request) -> None:
    """Count a sign-up attempt from the client's address; RateLimited past the limit."""
    _per_address(request, "signups_per_address")


def password_reset_check(request) -> None:
    """Count a reset request from the client's address; RateLimited past the limit."""
    _per_address(request, "resets_per_address")


def reset_email_allowed(user_id: int) -> bool:
    """Count a reset email for this account: False past the limit (send nothing more)."""
    rate = _rate("reset_emails_per_account")
    total = count("reset_emails_per_account", str(user_id), rate)
    return total is None or total <= rate.limit


_DEFAULTS = {
    "login_failures": LOGIN_FAILURES,
    "login_failures_per_address": LOGIN_FAILURES_PER_ADDRESS,
    "signups_per_address": SIGNUPS_PER_ADDRESS,
    "resets_per_address": RESETS_PER_ADDRESS,
    "reset_emails_per_account": RESET_EMAILS_PER_ACCOUNT,
}


def _rate(name: str) -> Rate:
    return rate_of(name, _DEFAULTS[name])


def _per_address(request, name: str) -> None:
    rate = _rate(name)
    enforce(name, limit_key(client_ip(request)), rate, _too_many(rate))


def _too_many(rate: Rate) -> str:
    return f"Too many attempts. Please try again in {readable_wait(retry_after(rate))}."
