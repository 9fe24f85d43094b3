from django.urls import path

from posts import comment_views, export_views, notification_views, views

app_name = "posts"

urlpatterns = [
    # --- Feed, profiles, posts, comments, likes, bookmarks
    path("", views.HomeView.as_view(), name="home"),
    path("u/<str:username>/", views.ProfileView.as_view(), name="profile"),
    path("u/<str:username>/followers/", views.FollowersView.as_view(), name="followers"),
    path("u/<str:username>/following/", views.FollowingView.as_view(), name="following"),
    path("u/<str:username>/likes/", views.ProfileLikesView.as_view(), name="profile_likes"),
    path("posts/new/", views.PostCreateView.as_view(), name="create"),
    path("posts/<int:post_id>/", views.PostDetailView.as_view(), name="detail"),
    path("posts/<int:post_id>/photos/<int:n>/", views.PostPhotoView.as_view(), name="photo"),
    path(
        "posts/<int:post_id>/photos/<int:n>/tile/",
        views.PostPhotoTileView.as_view(),
        name="photo_tile",
    ),
    path("posts/<int:post_id>/edit/", views.PostUpdateView.as_view(), name="edit"),
    path("posts/<int:post_id>/delete/", views.PostDeleteView.as_view(), name="delete"),
    path("posts/<int:post_id>/like/", views.LikeToggleView.as_view(), name="like"),
    path("posts/<int:post_id>/bookmark/", views.BookmarkToggleView.as_view(), name="bookmark"),
    path(
        "posts/<int:post_id>/comments/",
        comment_views.CommentCreateView.as_view(),
        name="comment_create",
    ),
    path(
        "comments/<int:comment_id>/edit/",
        comment_views.CommentUpdateView.as_view(),
        name="comment_edit",
    ),
    path(
        "comments/<int:comment_id>/delete/",
        comment_views.CommentDeleteView.as_view(),
        name="comment_delete",
    ),
    path("likes/", views.LikedPostsView.as_view(), name="likes"),
    path("bookmarks/", views.BookmarkedPostsView.as_view(), name="bookmarks"),
    # --- Notifications (their switches sit under /settings/, with the rest of the person's)
    path("notifications/", notification_views.NotificationsView.as_view(), name="notifications"),
    path(
        "notifications/unread/",
        notification_views.UnreadNotificationsView.as_view(),
        name="notifications_unread",
    ),
    path(
        "settings/notifications/",
        notification_views.NotificationSettingsView.as_view(),
        name="notification_settings",
    ),
    # --- Download your data (under /settings/ with the rest of the person's)
    path("settings/export/", export_views.ExportView.as_view(), name="export"),
    path(
        "settings/export/<int:export_id>/download/",
        export_views.ExportDownloadView.as_view(),
        name="export_download",
    ),
]
