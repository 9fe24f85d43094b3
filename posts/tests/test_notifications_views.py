"""The notifications page, the count in the navigation, the switches in /settings/, and the
API's notifications/, notifications/read/ and me/notification-settings/."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory, api_client_for
from media.models import Media
from posts.models import (
    Notification,
    NotificationActor,
    NotificationKind,
    NotificationOptOut,
)
from posts.tests.factories import CommentFactory, PostFactory

pytestmark = pytest.mark.django_db

Kind = NotificationKind
API = "/api/v1"


def avatar_for(person) -> Media:
    media = Media.objects.create(
        owner=person,
        kind=Media.Kind.AVATAR,
        status=Media.Status.DONE,
        width=400,
        height=400,
        storage_key="k",
        variants={
            "avatar_96": {"name": f"media/{person.pk}-k/avatar_96.webp", "width": 96, "height": 96}
        },
        original="originals/x.jpg",
    )
    type(person).objects.filter(pk=person.pk).update(avatar=media)
    return media


def notification(recipient, kind, *, actors=(), minutes_ago=0, read=False, **targets):
    """A notification as the job leaves it: `actors` in order, the last the latest."""
    key = f"{kind}:{len(Notification.objects.all())}:{recipient.pk}"
    when = timezone.now() - timedelta(minutes=minutes_ago)
    made = Notification.objects.create(
        recipient=recipient,
        kind=kind,
        group_key=key,
        actor_count=len(actors),
        latest_actor=actors[-1] if actors else None,
        updated_at=when,
        read_at=when if read else None,
        **targets,
    )
    for actor in actors:
        NotificationActor.objects.create(notification=made, actor=actor)
    return made


def varied_notifications(me, count: int) -> None:
    """`count` notifications of every kind, each with a different person with an avatar."""
    post = PostFactory(author=me, title="Spring")
    kinds = [Kind.FOLLOW, Kind.LIKE, Kind.COMMENT, Kind.REPLY, Kind.MENTION, Kind.PHOTO_FAILED]
    for n in range(count):
        kind = kinds[n % len(kinds)]
        person = UserFactory()
        avatar_for(person)
        if kind == Kind.PHOTO_FAILED:
            media = Media.objects.create(
                owner=me, status=Media.Status.FAILED, last_error="Bad image.", original="o.jpg"
            )
            notification(me, kind, minutes_ago=n, media=media, post=post)
        elif kind == Kind.MENTION:
            comment = CommentFactory(post=post, author=person)
            notification(me, kind, actors=[person], minutes_ago=n, post=post, comment=comment)
        elif kind == Kind.FOLLOW:
            notification(me, kind, actors=[UserFactory(), person], minutes_ago=n)
        else:
            notification(me, kind, actors=[person], minutes_ago=n, post=post)


# --- The page ---------------------------------------------------------------------------------


def test_the_page_reads_each_line_and_marks_those_shown_read(client):
    me = UserFactory(username="me")
    alice, bob, carol = (UserFactory(display_name=name) for name in ("Alice", "Bob", "Carol"))
    post = PostFactory(author=me, title="Spring <walk>")
    comment = CommentFactory(post=post, author=carol)
    avatar_for(alice)
    notification(me, Kind.FOLLOW, actors=[bob], minutes_ago=30, read=True)
    notification(me, Kind.LIKE, actors=[bob, carol, UserFactory(), alice], minutes_ago=5, post=post)
    notification(me, Kind.MENTION, actors=[carol], minutes_ago=1, post=post, comment=comment)
    client.force_login(me)

    html = client.get("/notifications/").content.decode()

    lines = re.findall(r'<li class="notification( unread)?">(.*?)</li>', html, re.S)
    assert [bool(unread) for unread, _ in lines] == [True, True, False]
    text = [" ".join(re.sub(r"<[^>]+>", "", line).split()) for _unread, line in lines]
    assert "New: Carol mentioned you in a comment on “Spring &lt;walk&gt;”" in text[0]
    assert "New: Alice and 3 others liked your post “Spring &lt;walk&gt;”" in text[1]
    assert "Bob started following you" in text[2]
    assert f'href="/posts/{post.pk}/#comment-{comment.pk}"' in lines[0][1]
    assert "avatar_96.webp" in lines[1][1]  # the latest person's avatar
    assert "<time datetime=" in lines[0][1]
    assert Notification.objects.filter(read_at__isnull=True).count() == 0
    # The count in the navigation already leaves out what this page shows.
    assert "unread</span>" not in html


def test_a_line_that_changed_while_the_page_was_drawn_stays_unread(client):
    from posts.services.notifications import notifications_mark_read

    me = UserFactory()
    shown = notification(me, Kind.LIKE, actors=[UserFactory()], post=PostFactory(author=me))
    seen = Notification.objects.get(pk=shown.pk)
    Notification.objects.filter(pk=shown.pk).update(updated_at=timezone.now())  # a new liker

    assert notifications_mark_read(user=me, shown=[seen]) == 0
    assert Notification.objects.get().read_at is None


def test_the_page_is_empty_at_first_and_says_what_will_come(client):
    client.force_login(UserFactory(username="newcomer"))

    html = client.get("/notifications/").content.decode()

    assert "Nothing yet" in html
    assert "@newcomer" in html
    assert "Older" not in html


def test_older_notifications_are_a_page_further(client):
    me = UserFactory()
    for n in range(25):
        notification(
            me, Kind.FOLLOW, actors=[UserFactory(display_name=f"Person {n:02}")], minutes_ago=n
        )
    client.force_login(me)

    first = client.get("/notifications/").content.decode()
    older = re.search(r'href="\?before=([^"]+)"', first).group(1)
    second = client.get(f"/notifications/?before={older}").content.decode()

    assert first.count('<li class="notification') == 20
    assert "Person 00" in first
    assert "Person 19" in first
    assert "Person 20" not in first
    assert second.count('<li class="notification') == 5
    assert "Person 20" in second
    assert "Person 24" in second
    assert "← Newest" in second
    assert "Older" not in second
    assert client.get("/notifications/?before=nonsense").status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_the_page_takes_a_fixed_number_of_queries(client, django_assert_num_queries, count):
    me = UserFactory()
    varied_notifications(me, count)
    client.force_login(me)
    client.get("/")  # the session's first load

    # session, user, the page's notifications (with people, avatars, posts, comments, photos),
    # the unread count, marking those shown read
    with django_assert_num_queries(5):
        response = client.get("/notifications/")

    assert response.content.decode().count('<li class="notification') == min(count, 20)


def test_the_page_needs_a_log_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- The count in the navigation --------------------------------------------------------------


def test_every_page_counts_the_unread_ones_in_both_navigations(client):
    me = UserFactory()
    for n in range(3):
        notification(me, Kind.FOLLOW, actors=[UserFactory()], minutes_ago=n)
    notification(me, Kind.FOLLOW, actors=[UserFactory()], read=True)
    client.force_login(me)

    html = client.get("/").content.decode()

    badges = re.findall(r"<span class=\"unread-badge\"[^>]*>(.*?)</span></span>", html)
    assert badges == ['3<span class="visually-hidden"> unread'] * 2
    # The count is part of each link's name ("Notifications 3 unread").
    links = re.findall(r'<a href="/notifications/"[^>]*>(.*?)</a>', html, re.S)
    assert len(links) == 2
    assert all('3<span class="visually-hidden"> unread</span>' in link for link in links)


def test_past_99_the_badge_says_99_plus(client):
    me = UserFactory()
    someone = UserFactory()
    Notification.objects.bulk_create(
        Notification(recipient=me, kind=Kind.FOLLOW, group_key=f"k{n}", latest_actor=someone)
        for n in range(120)
    )
    client.force_login(me)

    assert "99+<span" in client.get("/").content.decode()


def test_the_badge_alone_for_the_script_to_swap_in(client, django_assert_num_queries):
    me = UserFactory()
    notification(me, Kind.FOLLOW, actors=[UserFactory()])
    client.force_login(me)
    client.get("/")

    with django_assert_num_queries(3):  # session, user, the count
        response = client.get("/notifications/unread/", HTTP_X_FRAGMENT="1")

    assert response["Cache-Control"] == "no-store"
    html = response.content.decode().strip()
    assert html.startswith('<span class="unread-badge" data-unread-badge')
    assert 'data-unread-url="/notifications/unread/"' in html
    assert ">1<" in html
    assert "<html" not in html


def test_the_count_is_left_out_for_people_not_signed_in(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        html = client.get("/login/").content.decode()
    assert "unread-badge" not in html
    assert client.get("/notifications/unread/").status_code == 302


# --- Switches ---------------------------------------------------------------------------------


def test_the_switches_are_linked_from_settings_and_saved(client):
    me = UserFactory()
    client.force_login(me)

    settings_page = client.get("/settings/").content.decode()
    assert 'href="/settings/notifications/"' in settings_page
    page = client.get("/settings/notifications/").content.decode()
    assert page.count('type="checkbox"') == len(Kind.values)
    assert page.count("checked") == len(Kind.values)  # all on at first

    response = client.post("/settings/notifications/", {"follow": "on", "comment": "on"})

    assert response.status_code == 302
    assert set(NotificationOptOut.objects.filter(user=me).values_list("kind", flat=True)) == {
        Kind.LIKE,
        Kind.REPLY,
        Kind.MENTION,
        Kind.PHOTO_FAILED,
    }
    page = client.get("/settings/notifications/").content.decode()
    assert page.count("checked") == 2
    assert "Your notification settings are saved." in page


# --- The API ----------------------------------------------------------------------------------


def test_api_lists_my_notifications_newest_first_with_the_unread_count():
    me = UserFactory()
    bob = UserFactory(username="bob", display_name="Bob")
    post = PostFactory(author=me, title="Spring")
    notification(me, Kind.FOLLOW, actors=[bob], minutes_ago=10, read=True)
    liked = notification(me, Kind.LIKE, actors=[UserFactory(), bob], minutes_ago=1, post=post)
    notification(UserFactory(), Kind.FOLLOW, actors=[bob])  # someone else's

    body = api_client_for(me).get(f"{API}/notifications/").json()

    assert body["unread_count"] == 1
    assert body["next"] is None
    first, second = body["results"]
    assert first["id"] == liked.pk
    assert first["kind"] == "like"
    assert first["text"] == "Bob and 1 other liked your post “Spring”"
    assert first["url"] == f"/posts/{post.pk}/"
    assert first["actor"]["username"] == "bob"
    assert (first["actor_count"], first["post"], first["comment"]) == (2, post.pk, None)
    assert first["read_at"] is None
    assert second["kind"] == "follow"
    assert second["read_at"] is not None
    # Reading the list marks nothing.
    assert Notification.objects.filter(recipient=me, read_at__isnull=True).count() == 1


def test_api_pages_with_a_cursor():
    me = UserFactory()
    for n in range(5):
        notification(me, Kind.FOLLOW, actors=[UserFactory()], minutes_ago=n)
    api = api_client_for(me)

    first = api.get(f"{API}/notifications/", {"page_size": 3}).json()
    second = APIClient.get(api, first["next"]).json()

    assert len(first["results"]) == 3
    assert len(second["results"]) == 2
    ids = [item["id"] for item in first["results"] + second["results"]]
    assert ids == list(
        Notification.objects.order_by("-updated_at", "-id").values_list("pk", flat=True)
    )
    assert api.get(f"{API}/notifications/", {"cursor": "forged"}).status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_api_list_takes_a_fixed_number_of_queries(django_assert_num_queries, count):
    me = UserFactory()
    varied_notifications(me, count)
    api = api_client_for(me)
    api.get(f"{API}/notifications/")

    # token (with its person), the page, the unread count
    with django_assert_num_queries(3):
        response = api.get(f"{API}/notifications/", {"page_size": 50})

    assert len(response.json()["results"]) == count


def test_api_marks_read_up_to_the_newest_seen_or_all():
    me = UserFactory()
    older = notification(me, Kind.FOLLOW, actors=[UserFactory()], minutes_ago=10)
    newer = notification(me, Kind.FOLLOW, actors=[UserFactory()], minutes_ago=1)
    api = api_client_for(me)

    answer = api.post(
        f"{API}/notifications/read/", {"up_to": older.updated_at.isoformat()}, format="json"
    )

    assert answer.status_code == 200
    assert answer.json() == {"unread_count": 1}
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.read_at is not None
    assert newer.read_at is None
    assert api.post(f"{API}/notifications/read/", {}, format="json").json() == {"unread_count": 0}
    bad = api.post(f"{API}/notifications/read/", {"up_to": "yesterday"}, format="json")
    assert bad.status_code == 400


def test_api_notification_settings_read_and_switch_every_kind():
    me = UserFactory()
    api = api_client_for(me)
    assert api.get(f"{API}/me/notification-settings/").json() == dict.fromkeys(Kind.values, True)

    answer = api.put(
        f"{API}/me/notification-settings/",
        {**dict.fromkeys(Kind.values, True), "like": False},
        format="json",
    )

    assert answer.status_code == 200
    assert answer.json()["like"] is False
    assert list(NotificationOptOut.objects.values_list("kind", flat=True)) == ["like"]
    partial = api.put(f"{API}/me/notification-settings/", {"like": True}, format="json")
    assert partial.status_code == 400
    not_a_boolean = api.put(
        f"{API}/me/notification-settings/", dict.fromkeys(Kind.values, "yes"), format="json"
    )
    assert not_a_boolean.status_code == 400


def test_api_notifications_need_a_person():
    assert APIClient().get(f"{API}/notifications/").status_code == 401
    assert APIClient().post(f"{API}/notifications/read/").status_code == 401


def test_names_and_titles_are_escaped_on_the_page(client):
    me = UserFactory()
    prankster = UserFactory(display_name='<script>alert("x")</script>')
    post = PostFactory(author=me, title="<img src=x onerror=alert(1)>")
    notification(me, Kind.LIKE, actors=[prankster], post=post)
    client.force_login(me)

    html = client.get("/notifications/").content.decode()

    assert "<strong>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</strong>" in html
    assert "“&lt;img src=x onerror=alert(1)&gt;”" in html
    assert "<script>alert" not in html
    assert "<img src=x" not in html
