"""A post's photos: the grid on cards, the viewer page and its fragment, tiles still processing."""

import re

import pytest
from django.utils import timezone

from accounts.tests.factories import FollowFactory, UserFactory
from media.models import Media
from posts.models import PostPhoto
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

BLURHASH = "LEHV6nWB2yk8pyo0adR*.7kCMdnj"


def add_photo(post, position: int, *, status=Media.Status.DONE, alt_text="", size=(1200, 900)):
    width, height = size
    media = Media.objects.create(
        owner=post.author,
        status=status,
        width=width,
        height=height,
        alt_text=alt_text,
        blurhash=BLURHASH if status == Media.Status.DONE else "",
        attached_at=timezone.now(),
        variants={
            "display": {"name": f"media/{position}/display.webp", "width": width, "height": height},
            "thumbnail": {"name": f"media/{position}/thumbnail.webp", "width": 640, "height": 480},
        },
    )
    PostPhoto.objects.create(post=post, media=media, position=position)
    return media


def post_with_photos(count: int, **post_fields):
    post = PostFactory(**post_fields)
    photos = [add_photo(post, i, alt_text=f"Photo number {i + 1}") for i in range(count)]
    return post, photos


def get(client, url: str, user=None, **headers):
    if user is not None:
        client.force_login(user)
    return client.get(url, **headers)


def test_the_viewer_page_shows_photo_n_of_count_large_with_its_caption_and_the_ways_on(client):
    post, photos = post_with_photos(3, title="Our trip")

    response = get(client, f"/posts/{post.pk}/photos/2/", UserFactory())

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Photo 2 of 3 · Our trip · Friends</title>" in html
    assert '<span class="photo-viewer-count">2 of 3</span>' in html
    assert f'rel="prev" href="/posts/{post.pk}/photos/1/"' in html
    assert f'rel="next" href="/posts/{post.pk}/photos/3/"' in html
    assert f'class="photo-viewer-back" href="/posts/{post.pk}/"' in html
    # The large display variant, its description as alt text and as a visible caption.
    assert f'src="{photos[1].display_url}"' in html
    assert 'alt="Photo number 2"' in html
    assert re.search(r"<figcaption[^>]*>Photo number 2</figcaption>", html)
    assert f'data-blurhash="{BLURHASH}"' in html


def test_the_first_photo_has_no_previous_and_the_last_no_next(client):
    post, _photos = post_with_photos(2)

    first = get(client, f"/posts/{post.pk}/photos/1/").content.decode()
    last = get(client, f"/posts/{post.pk}/photos/2/").content.decode()

    assert 'rel="prev"' not in first
    assert f'rel="next" href="/posts/{post.pk}/photos/2/"' in first
    assert f'rel="prev" href="/posts/{post.pk}/photos/1/"' in last
    assert 'rel="next"' not in last


@pytest.mark.parametrize("n", [0, 3, 99])
def test_a_photo_number_the_post_does_not_have_is_404(client, n):
    post, _photos = post_with_photos(2)

    assert get(client, f"/posts/{post.pk}/photos/{n}/").status_code == 404


def test_another_persons_photo_still_processing_is_404_but_its_owner_sees_it(client):
    post, _photos = post_with_photos(1)
    add_photo(post, 1, status=Media.Status.PROCESSING)

    assert get(client, f"/posts/{post.pk}/photos/2/", UserFactory()).status_code == 404
    assert get(client, f"/posts/{post.pk}/photos/2/tile/").status_code == 404
    own = get(client, f"/posts/{post.pk}/photos/2/", post.author)
    assert own.status_code == 200
    assert "2 of 2" in own.content.decode()
    assert "Processing photo" in own.content.decode()
    assert "1 of 1" in get(client, f"/posts/{post.pk}/photos/1/", UserFactory()).content.decode()


def test_the_viewer_asked_for_as_a_fragment_answers_the_overlay_alone(client):
    post, _photos = post_with_photos(3)

    response = get(client, f"/posts/{post.pk}/photos/3/", UserFactory(), HTTP_X_FRAGMENT="1")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<dialog class="photo-dialog"')
    assert "<html" not in html
    assert '<span class="photo-viewer-count">3 of 3</span>' in html
    assert f'rel="prev" href="/posts/{post.pk}/photos/2/"' in html
    assert 'class="photo-dialog-close"' in html
    # The page and the fragment share an address: caches must keep them apart.
    assert "X-Fragment" in response["Vary"]
    assert "X-Fragment" in get(client, f"/posts/{post.pk}/photos/3/")["Vary"]


def test_the_viewer_page_takes_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    post, _photos = post_with_photos(6)
    client.force_login(UserFactory())
    client.get(f"/posts/{post.pk}/photos/1/")

    # session, user, the post with its author, its photos; the unread notifications' count
    with django_assert_max_num_queries(5):
        assert client.get(f"/posts/{post.pk}/photos/5/").status_code == 200


@pytest.mark.parametrize(("count", "grid", "tiles"), [(1, 1, 1), (2, 2, 2), (3, 3, 3), (4, 4, 4)])
def test_cards_show_photos_in_a_grid_each_linking_to_the_viewer(client, count, grid, tiles):
    post, _photos = post_with_photos(count)
    reader = UserFactory()
    FollowFactory(follower=reader, followee=post.author)

    html = get(client, "/", reader).content.decode()

    assert f'class="photo-grid photo-grid-{grid}"' in html
    links = re.findall(rf'class="media-link" href="/posts/{post.pk}/photos/(\d+)/"', html)
    assert links == [str(n) for n in range(1, tiles + 1)]
    assert "photo-more" not in html


def test_a_card_shows_four_of_six_photos_the_last_saying_two_more(client):
    post, _photos = post_with_photos(6)

    html = get(client, f"/posts/{post.pk}/", UserFactory()).content.decode()

    assert 'class="photo-grid photo-grid-4"' in html
    assert html.count('class="photo-tile"') == 4
    fourth = rf'href="/posts/{post.pk}/photos/4/"><img [^>]*>\s*</a>\s*'
    assert re.search(fourth + r'<span class="photo-more">\+2<', html)
    assert "> more photos<" in html
    assert html.count(f'data-blurhash="{BLURHASH}"') == 4


def test_one_photo_keeps_its_own_shape(client):
    post = PostFactory()
    add_photo(post, 0, size=(900, 1600))

    html = get(client, f"/posts/{post.pk}/").content.decode()

    assert 'class="photo-tile" style="--ratio: 900 / 1600"' in html
    assert 'width="900" height="1600"' in html


def test_a_tile_still_processing_asks_for_itself_and_links_to_the_viewer_once_ready(client):
    post = PostFactory()
    media = add_photo(post, 0, status=Media.Status.PROCESSING)
    tile_url = f"/posts/{post.pk}/photos/1/tile/"

    page = get(client, f"/posts/{post.pk}/", post.author).content.decode()
    processing = get(client, tile_url)

    assert f'data-fragment-refresh="{tile_url}"' in page
    assert processing["Cache-Control"] == "no-store"
    assert processing.content.decode().startswith(
        f'<div class="photo-tile" style="--ratio: 1200 / 900" data-fragment-refresh="{tile_url}"'
        f' data-media-id="{media.pk}" data-media-owner="{media.owner_id}">'
    )
    Media.objects.filter(pk=media.pk).update(status=Media.Status.DONE, blurhash=BLURHASH)
    ready = get(client, tile_url).content.decode()
    assert "data-fragment-refresh" not in ready
    assert f'class="media-link" href="/posts/{post.pk}/photos/1/"' in ready
    assert f'data-blurhash="{BLURHASH}"' in ready
