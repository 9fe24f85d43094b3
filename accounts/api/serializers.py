from rest_framework import serializers  # noqa: F401

# --- Sign-up, token, password reset, me -------------------------------------------------------

# --- Users, follows, suggestions --------------------------------------------------------------
