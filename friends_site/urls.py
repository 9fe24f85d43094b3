from django.contrib import admin
from django.urls import include, path, re_path

from accounts.views import set_language
from core.health import healthz, readyz
from core.metrics import metrics
from core.streams import events_stream
from core.views import api_not_found

# Errors outside the views' own answers: JSON in the API's format under /api/, pages elsewhere.
handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

urlpatterns = [
    # Operators (docs/OPERATIONS.md): answered before the rest of the middleware
    # (core.health.ProbeMiddleware); /metrics only to METRICS_TOKEN or METRICS_ALLOWED_IPS.
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("friends_site.api_urls")),
    # The footer's language switcher: Django's set_language, which also saves a signed-in
    # person's setting (accounts.views.set_language).
    path("i18n/setlang/", set_language, name="set_language"),
    # Live updates: server-sent events, an async view (served under ASGI, README "Serving").
    path("events/", events_stream, name="events"),
    path("", include("accounts.urls")),
    path("", include("posts.urls")),
    path("", include("media.urls")),
    # Last: any other /api/ path is the API's JSON 404, under DEBUG too (where Django would
    # answer its HTML debug page instead of handler404).
    re_path(r"^api/", api_not_found),
]
