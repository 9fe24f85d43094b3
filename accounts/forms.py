"""HTML forms of accounts."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

# --- Sign-up, log-in, settings, password reset ------------------------------------------------


def _model_field(name: str) -> dict:
    """Length and help text of the User field, so forms and model never disagree."""
    field = get_user_model()._meta.get_field(name)
    return {"max_length": field.max_length, "help_text": field.help_text}


class SignupForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        **_model_field("username"),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    display_name = forms.CharField(
        label=_("Display name"),
        required=False,
        max_length=_model_field("display_name")["max_length"],
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    # The token of the invitation whose link brought the person here (?invite=), if any.
    invite = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") != data["password1"]:
            self.add_error("password2", _("The two passwords do not match."))
        return data


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"),
        required=False,
        max_length=_model_field("display_name")["max_length"],
    )
    bio = forms.CharField(
        label=_("Bio"),
        required=False,
        max_length=_model_field("bio")["max_length"],
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    likes_public = forms.BooleanField(
        label=_("Show the posts I like on my profile"),
        required=False,
        help_text=_(
            "Anyone can then open the Likes tab of your profile. Only you see it otherwise."
        ),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("The browser's language")), *settings.LANGUAGES],
        help_text=_("Of the pages and of the emails we send you."),
    )


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


# --- Invitations, leaving ---------------------------------------------------------------------


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Their email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


class LeaveForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        max_length=4096,
        help_text=_("To be sure it is you."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


# --- Follows, people search -------------------------------------------------------------------


class PeopleSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search people"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or username")}),
    )
