"""HTML pages of accounts: thin views calling services and selectors."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import FormView

from accounts.forms import PasswordResetRequestForm, PeopleSearchForm, ProfileForm, SignupForm
from accounts.ratelimit import RateLimited, client_ip, ratelimit_enforce
from accounts.selectors import (
    followed_by_for,
    followers_of,
    following_of,
    profile_get,
    shared_friends,
    suggestions_for,
    user_get_active,
    user_search,
)
from accounts.services import (
    follow_create,
    follow_delete,
    password_reset_request,
    suggestion_dismiss,
    user_profile_update,
    user_signup,
)
from friends_site.errors import ApplicationError
from posts.selectors import post_list

# --- Sign-up, log-in, settings, password reset ------------------------------------------------


class RateLimitedPostMixin:
    """Counts every POST against `ratelimit_action`; past the limit, a 429 page."""

    ratelimit_action = ""
    ratelimit_account_field = ""

    def post(self, request, *args, **kwargs):
        try:
            ratelimit_enforce(
                action=self.ratelimit_action,
                ip=client_ip(request),
                account=request.POST.get(self.ratelimit_account_field, ""),
            )
        except RateLimited as error:
            response = render(
                request, "accounts/rate_limited.html", {"message": error.message}, status=429
            )
            response["Retry-After"] = str(error.retry_after)
            return response
        return super().post(request, *args, **kwargs)


def _form_error(form, error: ApplicationError):
    form.add_error(error.field if error.field in form.fields else None, error.message)


class SignupView(RateLimitedPostMixin, FormView):
    """`/signup/`: creates the account, logs the person in; the welcome email is queued."""

    template_name = "accounts/signup.html"
    form_class = SignupForm
    ratelimit_action = "signup"
    ratelimit_account_field = "email"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("/")
        return super().dispatch(request, *args, **kwargs)

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
            if error.field == "password":
                error.field = "password1"
            _form_error(form, error)
            return self.form_invalid(form)
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            self.request, f"Welcome to Friends, {user.name}! We are sending you a welcome email."
        )
        return redirect("/")


class LoginView(RateLimitedPostMixin, auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    ratelimit_action = "login"
    ratelimit_account_field = "username"

    def form_valid(self, form):
        messages.success(self.request, f"Welcome back, {form.get_user().name}.")
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are logged out.")
        return response


class SettingsView(LoginRequiredMixin, FormView):
    """`/settings/`: display name and bio; links to the password change."""

    template_name = "accounts/settings.html"
    form_class = ProfileForm

    def get_initial(self):
        return {"display_name": self.request.user.display_name, "bio": self.request.user.bio}

    def form_valid(self, form):
        try:
            user_profile_update(user=self.request.user, **form.cleaned_data)
        except ApplicationError as error:
            _form_error(form, error)
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


class PasswordResetView(RateLimitedPostMixin, FormView):
    """`/password-reset/`: the same answer whether or not an account uses the address."""

    template_name = "registration/password_reset_form.html"
    form_class = PasswordResetRequestForm
    ratelimit_action = "password_reset"
    ratelimit_account_field = "email"

    def form_valid(self, form):
        password_reset_request(email=form.cleaned_data["email"])
        return redirect("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("accounts:password_reset_complete")


# --- Profiles, follows, people ----------------------------------------------------------------

PEOPLE_PAGE_SIZE = 30
PROFILE_POSTS_PAGE_SIZE = 20


def _back_to(request, default: str) -> str:
    """Where a follow form sends the person back: `next` when it is on this site."""
    candidate = request.POST.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


class ProfileView(View):
    """`/u/<username>/`: who they are, counts, follow button, shared friends, their posts."""

    def get(self, request, username: str):
        profile = profile_get(username=username, viewer=request.user)
        paginator = Paginator(
            post_list(viewer=request.user, author=profile), PROFILE_POSTS_PAGE_SIZE
        )
        paginator.count = profile.posts_count  # already counted by profile_get: one query less
        page = paginator.get_page(request.GET.get("page"))
        return render(
            request,
            "accounts/profile.html",
            {
                "profile": profile,
                "followed_by": followed_by_for(user=profile, viewer=request.user),
                "shared_friends": shared_friends(user=profile, viewer=request.user),
                "page_obj": page,
                "posts": page.object_list,
            },
        )


class _FollowListView(View):
    heading = ""

    def people(self, user, viewer):
        raise NotImplementedError

    def get(self, request, username: str):
        profile = user_get_active(username=username)
        paginator = Paginator(self.people(profile, request.user), PEOPLE_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        return render(
            request,
            "accounts/follow_list.html",
            {
                "profile": profile,
                "heading": self.heading,
                "page_obj": page,
                "people": page.object_list,
                "active": self.active,
            },
        )


class FollowersView(_FollowListView):
    heading = "Followers"
    active = "followers"

    def people(self, user, viewer):
        return followers_of(user=user, viewer=viewer)


class FollowingView(_FollowListView):
    heading = "Following"
    active = "following"

    def people(self, user, viewer):
        return following_of(user=user, viewer=viewer)


class FollowView(LoginRequiredMixin, View):
    """POST `action=follow` or `action=unfollow`; works without JavaScript."""

    def post(self, request, username: str):
        followee = user_get_active(username=username)
        if request.POST.get("action") == "unfollow":
            follow_delete(follower=request.user, followee=followee)
            messages.success(request, f"You no longer follow {followee.username}.")
        else:
            try:
                follow_create(follower=request.user, followee=followee)
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, f"You follow {followee.username}.")
        return redirect(_back_to(request, reverse("accounts:profile", args=[followee.username])))


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
        return redirect(_back_to(request, reverse("accounts:people")))
