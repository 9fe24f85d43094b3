"""Every write about posts: posts and their photos, comments, likes, bookmarks; those that may
notify someone (a like, a comment, an @mention) write the NotificationEvent in the same
transaction (posts.services.notifications: events, their delivery, reading them).

Each service that writes more than one row, or locks one, runs in one transaction of its own.
Who may change what is decided by posts.policies and enforced here, once.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from core.errors import ApplicationError
from core.queries import subquery_count
from media.models import Media
from media.services import (
    media_attach,
    media_create_many,
    media_discard,
    media_lock_for_attaching,
)
from posts import policies
from posts.models import Bookmark, Comment, Like, NotificationKind, Post, PostPhoto
from posts.services.notifications import (
    notification_event_create,
    notification_mentions_written,
)

# --- Posts and their photos -------------------------------------------------------------------


def _post_validate(*, title: str, body: str) -> None:
    if not title.strip():
        raise ApplicationError(gettext("A post needs a title."), field="title")
    title_max = Post._meta.get_field("title").max_length
    body_max = Post._meta.get_field("body").max_length
    if len(title) > title_max:
        raise ApplicationError(
            gettext("The title is longer than %(title_max)s characters.")
            % {"title_max": title_max},
            field="title",
        )
    if len(body) > body_max:
        raise ApplicationError(
            gettext("The text is longer than %(maximum)s characters.")
            % {"maximum": f"{body_max:,}"},
            field="body",
        )


def post_create(
    *,
    author: User,
    title: str,
    body: str = "",
    media_ids: list[int] | None = None,
    images: list | None = None,
    alt_texts: list[str] | None = None,
) -> Post:
    """Write a post by `author` with its photos: uploaded before (`media_ids`) and/or new
    `images` (with `alt_texts`), processed by the media job after commit; the people its text
    @mentions are notified by a job after commit."""
    _post_validate(title=title, body=body)
    with transaction.atomic():
        post = Post.objects.create(author=author, title=title.strip(), body=body)
        if media_ids or images:
            _photos_set(post=post, media_ids=media_ids or [], images=images, alt_texts=alt_texts)
        notification_mentions_written(author=author, text=body, post=post)
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
    """Change a post (its author only); a new title or text sets edited_at. People newly
    @mentioned in a new text are notified by a job after commit (each once per post).

    Photos: `media_ids` replaces them, `remove_media_ids` drops some, `images` adds new ones;
    dropped photos are deleted (their files by a job after commit).
    """
    policies.edit_post.enforce(editor, post)
    new_title = post.title if title is None else title
    new_body = post.body if body is None else body
    _post_validate(title=new_title, body=new_body)
    with transaction.atomic():
        # One edit of a post at a time: the photo list is read, then rewritten.
        Post.objects.select_for_update().filter(pk=post.pk).first()
        if media_ids is not None or images or remove_media_ids:
            _photos_set(
                post=post,
                media_ids=media_ids,
                images=images,
                alt_texts=alt_texts,
                remove_ids=remove_media_ids,
            )
        if (new_title.strip(), new_body) != (post.title, post.body):
            body_changed = new_body != post.body
            post.title, post.body, post.edited_at = new_title.strip(), new_body, timezone.now()
            post.save(update_fields=["title", "body", "edited_at"])
            if body_changed:
                notification_mentions_written(author=editor, text=new_body, post=post)
    return post


def post_delete(*, post: Post, actor: User) -> None:
    """Delete a post (its author, or staff) with its comments, likes, bookmarks and photos
    (their files by a job after commit)."""
    policies.delete_post.enforce(actor, post)
    with transaction.atomic():
        media_discard(media=list(post.photos.all()))
        post.delete()


def _photos_set(
    *,
    post: Post,
    media_ids: list[int] | None,
    images: list | None,
    alt_texts: list[str] | None,
    remove_ids: list[int] | None = None,
) -> None:
    """The photos of `post` after a create or an edit: `media_ids` (in order) when given, else
    the current ones minus `remove_ids`; new `images` go at the end. Every check runs before
    any file is stored. Runs in the caller's transaction."""
    images = list(images or [])
    current = list(post.photo_links.order_by("position", "pk").values_list("media_id", flat=True))
    if media_ids is None:
        removed = set(remove_ids or [])
        media_ids = [media_id for media_id in current if media_id not in removed]
    if len(media_ids) + len(images) > settings.MEDIA_MAX_PER_POST:
        raise ApplicationError(
            gettext("A post has at most %(MEDIA_MAX_PER_POST)s photos.")
            % {"MEDIA_MAX_PER_POST": settings.MEDIA_MAX_PER_POST},
            field="images" if images else "media_ids",
        )
    # The photos are the author's, and may not already be another post's.
    kept = media_lock_for_attaching(owner=post.author, media_ids=media_ids, field="media_ids")
    elsewhere = list(
        PostPhoto.objects.filter(media_id__in=media_ids)
        .exclude(post=post)
        .values_list("media_id", flat=True)
    )
    if elsewhere:
        raise ApplicationError(
            gettext("Unknown photo id(s): %(join)s.")
            % {"join": ", ".join(map(str, sorted(elsewhere)))},
            field="media_ids",
            code="not_found",
            status=404,
        )
    new = []
    if images:
        new = media_create_many(
            owner=post.author, files=images, alt_texts=alt_texts or [], field="images"
        )
    photos = [*kept, *new]
    keep = {media.pk for media in photos}
    media_discard(media=list(Media.objects.filter(pk__in=[m for m in current if m not in keep])))
    for position, media in enumerate(photos):
        PostPhoto.objects.update_or_create(
            media=media, defaults={"post": post, "position": position}
        )
    media_attach(media=photos)


