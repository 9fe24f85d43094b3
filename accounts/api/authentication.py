"""`Authorization: Token <key>`: the API tokens of accounts.ApiToken (django-rest-knox)."""

from hmac import compare_digest

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework import exceptions

from accounts.models import ApiToken


class ApiTokenAuthentication(TokenAuthentication):
    """knox's check of the key against the stored digests, for tokens that have not expired,
    recording the token's last use (at most once a minute: accounts.services.token_used).

    One query per request: knox's own version also reads every other token of the person, on
    every request, to delete the expired ones; token_create does that at the next log-in.
    """

    def authenticate_credentials(self, key: bytes):
        # Here, not at the top: DRF imports this module while rest_framework.views loads, which
        # the services' modules import in turn.
        from accounts.services import token_used

        invalid = exceptions.AuthenticationFailed("Invalid token.")
        try:
            key = key.decode()
        except UnicodeDecodeError:  # the header is read as Latin-1: any byte may arrive
            raise invalid from None
        digest = hash_token(key)
        candidates = ApiToken.objects.filter(
            token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH], expiry__gt=timezone.now()
        ).select_related("user__avatar")  # the avatar with the person: see backends.get_user
        for token in candidates:
            if compare_digest(digest, token.digest):
                user, token = self.validate_user(token)  # an inactive account: 401
                token_used(token=token)
                return user, token
        raise invalid


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the token (the header and its "Token" prefix)."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )
