"""A person with a lot to export (posts, photos with their originals in private storage,
comments, likes, bookmarks, follows and notifications), for the tests of data exports."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from accounts.models import Follow
from accounts.tests.factories import UserFactory
from media.models import Media
from media.tests import media_images as images
from posts.models import Bookmark, Comment, Like, Notification, NotificationKind, Post, PostPhoto


def person_with_data(
    *, posts: int = 20, photos: int = 5, username: str = "ada", title: str = "Post {n}"
):
    """`username` with `posts` posts (titles from `title`), `photos` of them with one photo
    each (a small JPEG original), a comment, a like and a bookmark on a friend's post, a
    follow both ways and a notification. Returns the person."""
    person = UserFactory(username=username, display_name=username.title())
    friend = UserFactory(username=f"{username}_friend")
    now = timezone.now()
    rows = Post.objects.bulk_create(
        Post(
            author=person,
            title=title.format(n=n),
            body=f"Body {n}",
            created_at=now - timedelta(minutes=n),
        )
        for n in range(posts)
    )
    jpeg = images.jpeg((64, 48))
    private = storages["private"]
    for number, post in enumerate(rows[:photos]):
        name = private.save(f"originals/test/{uuid.uuid4().hex}.jpg", ContentFile(jpeg))
        media = Media.objects.create(
            owner=person,
            kind=Media.Kind.PHOTO,
            status=Media.Status.DONE,
            original=name,
            original_format="JPEG",
            original_size=len(jpeg),
            width=64,
            height=48,
            alt_text=f"Photo {number}",
            attached_at=now,
        )
        PostPhoto.objects.create(post=post, media=media, position=0)
    theirs = Post.objects.create(author=friend, title="A friend's post")
    Comment.objects.create(post=theirs, author=person, body="Nice <b>one</b>")
    Like.objects.create(user=person, post=theirs)
    Bookmark.objects.create(user=person, post=theirs)
    Follow.objects.create(follower=person, followee=friend)
    Follow.objects.create(follower=friend, followee=person)
    Notification.objects.create(
        recipient=person,
        kind=NotificationKind.FOLLOW,
        group_key=f"follow:user:{person.pk}",
        latest_actor=friend,
        actor_count=1,
    )
    return person
