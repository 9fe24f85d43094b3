"""Reads about people that pages and the API share."""

# --- Accounts ---------------------------------------------------------------------------------

# --- Follows, friends, suggestions, profiles --------------------------------------------------
