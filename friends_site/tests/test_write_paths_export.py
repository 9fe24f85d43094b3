"""The write routes of data exports with real transactions (production's autocommit): the
page and the API start one, the worker writes the zip and queues the email, the link downloads
it for its owner only (see test_write_paths.py for why)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core import mail

from accounts.models import EmailDelivery
from accounts.tests.factories import UserFactory, api_client_for
from posts.models import DataExport
from posts.tests.exports import person_with_data

pytestmark = [pytest.mark.django_db(transaction=True)]

API = "/api/v1/me/export/"


def test_page_start_worker_email_and_download(client, run_worker, settings):
    settings.SITE_URL = "http://testserver"
    person = person_with_data(posts=3, photos=2)
    client.force_login(person)

    assert client.post("/settings/export/").status_code == 302
    assert client.post("/settings/export/").status_code == 302  # refused: one at a time
    assert DataExport.objects.filter(user=person).count() == 1
    run_worker()  # the export, then the email it queued
    run_worker()

    export = DataExport.objects.get(user=person)
    assert export.status == DataExport.Status.DONE
    assert EmailDelivery.objects.get(user=person).status == EmailDelivery.Status.DONE
    [message] = mail.outbox
    link = re.search(r"http://testserver(/settings/export/\d+/download/)", message.body).group(1)
    response = client.get(link)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "friends-data/index.html" in archive.namelist()
    client.force_login(UserFactory())
    assert client.get(link).status_code == 404


def test_api_start_conflict_and_status(run_worker):
    person = UserFactory()
    api = api_client_for(person)
    started = api.post(API)
    assert started.status_code == 202
    conflict = api.post(API)
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "export_running"
    run_worker()
    answer = api.get(API).json()
    assert answer["status"] == "done"
    assert answer["download_url"].endswith(f"/settings/export/{started.json()['id']}/download/")
