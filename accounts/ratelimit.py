"""Rate limits of sign-up, log-in and password reset, for pages and the API alike.

Each action has a limit per client IP address and one per account (the username or email it
names), counted in the Django cache (Redis), so every web process shares them. A window opens
with the first attempt and lasts its number of seconds.
`RATELIMIT_ENABLE=0` turns them all off. When the cache does not answer, the limits fail open:
losing Redis must not stop people from signing up or logging in.

The client address is REMOTE_ADDR; behind a reverse proxy, make the proxy set it (for example
gunicorn's --forwarded-allow-ips with a proxy that overwrites X-Forwarded-For).
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


# action: ((attempts, seconds) per IP, (attempts, seconds) per account). Settings may replace
# any of them, e.g. RATELIMIT_RATES = {"login": ((30, 300), (10, 300))}.
DEFAULT_RATES: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "signup": ((20, 3600), (5, 3600)),
    "login": ((30, 300), (10, 300)),
    "password_reset": ((20, 3600), (5, 3600)),
}


class RateLimited(Exception):
    """Too many attempts; `retry_after` seconds until the window ends."""

    def __init__(self, action: str, retry_after: int):
        super().__init__(f"Too many attempts. Please try again in {_readable(retry_after)}.")
        self.message = str(self)
        self.action = action
        self.retry_after = retry_after


def ratelimit_enforce(*, action: str, ip: str, account: str = "") -> None:
    """Count one attempt of `action`; raise RateLimited past the limit (writes cache counters)."""
    if not settings.RATELIMIT_ENABLE:
        return
    rates = {**DEFAULT_RATES, **getattr(settings, "RATELIMIT_RATES", {})}[action]
    keys = [("ip", ip or "unknown", rates[0])]
    if account:
        keys.append(("account", account.strip().lower(), rates[1]))
    for kind, value, (limit, seconds) in keys:
        # surrogatepass: a lone surrogate in the name (refused later as a field error) still
        # counts against the limit instead of failing here.
        digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        key = f"ratelimit:{action}:{kind}:{digest}"
        try:
            cache.add(key, 0, timeout=seconds)
            count = cache.incr(key)
        except Exception:  # Redis down, or the key expired just now: fail open
            logger.warning("Rate limit cache unavailable; %s is not limited", action)
            return
        if count > limit:
            # The window's exact end is not stored; its length is a safe upper bound.
            raise RateLimited(action, retry_after=seconds)


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _readable(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{round(seconds / 60)} minutes"
