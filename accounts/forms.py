"""HTML forms of accounts."""

# --- Sign-up, log-in, settings, password reset ------------------------------------------------

# --- Follows, people search -------------------------------------------------------------------
