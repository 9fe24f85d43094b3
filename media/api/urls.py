from django.urls import path

from media.api import views

urlpatterns = [
    path("media/", views.MediaUploadView.as_view(), name="api-media"),
    path("media/uploads/", views.DirectUploadStartView.as_view(), name="api-media-uploads"),
    path("media/<int:media_id>/", views.MediaDetailView.as_view(), name="api-media-detail"),
    path(
        "media/<int:media_id>/complete/",
        views.DirectUploadCompleteView.as_view(),
        name="api-media-complete",
    ),
    path("limits/", views.LimitsView.as_view(), name="api-limits"),
]
