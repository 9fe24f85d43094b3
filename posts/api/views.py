"""API views of posts: they call the same services as the pages."""

# --- Posts, comments, likes, bookmarks, feed --------------------------------------------------

# --- Media ------------------------------------------------------------------------------------
