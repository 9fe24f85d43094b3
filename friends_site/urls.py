from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from posts.views import serve_media

urlpatterns = [
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("friends_site.api_urls")),
    path("", include("accounts.urls")),
    path("", include("posts.urls")),
    re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.+)$", serve_media, name="media"),
]
