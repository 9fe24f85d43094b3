"""HTML pages of accounts: thin views calling services and selectors."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views import i18n as i18n_views
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from accounts import limits
from accounts.forms import (
    InviteForm,
    LeaveForm,
    PasswordResetRequestForm,
    PeopleSearchForm,
    ProfileForm,
    SignupForm,
)
from accounts.selectors import (
    avatar_pending_for,
    blocks_of,
    invitation_accepted_by,
    invitation_by_token,
    invitation_open,
    invitation_opted_out,
    invitations_left_today,
    mutes_of,
    profile_get,
    token_get_revocable,
    tokens_live_of,
    user_get_active,
    user_get_visible,
    user_search,
)
from accounts.services import (
    account_leave,
    avatar_remove,
    avatar_upload,
    block_set,
    block_unset,
    follow_create,
    follow_delete,
    invitation_opt_out,
    invitation_send,
    mute_set,
    mute_unset,
    password_reset_request,
    suggestion_dismiss,
    token_revoke,
    user_profile_update,
    user_signup,
)
from core.errors import ApplicationError
from core.http import form_error, safe_next_url, wants_fragment
from core.ratelimit import RateLimited

# --- Sign-up, log-in, settings, password reset ------------------------------------------------


@method_decorator(sensitive_post_parameters("password1", "password2"), name="dispatch")
class SignupView(FormView):
    """`/signup/`: creates the account, logs the person in; the welcome email is queued. From
    an invitation's link (`?invite=<token>`, then a hidden field) it says who invited the
    person, and signing up makes the two follow each other."""

    template_name = "accounts/signup.html"
    form_class = SignupForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("/")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        limits.signup_check(request)  # past the limit: a 429 page (core.middleware)
        return super().post(request, *args, **kwargs)

    def _invitation(self):
        source = self.request.POST if self.request.method == "POST" else self.request.GET
        token = source.get("invite", "")
        return invitation_open(token=token) if isinstance(token, str) else None

    def get_initial(self):
        initial = super().get_initial()
        invitation = self._invitation()
        if invitation is not None:
            initial.update(invite=invitation.token, email=invitation.email)
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(invitation=self._invitation(), **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            user = user_signup(
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                display_name=data["display_name"],
                invite=data["invite"],
                language=translation.get_language(),
            )
        except ApplicationError as error:
            form_error(form, error, fields={"password": "password1"})
            return self.form_invalid(form)
        login(self.request, user, backend="accounts.backends.LimitedModelBackend")
        welcome = _("Welcome to Friends, %(name)s! We are sending you a welcome email.") % {
            "name": user.name
        }
        invitation = invitation_accepted_by(user=user) if data["invite"] else None
        if invitation is not None:
            welcome += " " + _("You and %(name)s now follow each other.") % {
                "name": invitation.inviter.name
            }
        messages.success(self.request, welcome)
        return redirect("/")


class LoginView(auth_views.LoginView):
    """`/login/`: the log-in limits are the authentication backend's (accounts.backends)."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        messages.success(
            self.request, _("Welcome back, %(name)s.") % {"name": form.get_user().name}
        )
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You are logged out."))
        return response


SETTINGS_PEOPLE_SHOWN = 10


