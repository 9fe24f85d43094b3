"""Counters behind every limit (log-in failures, sign-ups, uploads...), shared by all web
processes through the Django cache (Redis).

A limit is a name and a `Rate` (so many in so many seconds), counted in fixed windows, so the
answer can say exactly when to try again. Settings may replace any rate by name:
RATELIMIT_RATES = {"login_failures": (20, 900)}. RATELIMIT_ENABLE=0 turns every limit off.
When the cache does not answer, limits fail open: losing Redis must not stop people from
logging in or posting.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int


class RateLimited(Exception):
    """Past a limit; `retry_after` seconds until its window ends. Pages answer a 429 page, the
    API a 429 with Retry-After (core.errors, core.middleware)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message = message
        self.retry_after = max(1, int(retry_after))


def rate_of(name: str, default: Rate) -> Rate:
    override = getattr(settings, "RATELIMIT_RATES", {}).get(name)
    return Rate(*override) if override else default


def count(name: str, key: str, rate: Rate, *, amount: int = 1) -> int | None:
    """Add `amount` to the counter of `key` in the current window; the new total, or None when
    limits are off or the cache is down."""
    if not settings.RATELIMIT_ENABLE:
        return None
    cache_key, _ = _window(name, key, rate)
    try:
        cache.add(cache_key, 0, timeout=rate.seconds + 5)
        return cache.incr(cache_key, amount)
    except Exception:  # Redis down, or the key expired just now: fail open
        logger.warning("Rate limit cache unavailable; %s is not limited", name)
        return None


def current(name: str, key: str, rate: Rate) -> int:
    """The counter of `key` in the current window (0 when off or unknown)."""
    if not settings.RATELIMIT_ENABLE:
        return 0
    try:
        return int(cache.get(_window(name, key, rate)[0]) or 0)
    except Exception:
        return 0


def reset(name: str, key: str, rate: Rate) -> None:
    try:
        cache.delete(_window(name, key, rate)[0])
    except Exception:
        logger.warning("Rate limit cache unavailable; %s not reset", name)


def enforce(name: str, key: str, rate: Rate, message: str, *, amount: int = 1) -> None:
    """Count and raise RateLimited when the total passes the limit."""
    total = count(name, key, rate, amount=amount)
    if total is not None and total > rate.limit:
        raise RateLimited(message, retry_after=retry_after(rate))


def refuse_if_over(name: str, key: str, rate: Rate, message: str) -> None:
    """Raise RateLimited when `key` already reached the limit (nothing is counted)."""
    if current(name, key, rate) >= rate.limit:
        raise RateLimited(message, retry_after=retry_after(rate))


def retry_after(rate: Rate) -> int:
    return _window("", "", rate)[1]


def readable_wait(seconds: int) -> str:
    if seconds < 90:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    if seconds < 90 * 60:
        minutes = round(seconds / 60)
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = round(seconds / 3600)
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


def _window(name: str, key: str, rate: Rate) -> tuple[str, int]:
    """The cache key of `key` in the current window, and the seconds left in that window."""
    now = time.time()
    window = int(now // rate.seconds)
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    left = int((window + 1) * rate.seconds - now) + 1
    return f"ratelimit:{name}:{rate.seconds}:{window}:{digest}", left
