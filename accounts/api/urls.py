from django.urls import path

from accounts.api import views

urlpatterns = [
    # --- auth/, me/
    path("auth/signup/", views.SignupApi.as_view(), name="api-signup"),
    path("auth/token/", views.TokenApi.as_view(), name="api-token"),
    path("auth/password-reset/", views.PasswordResetApi.as_view(), name="api-password-reset"),
    path("me/", views.MeApi.as_view(), name="api-me"),
    path("me/tokens/", views.TokenListApi.as_view(), name="api-tokens"),
    path("me/tokens/<int:token_id>/", views.TokenDetailApi.as_view(), name="api-token-detail"),
    path("me/blocks/", views.MyBlocksView.as_view(), name="api-my-blocks"),
    path("me/mutes/", views.MyMutesView.as_view(), name="api-my-mutes"),
    # --- invites/
    path("invites/", views.InviteApi.as_view(), name="api-invites"),
    # --- users/, suggestions/
    path("users/", views.UserListView.as_view(), name="api-users"),
    path(
        "users/<str:username>/followers/",
        views.UserFollowersView.as_view(),
        name="api-user-followers",
    ),
    path(
        "users/<str:username>/following/",
        views.UserFollowingView.as_view(),
        name="api-user-following",
    ),
    path("suggestions/", views.SuggestionListView.as_view(), name="api-suggestions"),
    path(
        "suggestions/<str:username>/",
        views.SuggestionDismissView.as_view(),
        name="api-suggestion-dismiss",
    ),
]