class SettingsView(LoginRequiredMixin, FormView):
    """`/settings/`: display name, bio, whether likes are public, the avatar; links to the
    password change."""

    template_name = "accounts/settings.html"
    form_class = ProfileForm

    def get_initial(self):
        user = self.request.user
        return {
            "display_name": user.display_name,
            "bio": user.bio,
            "likes_public": user.likes_public,
            "language": user.language,
        }

    def get_context_data(self, **kwargs):
        user = self.request.user
        # The newest few of each (one query each, whatever their number); the rest a click away.
        blocks = list(blocks_of(user=user)[: SETTINGS_PEOPLE_SHOWN + 1])
        mutes = list(mutes_of(user=user)[: SETTINGS_PEOPLE_SHOWN + 1])
        return super().get_context_data(
            avatar_pending=avatar_pending_for(user),
            blocks=blocks[:SETTINGS_PEOPLE_SHOWN],
            more_blocks=len(blocks) > SETTINGS_PEOPLE_SHOWN,
            mutes=mutes[:SETTINGS_PEOPLE_SHOWN],
            more_mutes=len(mutes) > SETTINGS_PEOPLE_SHOWN,
            **kwargs,
        )

    def form_valid(self, form):
        try:
            user_profile_update(user=self.request.user, **form.cleaned_data)
        except ApplicationError as error:
            form_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Your profile is saved."))
        return redirect("accounts:settings")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:settings")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is changed."))
        return response


TOKENS_PAGE_SIZE = 30


