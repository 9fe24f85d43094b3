from django.urls import path  # noqa: F401

app_name = "accounts"

urlpatterns = [
    # --- Sign-up, log-in, settings, password reset
    # --- Profiles, follows, people
]
