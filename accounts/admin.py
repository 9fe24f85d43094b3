from django.contrib import admin  # noqa: F401

# --- Users and email deliveries ---------------------------------------------------------------

# --- Follows and suggestion dismissals --------------------------------------------------------
