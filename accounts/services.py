"""Every write about people: sign-up, profile, password reset, email deliveries, follows."""

# --- Sign-up, profile, password reset ---------------------------------------------------------

# --- Email deliveries -------------------------------------------------------------------------

# --- Follows and suggestions ------------------------------------------------------------------