class TokensView(LoginRequiredMixin, View):
    """`/settings/tokens/`: the person's API tokens that still work, each with a Revoke form."""

    def get(self, request):
        paginator = Paginator(tokens_live_of(user=request.user), TOKENS_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        context = {"page_obj": page, "tokens": page.object_list}
        context["valid_days"] = settings.API_TOKEN_TTL_DAYS
        return render(request, "accounts/tokens.html", context)


class TokenRevokeView(LoginRequiredMixin, View):
    """POST /settings/tokens/<id>/revoke/: the token stops working; back to the list. Another
    person's token is a 404."""

    def post(self, request, token_id: int):
        token = token_get_revocable(token_id=token_id, user=request.user)
        token_revoke(token=token, actor=request.user)
        messages.success(
            request, _("“%(name)s” is revoked: it no longer works.") % {"name": token.name}
        )
        return redirect("accounts:tokens")


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class LeaveView(LoginRequiredMixin, FormView):
    """`/settings/delete/`: with the password, the account is deactivated at once (logged out
    everywhere, API tokens ended, hidden from everyone) and deleted with everything in it by a
    job, which then sends a goodbye email. Logged out here, then the goodbye page."""

    template_name = "accounts/leave.html"
    form_class = LeaveForm

    def form_valid(self, form):
        user = self.request.user
        # Guessing the password here is limited as at log-in (accounts.limits): a 429 page.
        limits.login_check(self.request, user.username)
        try:
            account_leave(user=user, password=form.cleaned_data["password"])
        except ApplicationError as error:
            limits.login_failed(self.request, user.username)
            form_error(form, error)
            return self.form_invalid(form)
        logout(self.request)
        return redirect("accounts:leave_done")


class LeaveDoneView(TemplateView):
    """`/settings/delete/done/`: goodbye, after leaving (logged out by then)."""

    template_name = "accounts/goodbye.html"


class PasswordResetView(FormView):
    """`/password-reset/`: the same answer whether or not an account uses the address."""

    template_name = "registration/password_reset_form.html"
    form_class = PasswordResetRequestForm

    def post(self, request, *args, **kwargs):
        limits.password_reset_check(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        password_reset_request(email=form.cleaned_data["email"])
        return redirect("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("accounts:password_reset_complete")


class AvatarView(LoginRequiredMixin, View):
    """POST /settings/avatar/: a new avatar (square crops made by the media job), or remove it."""

    def post(self, request):
        back = f"{reverse('accounts:settings')}#avatar"
        if request.POST.get("action") == "remove":
            if avatar_remove(user=request.user):
                messages.success(request, _("Your avatar is removed."))
            return redirect(back)
        upload = request.FILES.get("avatar")
        if upload is None:
            messages.error(request, _("Choose an image to upload."))
            return redirect(back)
        try:
            avatar_upload(user=request.user, file=upload)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your new avatar is being processed."))
        return redirect(back)


# --- Invitations -----------------------------------------------------------------------------


class InviteView(LoginRequiredMixin, FormView):
    """`/invite/`: invite someone by email. The answer is the same whether the address gets
    an invitation or not (an account, an opt-out, invited today already): it says neither."""

    template_name = "accounts/invite.html"
    form_class = InviteForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            left=invitations_left_today(user=self.request.user),
            per_day=settings.INVITATIONS_PER_DAY,
            **kwargs,
        )

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        try:
            invitation_send(inviter=self.request.user, email=email)
        except ApplicationError as error:
            form_error(form, error)
            return self.form_invalid(form)
        except RateLimited as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _(
                "Thank you! We are emailing %(email)s an invitation, unless that address is on "
                "Friends already or asked for no invitations."
            )
            % {"email": email},
        )
        return redirect("accounts:invite")


class InviteUnsubscribeView(View):
    """`/invite/unsubscribe/<token>/`, linked from every invitation; no log-in needed. GET
    shows one button and changes nothing (mail scanners follow links); POST records that the
    address wants no more invitations, from anyone."""

    def get(self, request, token: str):
        invitation = invitation_by_token(token=token)
        context = {"invitation": invitation}
        context["opted_out"] = invitation_opted_out(email=invitation.email)
        return render(request, "accounts/invite_unsubscribe.html", context)

    def post(self, request, token: str):
        invitation = invitation_by_token(token=token)
        invitation_opt_out(invitation=invitation)
        messages.success(
            request, _("Done: %(email)s gets no more invitations.") % {"email": invitation.email}
        )
        return redirect("accounts:invite_unsubscribe", token=token)


# --- Follows, people --------------------------------------------------------------------------

PEOPLE_PAGE_SIZE = 30


class _PersonToggleView(LoginRequiredMixin, View):
    """POST `/u/<username>/<relation>/` with `action=set` or `action=unset` (follow, block,
    mute): back where the person was, or, for the page's script, the button again
    (`fragment`), drawn from the profile as it is now. `set_message` and `unset_message` take
    `%(username)s`."""

    fragment = ""  # none: the page's script does not post this form in place
    set_message = ""
    unset_message = ""
    # The person one blocked may still be unblocked (and muted) from their profile.
    keep_blocked_by_viewer = False

    def change(self, user, person, *, on: bool) -> None:
        raise NotImplementedError

    def fragment_context(self, request) -> dict:
        return {}

    def post(self, request, username: str):
        person = user_get_visible(
            username=username,
            viewer=request.user,
            keep_blocked_by_viewer=self.keep_blocked_by_viewer,
        )
        back = safe_next_url(request, reverse("posts:profile", args=[person.username]))
        on = request.POST.get("action") != "unset"
        in_place = bool(self.fragment) and wants_fragment(request)
        try:
            self.change(request.user, person, on=on)
        except ApplicationError as error:
            if in_place:  # the script then posts the form as it is
                return HttpResponseBadRequest(error.message, content_type="text/plain")
            messages.error(request, error.message)
        else:
            if in_place:
                profile = profile_get(username=person.username, viewer=request.user)
                context = {"person": profile, "next_url": back, **self.fragment_context(request)}
                return render(request, self.fragment, context)
            message = self.set_message if on else self.unset_message
            messages.success(request, message % {"username": person.username})
        return redirect(back)


class FollowView(_PersonToggleView):
    """Follow (`action=set`) or unfollow (`action=unset`); the button is
    accounts/_follow_button.html."""

    fragment = "accounts/_follow_button.html"
    set_message = gettext_lazy("You follow %(username)s.")
    unset_message = gettext_lazy("You no longer follow %(username)s.")

    def change(self, user, person, *, on: bool) -> None:
        if on:
            follow_create(follower=user, followee=person)
        else:
            follow_delete(follower=user, followee=person)

    def fragment_context(self, request) -> dict:
        return {"count_target": request.POST.get("count_target", "")}


class PeopleView(LoginRequiredMixin, View):
    """`/people/`: suggestions with a dismiss button, and search with `?q=`."""

    def get(self, request):
        form = PeopleSearchForm(request.GET or None)
        query = form.cleaned_data["q"].strip() if form.is_valid() else ""
        context = {"form": form, "query": query}
        if query:
            paginator = Paginator(user_search(query=query, viewer=request.user), PEOPLE_PAGE_SIZE)
            context["page_obj"] = page = paginator.get_page(request.GET.get("page"))
            context["people"] = page.object_list
        # Else the suggestions: drawn by the template ({% suggestion_box "people" %}, kept for a
        # minute).
        return render(request, "accounts/people.html", context)


class SuggestionDismissView(LoginRequiredMixin, View):
    def post(self, request, username: str):
        dismissed = user_get_active(username=username)
        try:
            suggestion_dismiss(user=request.user, dismissed=dismissed)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("We will not suggest %(username)s again.") % {"username": dismissed.username},
            )
        return redirect(safe_next_url(request, reverse("accounts:people")))


