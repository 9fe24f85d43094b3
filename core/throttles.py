"""DRF throttles of the whole API: per signed-in person and per client address.

Counted by core.ratelimit (fixed windows in the shared Redis cache, failing open when it is
down; RATELIMIT_ENABLE=0 turns them off), so every web process shares them. Rates come from
settings.API_THROTTLE_RATES. Past one: 429 with Retry-After (core.errors).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from core.client import client_ip, limit_key
from core.ratelimit import Rate, count, rate_of, retry_after


class _CountedThrottle(BaseThrottle):
    scope = ""

    def key(self, request) -> str | None:
        raise NotImplementedError

    def rate(self) -> Rate:
        return rate_of(f"api_{self.scope}", Rate(*settings.API_THROTTLE_RATES[self.scope]))

    def allow_request(self, request, view) -> bool:
        key = self.key(request)
        if key is None:
            return True
        rate = self.rate()
        total = count(f"api_{self.scope}", key, rate)
        self._wait = retry_after(rate)
        return total is None or total <= rate.limit

    def wait(self) -> int:
        return self._wait


class PersonThrottle(_CountedThrottle):
    """Requests of one signed-in person, whatever their address."""

    scope = "person"

    def key(self, request) -> str | None:
        user = getattr(request, "user", None)
        return str(user.pk) if user is not None and user.is_authenticated else None


class AddressThrottle(_CountedThrottle):
    """Requests from one client address (an IPv6 client by its /64), signed in or not."""

    scope = "address"

    def key(self, request) -> str | None:
        return limit_key(client_ip(request))
