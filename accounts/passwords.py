"""A password change ends the person's API tokens."""

from accounts.services import tokens_revoke_all


class ApiTokensEndWithPassword:
    """Listed in AUTH_PASSWORD_VALIDATORS for its `password_changed` hook; it accepts every
    password.

    Django calls `password_changed(password, user)` from `User.save()` whenever `set_password()`
    came before it, which is how every way of changing a password works: the settings page, the
    reset confirmation, the admin's password form, `manage.py changepassword`, and any form
    added later that uses Django's. A call in each view would have to be repeated (and could be
    forgotten) on each of those paths, and a signal on the user's save cannot tell a password
    change from another save; this is the one place they all pass. Only a raw `update()` of the
    password column skips it, as it skips the rest of Django's password handling.
    """

    def validate(self, password: str, user=None) -> None:
        return None

    def password_changed(self, password: str, user=None) -> None:
        if user is not None and user.pk is not None:
            tokens_revoke_all(user=user)

    def get_help_text(self) -> str:
        # Shown with the password rules wherever a password is set: a fair warning there.
        return "Changing your password signs out every app that uses an API token of yours."