# --- Blocks and mutes -------------------------------------------------------------------------
#
# What a block or a mute hides is decided in accounts.policies; these pages set and unset them.
# Someone who blocked you, or who left, is a 404 here as everywhere.


class BlockView(_PersonToggleView):
    """`/u/<username>/block/`: GET asks for a confirmation that says what blocking does (or
    offers to unblock); POST `action=set` blocks, `action=unset` unblocks; then back where the
    person was (`next`), else to the profile."""

    set_message = gettext_lazy(
        "You blocked %(username)s. They are not told; they no longer see your "
        "profile or posts, and you no longer see theirs."
    )
    unset_message = gettext_lazy("You unblocked %(username)s. Follow them again if you wish.")
    keep_blocked_by_viewer = True

    def get(self, request, username: str):
        person = profile_get(username=username, viewer=request.user)
        if person.pk == request.user.pk:
            raise Http404(_("You cannot block yourself."))
        return render(request, "accounts/block_confirm.html", {"person": person})

    def change(self, user, person, *, on: bool) -> None:
        if on:
            block_set(blocker=user, blocked=person)
        else:
            block_unset(blocker=user, blocked=person)


class MuteView(_PersonToggleView):
    """POST `/u/<username>/mute/` `action=set` or `action=unset`: back where the person was, or,
    for the page's script, the mute toggle again (accounts/_mute_button.html)."""

    fragment = "accounts/_mute_button.html"
    set_message = gettext_lazy(
        "You muted %(username)s: their posts no longer show in your feed. They are not told."
    )
    unset_message = gettext_lazy("You unmuted %(username)s: their posts are back in your feed.")
    keep_blocked_by_viewer = True

    def change(self, user, person, *, on: bool) -> None:
        if on:
            mute_set(muter=user, muted=person)
        else:
            mute_unset(muter=user, muted=person)


class _RelationListView(LoginRequiredMixin, View):
    """All the people the person blocked (or muted), newest first, a page at a time, each with
    the button that undoes it (the first few are on /settings/ too)."""

    kind = ""

    def rows(self, user):
        raise NotImplementedError

    def get(self, request):
        paginator = Paginator(self.rows(request.user), PEOPLE_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        context = {"kind": self.kind, "page_obj": page, "rows": page.object_list}
        return render(request, "accounts/relation_list.html", context)


class BlockedListView(_RelationListView):
    """`/settings/blocked/`."""

    kind = "block"

    def rows(self, user):
        return blocks_of(user=user)


class MutedListView(_RelationListView):
    """`/settings/muted/`."""

    kind = "mute"

    def rows(self, user):
        return mutes_of(user=user)


# --- Language ---------------------------------------------------------------------------------


def set_language(request):
    """POST /i18n/setlang/ (the footer's switcher): Django's set_language (the cookie, back to
    `next`), and for a signed-in person their language setting too, which then follows them to
    other browsers and into their emails."""
    language = request.POST.get("language", "") if request.method == "POST" else ""
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_profile_update(user=request.user, language=language)
    return i18n_views.set_language(request)
