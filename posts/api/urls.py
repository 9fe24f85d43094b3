from django.urls import path  # noqa: F401

urlpatterns = [
    # --- posts/, comments/, feed/, me/likes/, me/bookmarks/
    # --- media/, limits/
]