# --- Comments ---------------------------------------------------------------------------------


def _comment_validate(*, body: str) -> None:
    body_max = Comment._meta.get_field("body").max_length
    if not body.strip():
        raise ApplicationError(gettext("A comment cannot be empty."), field="body")
    if len(body) > body_max:
        raise ApplicationError(
            gettext("The comment is longer than %(maximum)s characters.")
            % {"maximum": f"{body_max:,}"},
            field="body",
        )


def comment_create(*, post: Post, author: User, body: str) -> Comment:
    """Write a comment on `post` and count it on the post, in one transaction; the post's
    author, the others who commented before and the people it @mentions are notified by a job
    after commit. Nobody comments on the posts of someone who left or who blocked them, nor of
    someone they blocked (Http404: posts.policies.interact_with_post)."""
    policies.interact_with_post.enforce(author, post)
    _comment_validate(body=body)
    with transaction.atomic():
        comment = Comment.objects.create(post=post, author=author, body=body)
        Post.objects.filter(pk=post.pk).update(comment_count=F("comment_count") + 1)
        notification_event_create(
            kind=NotificationKind.COMMENT, actor=author, post=post, comment=comment
        )
        notification_mentions_written(author=author, text=body, comment=comment)
    return comment


def comment_update(*, comment: Comment, editor: User, body: str | None = None) -> Comment:
    """Change a comment (its author only); a new text sets edited_at. People newly @mentioned
    are notified by a job after commit (each once per comment)."""
    policies.edit_comment.enforce(editor, comment)
    if body is None:
        return comment
    _comment_validate(body=body)
    if body != comment.body:
        comment.body, comment.edited_at = body, timezone.now()
        with transaction.atomic():
            comment.save(update_fields=["body", "edited_at"])
            notification_mentions_written(author=editor, text=body, comment=comment)
    return comment


def comment_delete(*, comment: Comment, actor: User) -> None:
    """Delete a comment (its author, the post's author, or staff) and uncount it, in one
    transaction."""
    policies.delete_comment.enforce(actor, comment)
    with transaction.atomic():
        deleted, _ = Comment.objects.filter(pk=comment.pk).delete()
        if deleted:
            Post.objects.filter(pk=comment.post_id, comment_count__gt=0).update(
                comment_count=F("comment_count") - 1
            )


# --- Likes, bookmarks -------------------------------------------------------------------------


def like_set(*, user: User, post: Post) -> bool:
    """`user` likes `post` (idempotent); counts it on the post; True when newly liked. A new
    like notifies the post's author by a job after commit. Not on a post the person may not
    see (Http404: posts.policies.interact_with_post)."""
    policies.interact_with_post.enforce(user, post)
    with transaction.atomic():
        _like, created = Like.objects.get_or_create(user=user, post=post)
        if created:
            Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
            if post.author_id != user.pk:
                notification_event_create(kind=NotificationKind.LIKE, actor=user, post=post)
    return created


def like_unset(*, user: User, post: Post) -> bool:
    """`user` no longer likes `post` (idempotent); uncounts it; True when a like was removed."""
    with transaction.atomic():
        deleted, _ = Like.objects.filter(user=user, post=post).delete()
        if deleted:
            Post.objects.filter(pk=post.pk, like_count__gt=0).update(like_count=F("like_count") - 1)
    return bool(deleted)


def bookmark_set(*, user: User, post: Post) -> bool:
    """`user` bookmarks `post` (idempotent); True when newly bookmarked. Not a post the person
    may not see (Http404: posts.policies.interact_with_post)."""
    policies.interact_with_post.enforce(user, post)
    _bookmark, created = Bookmark.objects.get_or_create(user=user, post=post)
    return created


def bookmark_unset(*, user: User, post: Post) -> bool:
    """`user` removes the bookmark of `post` (idempotent); True when one was removed."""
    deleted, _ = Bookmark.objects.filter(user=user, post=post).delete()
    return bool(deleted)


# --- Accounts going away ----------------------------------------------------------------------


def posts_user_deleting(user: User) -> None:
    """An account is being deleted (accounts.hooks, in its transaction): its likes and comments
    leave other people's posts, whose counters are counted again."""
    likes = Like.objects.filter(user=user).exclude(post__author=user)
    comments = Comment.objects.filter(author=user).exclude(post__author=user)
    touched = {*likes.values_list("post", flat=True), *comments.values_list("post", flat=True)}
    with transaction.atomic():
        Like.objects.filter(user=user).delete()
        Comment.objects.filter(author=user).delete()
        posts_recount(post_ids=touched)


def posts_recount(*, post_ids) -> int:
    """Count the likes and comments of these posts again into their counters."""
    likes = Like.objects.filter(post=OuterRef("pk")).order_by().values("post")
    comments = Comment.objects.filter(post=OuterRef("pk")).order_by().values("post")
    return Post.objects.filter(pk__in=list(post_ids)).update(
        like_count=subquery_count(likes), comment_count=subquery_count(comments)
    )
