from django.urls import path  # noqa: F401

app_name = "posts"

urlpatterns = [
    # --- Feed, posts, comments, likes, bookmarks
    # --- Media
]
