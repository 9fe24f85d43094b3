"""Every write about posts: posts, comments, likes, bookmarks. Media: posts/services/media.py."""

import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from friends_site.errors import ApplicationError
from posts.models import Bookmark, Comment, Like, Post
from posts.services.media import media_delete_for_post, post_media_update

logger = logging.getLogger(__name__)

# --- Posts, comments, likes, bookmarks --------------------------------------------------------


def _post_validate(*, title: str, body: str) -> None:
    if not title.strip():
        raise ApplicationError("A post needs a title.", field="title")
    title_max = Post._meta.get_field("title").max_length
    body_max = Post._meta.get_field("body").max_length
    if len(title) > title_max:
        raise ApplicationError(f"The title is longer than {title_max} characters.", field="title")
    if len(body) > body_max:
        raise ApplicationError(f"The text is longer than {body_max} characters.", field="body")


def _comment_validate(*, body: str) -> None:
    body_max = Comment._meta.get_field("body").max_length
    if not body.strip():
        raise ApplicationError("A comment cannot be empty.", field="body")
    if len(body) > body_max:
        raise ApplicationError(f"The comment is longer than {body_max} characters.", field="body")


def _require_author(obj: Post | Comment, user) -> None:
    if obj.author_id != user.pk:
        raise PermissionDenied("Only the author may change this.")


def post_create(
    *,
    author: User,
    title: str,
    body: str = "",
    media_ids: list[int] | None = None,
    images: list | None = None,
    alt_texts: list[str] | None = None,
) -> Post:
    """Write a new post by `author`, with its photos (uploaded `media_ids` and/or new `images`,
    processed by the media job after commit)."""
    _post_validate(title=title, body=body)
    with transaction.atomic():
        post = Post.objects.create(author=author, title=title.strip(), body=body)
        if media_ids or images:
            # Photos: see the "Media" section below (checks, storage, queueing).
            post_media_update(
                post=post,
                owner=author,
                media_ids=media_ids or [],
                images=images,
                alt_texts=alt_texts,
            )
    return post


def post_update(
    *,
    post: Post,
    editor: User,
    title: str | None = None,
    body: str | None = None,
    media_ids: list[int] | None = None,
    images: list | None = None,
    alt_texts: list[str] | None = None,
    remove_media_ids: list[int] | None = None,
) -> Post:
    """Change the title and/or body of `post` (author only: PermissionDenied); sets edited_at.

    Photos: `media_ids` replaces them, `remove_media_ids` drops some, `images` adds new ones.
    """
    _require_author(post, editor)
    new_title = post.title if title is None else title
    new_body = post.body if body is None else body
    _post_validate(title=new_title, body=new_body)
    if media_ids is not None or images or remove_media_ids:
        # Photos: see the "Media" section below (checks, storage, queueing).
        post_media_update(
            post=post,
            owner=editor,
            media_ids=media_ids,
            images=images,
            alt_texts=alt_texts,
            remove_ids=remove_media_ids,
        )
    if (new_title.strip(), new_body) != (post.title, post.body):
        post.title, post.body, post.edited_at = new_title.strip(), new_body, timezone.now()
        post.save(update_fields=["title", "body", "edited_at"])
    return post


def post_delete(*, post: Post, actor: User) -> None:
    """Delete `post` with its comments, likes and bookmarks (author only: PermissionDenied)."""
    _require_author(post, actor)
    with transaction.atomic():
        media_delete_for_post(post=post)  # photos: rows now, their files in a job after commit
        post.delete()


def comment_create(*, post: Post, author: User, body: str) -> Comment:
    """Write a comment on `post` and count it on the post, in one transaction."""
    _comment_validate(body=body)
    with transaction.atomic():
        comment = Comment.objects.create(post=post, author=author, body=body)
        Post.objects.filter(pk=post.pk).update(comment_count=F("comment_count") + 1)
    return comment


def comment_update(*, comment: Comment, editor: User, body: str) -> Comment:
    """Change a comment (its author only: PermissionDenied); sets edited_at."""
    _require_author(comment, editor)
    _comment_validate(body=body)
    if body != comment.body:
        comment.body, comment.edited_at = body, timezone.now()
        comment.save(update_fields=["body", "edited_at"])
    return comment


def comment_delete(*, comment: Comment, actor: User) -> None:
    """Delete a comment (its author or the post's author) and uncount it, in one transaction."""
    if actor.pk not in (comment.author_id, comment.post.author_id):
        raise PermissionDenied("Only the comment's author or the post's author may delete it.")
    with transaction.atomic():
        deleted, _ = Comment.objects.filter(pk=comment.pk).delete()
        if deleted:
            Post.objects.filter(pk=comment.post_id, comment_count__gt=0).update(
                comment_count=F("comment_count") - 1
            )


def like_set(*, user: User, post: Post) -> bool:
    """`user` likes `post` (idempotent); counts it on the post; True when newly liked."""
    with transaction.atomic():
        _like, created = Like.objects.get_or_create(user=user, post=post)
        if created:
            Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
    return created


def like_unset(*, user: User, post: Post) -> bool:
    """`user` no longer likes `post` (idempotent); uncounts it; True when a like was removed."""
    with transaction.atomic():
        deleted, _ = Like.objects.filter(user=user, post=post).delete()
        if deleted:
            Post.objects.filter(pk=post.pk, like_count__gt=0).update(like_count=F("like_count") - 1)
    return bool(deleted)


def bookmark_set(*, user: User, post: Post) -> bool:
    """`user` bookmarks `post` (idempotent); True when newly bookmarked."""
    _bookmark, created = Bookmark.objects.get_or_create(user=user, post=post)
    return created


def bookmark_unset(*, user: User, post: Post) -> bool:
    """`user` removes the bookmark of `post` (idempotent); True when one was removed."""
    deleted, _ = Bookmark.objects.filter(user=user, post=post).delete()
    return bool(deleted)
