from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    # --- Sign-up, log-in, settings, password reset
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("settings/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("settings/avatar/", views.AvatarView.as_view(), name="avatar"),
    path("settings/tokens/", views.TokensView.as_view(), name="tokens"),
    path(
        "settings/tokens/<int:token_id>/revoke/",
        views.TokenRevokeView.as_view(),
        name="token_revoke",
    ),
    path("settings/delete/", views.LeaveView.as_view(), name="leave"),
    path("settings/delete/done/", views.LeaveDoneView.as_view(), name="leave_done"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # --- Invitations
    path("invite/", views.InviteView.as_view(), name="invite"),
    path(
        "invite/unsubscribe/<str:token>/",
        views.InviteUnsubscribeView.as_view(),
        name="invite_unsubscribe",
    ),
    # --- Follows, people (profile pages, followers and following included, show posts and
    # post counts: posts.urls)
    path("u/<str:username>/follow/", views.FollowView.as_view(), name="follow"),
    path("u/<str:username>/block/", views.BlockView.as_view(), name="block"),
    path("u/<str:username>/mute/", views.MuteView.as_view(), name="mute"),
    path("settings/blocked/", views.BlockedListView.as_view(), name="blocked"),
    path("settings/muted/", views.MutedListView.as_view(), name="muted"),
    path("people/", views.PeopleView.as_view(), name="people"),
    path(
        "people/<str:username>/dismiss/",
        views.SuggestionDismissView.as_view(),
        name="suggestion_dismiss",
    ),
]
