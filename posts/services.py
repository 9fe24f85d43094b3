"""Every write about posts: posts, comments, likes, bookmarks, media."""

# --- Posts, comments, likes, bookmarks --------------------------------------------------------

# --- Media ------------------------------------------------------------------------------------
