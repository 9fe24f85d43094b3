"""HTML pages of accounts: thin views calling services and selectors."""

# --- Sign-up, log-in, settings, password reset ------------------------------------------------

# --- Profiles, follows, people ----------------------------------------------------------------
