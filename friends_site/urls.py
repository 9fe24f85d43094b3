from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("friends_site.api_urls")),
    path("", include("accounts.urls")),
    path("", include("posts.urls")),
    path("", include("media.urls")),
]
