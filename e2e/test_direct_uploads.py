"""With S3 storage the new-post page sends photos straight to the bucket (moto's server mode
here, on loopback): the web server receives only their ids."""

import copy

import boto3
import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from e2e.test_journeys import jpeg_bytes, log_in
from friends_site.embedded_redis import free_port
from media.models import Media
from posts.models import Post

BUCKET = "friends-e2e"
REGION = "us-east-1"


@pytest.fixture
def s3_server(settings):
    """A local S3 with the bucket (CORS for the page's POST), media stored there, and the
    page's Content-Security-Policy letting it connect there; yields the endpoint."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server._port}"
    keys = {"access_key": "e2e", "secret_key": "e2e"}
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="e2e",
        aws_secret_access_key="e2e",
    )
    client.create_bucket(Bucket=BUCKET)
    client.put_bucket_cors(
        Bucket=BUCKET,
        CORSConfiguration={
            "CORSRules": [
                {"AllowedOrigins": ["*"], "AllowedMethods": ["POST"], "AllowedHeaders": ["*"]}
            ]
        },
    )
    common = {
        **keys,
        "bucket_name": BUCKET,
        "endpoint_url": endpoint,
        "region_name": REGION,
        "addressing_style": "path",
        "file_overwrite": True,
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**common, "location": "public", "querystring_auth": False},
        },
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**common, "location": "private"},
        },
    }
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["connect-src"].append(endpoint)
    policy["DIRECTIVES"]["img-src"].append(endpoint)
    settings.CONTENT_SECURITY_POLICY = policy
    yield endpoint
    server.stop()


def test_a_photo_goes_straight_to_s3_and_the_post_shows_it_once_ready(s3_server, page, run_worker):
    UserFactory(username="alice")
    photo = jpeg_bytes()
    posted = []
    page.on("request", lambda request: posted.append(request) if request.method == "POST" else 0)
    log_in(page, "alice")

    page.goto("/posts/new/")
    page.get_by_label("Title").fill("Straight to the bucket")
    page.locator("input[type=file]").set_input_files(
        {"name": "lake.jpg", "mimeType": "image/jpeg", "buffer": photo}
    )
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Straight to the bucket").first).to_be_visible()

    to_bucket = [request for request in posted if request.url.startswith(s3_server)]
    form = [request for request in posted if request.url.endswith("/posts/new/")]
    assert len(to_bucket) == 1
    assert len(form) == 1
    assert len(form[0].post_data_buffer or b"") < len(photo) / 10  # the id, not the photo
    media = Post.objects.get(title="Straight to the bucket").photos.get()
    assert media.status == Media.Status.PENDING
    run_worker()
    media.refresh_from_db()
    assert media.status == Media.Status.DONE
    page.reload()
    photo_on_page = page.locator("article img").first
    expect(photo_on_page).to_be_visible()
    assert photo_on_page.get_attribute("src").startswith(f"{s3_server}/{BUCKET}/public/")
