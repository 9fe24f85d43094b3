"""Reads about posts that pages and the API share; they own select/prefetch/annotations."""

# --- Posts, feed, comments, likes, bookmarks --------------------------------------------------

# --- Media ------------------------------------------------------------------------------------
