"""The one authentication backend: Django's, with the log-in limits (accounts.limits).

Every log-in passes here with its request (the log-in page, `auth/token/`, the admin's log-in),
so the limits hold for all of them alike. Past a limit the attempt is refused before the
password is checked (core.ratelimit.RateLimited: a 429 page or a JSON 429).
"""

from django.contrib.auth.backends import ModelBackend

from accounts import limits


class LimitedModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:  # not a log-in form (tests' client.login, shell): no limits
            return super().authenticate(request, username, password, **kwargs)
        limits.login_check(request, username or "")
        user = super().authenticate(request, username, password, **kwargs)
        if user is None:
            limits.login_failed(request, username or "")
        else:
            limits.login_succeeded(request, username or "")
        return user
