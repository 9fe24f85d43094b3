"""Reads about notifications that pages, the API and the event stream share: a person's list
(grouped, newest change first), its unread count, and how each one reads."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Q,
    QuerySet,
)
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy, ngettext_lazy

from accounts.models import User
from posts.models import (
    Notification,
    NotificationKind,
    NotificationOptOut,
)
from posts.selectors import AUTHOR_PRIVATE_FIELDS, cursor_decode, cursor_encode

# The badge says "99+" past this: counting further costs without telling more.
UNREAD_COUNT_MAX = 100


@dataclass(frozen=True)
class NotificationPage:
    notifications: list[Notification]
    next_cursor: str | None


@dataclass(frozen=True)
class NotificationSummary:
    """How a notification reads: `name` (the latest actor's, shown strong; "" when none)
    followed by `rest` ("and 3 others liked your post “Title”"), and where it leads."""

    actor: User | None
    name: str
    rest: str
    url: str

    @property
    def text(self) -> str:
        return f"{self.name} {self.rest}" if self.name else self.rest


def notifications_of(*, user: User) -> QuerySet:
    """`user`'s notifications, the most recently changed first, with what a line shows: the
    latest actor with their avatar, the post (its title), the comment and the failed photo."""
    return (
        Notification.objects.filter(recipient=user)
        .select_related("latest_actor", "latest_actor__avatar", "post", "comment", "media")
        .defer(
            *(f"latest_actor__{field}" for field in AUTHOR_PRIVATE_FIELDS),
            "post__body",
            "comment__body",
        )
        .order_by("-updated_at", "-id")
    )


def notifications_page(*, user: User, before: str | None, size: int) -> NotificationPage:
    """`size` notifications of `user` older than the cursor `before` (keyset on updated_at,
    id, as the feed), each with its `.summary`; one query."""
    queryset = notifications_of(user=user)
    position = cursor_decode(before)
    if position is not None:
        updated_at, notification_id = position
        queryset = queryset.filter(
            Q(updated_at__lt=updated_at) | Q(updated_at=updated_at, id__lt=notification_id)
        )
    rows = list(queryset[: size + 1])
    last = rows[size - 1] if len(rows) > size else None
    next_cursor = cursor_encode(last.updated_at, last.pk) if last else None
    return NotificationPage(notifications_describe(rows[:size], user=user), next_cursor)


def notifications_unread_count(*, user: User) -> int:
    """How many notifications `user` has not read, up to UNREAD_COUNT_MAX (one query).

    Written as SQL: on every page, building the ORM's count of a slice took twice as long as
    running it.
    """
    quote = connection.ops.quote_name
    notification = Notification._meta
    sql = (
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {quote(notification.db_table)} "
        f"WHERE {quote(notification.get_field('recipient').column)} = %s "
        f"AND {quote(notification.get_field('read_at').column)} IS NULL LIMIT %s) unread"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, UNREAD_COUNT_MAX])
        return cursor.fetchone()[0]


def notifications_live_state(user: User, query=None) -> list[tuple[str, dict]]:
    """What a page's event stream sends first on every (re)connect (core.events.on_connect):
    the unread count, so a count changed while it was away is right again. One query."""
    return [("notifications", {"unread": notifications_unread_count(user=user)})]


def notification_kinds_off(*, user: User) -> set[str]:
    """The kinds of notification `user` switched off (one query)."""
    return set(NotificationOptOut.objects.filter(user=user).values_list("kind", flat=True))


def notifications_describe(notifications, *, user: User) -> list[Notification]:
    """Give each of `user`'s `notifications` its `.summary` (NotificationSummary): no query."""
    notifications = list(notifications)
    for notification in notifications:
        notification.summary = _summary(notification, user)
    return notifications


_TITLE_SHOWN = 80


# What follows the actor's name, for each kind: alone, and with others ("and 3 others ...":
# the plural form is chosen by the "count" of the values).
_SUMMARY_TEXTS = {
    "follow": (
        gettext_lazy("started following you"),
        ngettext_lazy(
            "and %(count)d other started following you",
            "and %(count)d others started following you",
            "count",
        ),
    ),
    "like": (
        gettext_lazy("liked your post %(title)s"),
        ngettext_lazy(
            "and %(count)d other liked your post %(title)s",
            "and %(count)d others liked your post %(title)s",
            "count",
        ),
    ),
    "comment": (
        gettext_lazy("commented on your post %(title)s"),
        ngettext_lazy(
            "and %(count)d other commented on your post %(title)s",
            "and %(count)d others commented on your post %(title)s",
            "count",
        ),
    ),
    "reply": (
        gettext_lazy("also commented on %(title)s"),
        ngettext_lazy(
            "and %(count)d other also commented on %(title)s",
            "and %(count)d others also commented on %(title)s",
            "count",
        ),
    ),
    "mention_comment": (
        gettext_lazy("mentioned you in a comment on %(title)s"),
        ngettext_lazy(
            "and %(count)d other mentioned you in a comment on %(title)s",
            "and %(count)d others mentioned you in a comment on %(title)s",
            "count",
        ),
    ),
    "mention_post": (
        gettext_lazy("mentioned you in a post %(title)s"),
        ngettext_lazy(
            "and %(count)d other mentioned you in a post %(title)s",
            "and %(count)d others mentioned you in a post %(title)s",
            "count",
        ),
    ),
}


def _summary_rest(key: str, others: int, title: str) -> str:
    alone, with_others = _SUMMARY_TEXTS[key]
    return (with_others if others else alone) % {"count": others, "title": title}


def _summary(notification: Notification, user: User) -> NotificationSummary:
    kind, actor, post = notification.kind, notification.latest_actor, notification.post
    name = actor.name if actor is not None else gettext("Someone")
    others = max(notification.actor_count - 1, 0)
    title = ""
    if post is not None:
        shown = post.title if len(post.title) <= _TITLE_SHOWN else post.title[:79] + "…"
        title = f"“{shown}”"
    post_url = reverse("posts:detail", args=[notification.post_id]) if post else ""
    if kind == NotificationKind.FOLLOW:
        if others or actor is None:
            url = reverse("posts:followers", args=[user.username])
        else:
            url = reverse("posts:profile", args=[actor.username])
        return NotificationSummary(actor, name, _summary_rest("follow", others, title), url)
    if kind == NotificationKind.LIKE:
        return NotificationSummary(actor, name, _summary_rest("like", others, title), post_url)
    if kind == NotificationKind.COMMENT:
        rest = _summary_rest("comment", others, title)
        return NotificationSummary(actor, name, rest, f"{post_url}#comments")
    if kind == NotificationKind.REPLY:
        rest = _summary_rest("reply", others, title)
        return NotificationSummary(actor, name, rest, f"{post_url}#comments")
    if kind == NotificationKind.MENTION:
        if notification.comment_id is not None:
            rest = _summary_rest("mention_comment", others, title)
            url = f"{post_url}#comment-{notification.comment_id}"
        else:
            rest, url = _summary_rest("mention_post", others, title), post_url
        return NotificationSummary(actor, name, rest, url)
    # A photo that could not be processed: the reason, while the failed photo is still kept.
    media = notification.media
    reason = media.last_error if media is not None and media.last_error else ""
    rest = (
        gettext("Your photo could not be processed: %(reason)s") % {"reason": reason}
        if reason
        else gettext("Your photo could not be processed.")
    )
    url = post_url or reverse("accounts:settings") + "#avatar"
    return NotificationSummary(None, "", rest, url)
