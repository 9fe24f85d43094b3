from django.conf import settings
from django.urls import path, re_path

from media import views

app_name = "media"

urlpatterns = [
    path("photos/<int:media_id>/fragment/", views.photo_fragment, name="fragment"),
    re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.+)$", views.serve_media, name="file"),
]
