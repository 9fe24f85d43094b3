from django.urls import path

from posts.api import export_views, notification_views, views

urlpatterns = [
    # --- users/<username>/ (profiles: they count posts), and follow, block, mute (they answer
    # with the profile)
    path("users/<str:username>/", views.UserDetailView.as_view(), name="api-user"),
    path("users/<str:username>/follow/", views.UserFollowView.as_view(), name="api-user-follow"),
    path("users/<str:username>/block/", views.UserBlockView.as_view(), name="api-user-block"),
    path("users/<str:username>/mute/", views.UserMuteView.as_view(), name="api-user-mute"),
    # --- posts/, comments/, feed/, me/likes/, me/bookmarks/
    path("posts/", views.PostListView.as_view(), name="api-posts"),
    path("posts/<int:post_id>/", views.PostDetailView.as_view(), name="api-post"),
    path("posts/<int:post_id>/like/", views.PostLikeView.as_view(), name="api-post-like"),
    path(
        "posts/<int:post_id>/bookmark/", views.PostBookmarkView.as_view(), name="api-post-bookmark"
    ),
    path(
        "posts/<int:post_id>/comments/", views.PostCommentsView.as_view(), name="api-post-comments"
    ),
    path("comments/<int:comment_id>/", views.CommentDetailView.as_view(), name="api-comment"),
    path("feed/", views.FeedView.as_view(), name="api-feed"),
    path("me/likes/", views.MyLikesView.as_view(), name="api-my-likes"),
    path("me/bookmarks/", views.MyBookmarksView.as_view(), name="api-my-bookmarks"),
    # --- notifications/, me/notification-settings/
    path(
        "notifications/",
        notification_views.NotificationListView.as_view(),
        name="api-notifications",
    ),
    path(
        "notifications/read/",
        notification_views.NotificationsReadView.as_view(),
        name="api-notifications-read",
    ),
    path(
        "me/notification-settings/",
        notification_views.NotificationSettingsView.as_view(),
        name="api-notification-settings",
    ),
    # --- me/export/ (download your data)
    path("me/export/", export_views.MyExportView.as_view(), name="api-my-export"),
]
