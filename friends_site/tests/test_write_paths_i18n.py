"""The language setting, page writes with real transactions (see test_write_paths): the footer's
switcher and the settings form save User.language, which then chooses the pages' and the
emails' language."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory, api_client_for

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_the_switcher_saves_the_setting_and_the_cookie():
    person = UserFactory()
    client = Client()
    client.force_login(person)
    response = client.post("/i18n/setlang/", {"language": "ko", "next": "/people/"})
    assert response.status_code == 302
    assert response["Location"] == "/people/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ko"
    assert User.objects.get(pk=person.pk).language == "ko"
    assert '<html lang="ko">' in client.get("/people/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_an_unknown_language_changes_nothing():
    person = UserFactory(language="ko")
    client = Client()
    client.force_login(person)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert User.objects.get(pk=person.pk).language == "ko"


def test_the_settings_form_saves_the_language_and_the_next_email_uses_it(run_worker):
    person = UserFactory(display_name="Ada")
    client = Client()
    client.force_login(person)
    response = client.post("/settings/", {"display_name": "Ada", "bio": "", "language": "ko"})
    assert response.status_code == 302
    assert User.objects.get(pk=person.pk).language == "ko"
    Client().post("/password-reset/", {"email": person.email})
    run_worker()
    assert mail.outbox[-1].subject == "Friends 비밀번호 재설정"


def test_the_api_reads_and_sets_the_language():
    person = UserFactory()
    api = api_client_for(person)
    answer = api.patch("/api/v1/me/", {"language": "ko"}, format="json")
    assert answer.status_code == 200
    assert answer.json()["language"] == "ko"
    assert User.objects.get(pk=person.pk).language == "ko"
    refused = api.patch("/api/v1/me/", {"language": "fr"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid"
    assert list(refused.json()["errors"]) == ["language"]
    assert api.patch("/api/v1/me/", {"language": ""}, format="json").json()["language"] == ""
