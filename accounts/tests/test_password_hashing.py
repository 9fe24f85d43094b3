"""Passwords are stored with Argon2id at OWASP's parameters; older PBKDF2 hashes still work and
are upgraded at the next log-in (settings.PASSWORD_HASHERS, accounts/hashers.py)."""

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.test import override_settings

from accounts.tests.factories import UserFactory
from friends_site import settings as production_settings

pytestmark = pytest.mark.django_db

PRODUCTION_HASHERS = override_settings(PASSWORD_HASHERS=production_settings.PASSWORD_HASHERS)


@PRODUCTION_HASHERS
def test_a_new_password_is_an_argon2id_hash_with_owasp_parameters():
    encoded = make_password("correct horse battery staple")

    # argon2$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
    algorithm, variety, version, parameters, *_ = encoded.split("$")
    assert (algorithm, variety, version) == ("argon2", "argon2id", "v=19")
    assert parameters == "m=19456,t=2,p=1"
    assert check_password("correct horse battery staple", encoded)
    assert not check_password("correct horse battery stapler", encoded)


@PRODUCTION_HASHERS
def test_a_pbkdf2_password_still_logs_in_and_is_rewritten_as_argon2id():
    user = UserFactory(username="older")
    user.password = make_password("an older password", hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])

    assert authenticate(username="older", password="an older password") == user

    user.refresh_from_db()
    assert identify_hasher(user.password).algorithm == "argon2"
    assert "m=19456,t=2,p=1" in user.password
