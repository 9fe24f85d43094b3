"""The one authentication backend: Django's, with the log-in limits (accounts.limits).

Every log-in passes here with its request (the log-in page, `auth/token/`, the admin's log-in),
so the limits hold for all of them alike. Past a limit the attempt is refused before the
password is checked (core.ratelimit.RateLimited: a 429 page or a JSON 429).
"""

from django.contrib.auth.backends import ModelBackend

from accounts import limits
from accounts.models import User


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

    def get_user(self, user_id):
        """The person of a session, with their avatar read in the same statement: later in the
        request the avatar is there even if a newer one has just replaced (deleted) it."""
        try:
            user = User._default_manager.select_related("avatar").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
