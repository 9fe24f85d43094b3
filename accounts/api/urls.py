from django.urls import path  # noqa: F401

urlpatterns = [
    # --- auth/, me/
    # --- users/, suggestions/
]
