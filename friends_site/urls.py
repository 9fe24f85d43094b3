from django.contrib import admin
from django.urls import include, path

# Errors outside the views' own answers: JSON in the API's format under /api/, pages elsewhere.
handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

urlpatterns = [
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("friends_site.api_urls")),
    path("", include("accounts.urls")),
    path("", include("posts.urls")),
    path("", include("media.urls")),
]
