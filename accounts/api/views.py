"""API views of accounts: they call the same services as the pages."""

# --- Sign-up, token, password reset, me -------------------------------------------------------

# --- Users, follows, suggestions --------------------------------------------------------------
