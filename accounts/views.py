"""HTML pages of accounts: thin views calling services and selectors."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView

from accounts import limits
from accounts.forms import PasswordResetRequestForm, PeopleSearchForm, ProfileForm, SignupForm
from accounts.selectors import (
    avatar_pending_for,
    profile_get,
    suggestions_for,
    token_get_revocable,
    tokens_live_of,
    user_get_active,
    user_search,
)
from accounts.services import (
    avatar_remove,
    avatar_upload,
    follow_create,
    follow_delete,
    password_reset_request,
    suggestion_dismiss,
    token_revoke,
    user_profile_update,
    user_signup,
)
from core.errors import ApplicationError
from core.http import form_error, safe_next_url, wants_fragment

# --- Sign-up, log-in, settings, password reset ------------------------------------------------


@method_decorator(sensitive_post_parameters("password1", "password2"), name="dispatch")
class SignupView(FormView):
    """`/signup/`: creates the account, logs the person in; the welcome email is queued."""

    template_name = "accounts/signup.html"
    form_class = SignupForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("/")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        limits.signup_check(request)  # past the limit: a 429 page (core.middleware)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            user = user_signup(
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                display_name=data["display_name"],
            )
        except ApplicationError as error:
            form_error(form, error, fields={"password": "password1"})
            return self.form_invalid(form)
        login(self.request, user, backend="accounts.backends.LimitedModelBackend")
        messages.success(
            self.request, f"Welcome to Friends, {user.name}! We are sending you a welcome email."
        )
        return redirect("/")


class LoginView(auth_views.LoginView):
    """`/login/`: the log-in limits are the authentication backend's (accounts.backends)."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        messages.success(self.request, f"Welcome back, {form.get_user().name}.")
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are logged out.")
        return response


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
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            avatar_pending=avatar_pending_for(self.request.user), **kwargs
        )

    def form_valid(self, form):
        try:
            user_profile_update(user=self.request.user, **form.cleaned_data)
        except ApplicationError as error:
            form_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Your profile is saved.")
        return redirect("accounts:settings")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:settings")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password is changed.")
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
        messages.success(request, f"“{token.name}” is revoked: it no longer works.")
        return redirect("accounts:tokens")


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
                messages.success(request, "Your avatar is removed.")
            return redirect(back)
        upload = request.FILES.get("avatar")
        if upload is None:
            messages.error(request, "Choose an image to upload.")
            return redirect(back)
        try:
            avatar_upload(user=request.user, file=upload)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Your new avatar is being processed.")
        return redirect(back)


# --- Follows, people --------------------------------------------------------------------------

PEOPLE_PAGE_SIZE = 30


class FollowView(LoginRequiredMixin, View):
    """POST `action=set` (follow) or `action=unset`: back where the person was, or, for the
    page's script, the follow button again (accounts/_follow_button.html)."""

    def post(self, request, username: str):
        followee = user_get_active(username=username)
        back = safe_next_url(request, reverse("posts:profile", args=[followee.username]))
        try:
            if request.POST.get("action") == "unset":
                follow_delete(follower=request.user, followee=followee)
                message = f"You no longer follow {followee.username}."
            else:
                follow_create(follower=request.user, followee=followee)
                message = f"You follow {followee.username}."
        except ApplicationError as error:
            if wants_fragment(request):  # the script then posts the form as it is
                return HttpResponseBadRequest(error.message, content_type="text/plain")
            messages.error(request, error.message)
        else:
            if wants_fragment(request):
                person = profile_get(username=followee.username, viewer=request.user)
                context = {"person": person, "next_url": back}
                context["count_target"] = request.POST.get("count_target", "")
                return render(request, "accounts/_follow_button.html", context)
            messages.success(request, message)
        return redirect(back)


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
        else:
            context["suggestions"] = suggestions_for(user=request.user, limit=20)
        return render(request, "accounts/people.html", context)


class SuggestionDismissView(LoginRequiredMixin, View):
    def post(self, request, username: str):
        dismissed = user_get_active(username=username)
        try:
            suggestion_dismiss(user=request.user, dismissed=dismissed)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"We will not suggest {dismissed.username} again.")
        return redirect(safe_next_url(request, reverse("accounts:people")))
