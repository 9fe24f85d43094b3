"""Every write about notifications: the events that the changes write, their delivery by the
job `deliver_notifications`, reading them, the per-kind switches, and forgetting old ones.

The path: a service (like_set, comment_create, post_create, follow_create through
accounts.hooks, a failed photo through media.hooks) writes a NotificationEvent in the
transaction of its change and queues it after commit (core.durable). The job works out who is
told (never the actor themself, nobody inactive, nobody who blocked the actor or was blocked
by them, nobody who muted the actor, nobody who switched that kind off, and for a mention
nobody who may not see the post) and adds the actor to each person's Notification of that
thing (`group_key`): "alice and 3 others liked your post". A person already in it changes
nothing, so like, unlike and like again is one, an edit keeps a mention from notifying twice,
and running a job twice is harmless.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Follow, User
from accounts.selectors import blocked_either_way_ids, muted_ids
from core import durable, events
from media.models import Media
from posts.mentions import mentioned_names, mentions_in
from posts.models import (
    Comment,
    Like,
    Notification,
    NotificationActor,
    NotificationEvent,
    NotificationKind,
    NotificationOptOut,
    Post,
    PostPhoto,
)
from posts.selectors import mentions_resolve
from posts.selectors.notifications import notifications_unread_count

Kind = NotificationKind

# --- Events: written with the change that may notify ------------------------------------------


def notification_event_create(
    *,
    kind: str,
    actor: User | None,
    user: User | None = None,
    post: Post | None = None,
    comment: Comment | None = None,
    media: Media | None = None,
) -> NotificationEvent:
    """Write an event (in the caller's transaction) and queue its delivery after commit."""
    event = NotificationEvent.objects.create(
        kind=kind, actor=actor, user=user, post=post, comment=comment, media=media
    )
    durable.enqueue_on_commit(event)
    return event


def notification_mentions_written(
    *, author: User, text: str, post: Post | None = None, comment: Comment | None = None
) -> NotificationEvent | None:
    """`author` wrote `text` (a post's or a comment's, new or edited): one mention event when
    it @mentions anyone, in the caller's transaction. The job tells each person once."""
    if not mentioned_names(text):
        return None
    return notification_event_create(
        kind=Kind.MENTION, actor=author, post=post if comment is None else None, comment=comment
    )


def notification_follow_created(follow: Follow) -> None:
    """Someone has a new follower (accounts.hooks, inside follow_create's transaction)."""
    notification_event_create(kind=Kind.FOLLOW, actor=follow.follower, user=follow.followee)


def notification_photo_failed(media: Media) -> None:
    """A photo of a post, or an avatar, could not be processed (media.hooks, inside the
    transaction that marks it failed): its owner is told, with the reason."""
    link = PostPhoto.objects.filter(media_id=media.pk).select_related("post").first()
    if media.kind == Media.Kind.PHOTO and link is None:
        return  # an upload not on any post (yet): whoever uploads it sees its status
    notification_event_create(
        kind=Kind.PHOTO_FAILED,
        actor=None,
        user=media.owner,
        post=link.post if link else None,
        media=media,
    )


# --- Delivery: the job's work -----------------------------------------------------------------


def notification_event_restart(*, event: NotificationEvent) -> None:
    """Deliver an event again from the start (staff, from the admin): pending again, queued
    after commit; people already told are not told twice."""
    durable.restart(event)


def notifications_deliver(*, event_id: int) -> str:
    """Turn one event into notifications (job deliver_notifications); safe to run any number
    of times. Returns "done", "skipped", "retrying", "failed" or "lost"."""
    return durable.run(NotificationEvent, event_id, _deliver).outcome


@dataclass(frozen=True)
class _Delivery:
    """One notification to give one person."""

    recipient_id: int
    kind: str
    group_key: str
    post: Post | None = None
    comment: Comment | None = None
    media: Media | None = None


def _deliver(event: NotificationEvent) -> None:
    actor = event.actor
    if actor is not None and not actor.is_active:
        return  # they left meanwhile: their doings notify nobody
    try:
        deliveries = _deliveries_of(event)
    except ObjectDoesNotExist:
        return  # what it was about (a comment, a post) was deleted meanwhile, and the event too
    if not deliveries:
        return
    people = User.objects.in_bulk({delivery.recipient_id for delivery in deliveries})
    switched_off = _kinds_off({delivery.recipient_id for delivery in deliveries})
    for delivery in deliveries:
        recipient = people.get(delivery.recipient_id)
        if recipient is None or not _tells(recipient, delivery, actor, switched_off):
            continue
        _notify(recipient, delivery, actor)


def _deliveries_of(event: NotificationEvent) -> list[_Delivery]:
    """Who an event may notify, and of what (before anyone's own filters)."""
    actor_id = event.actor_id
    if event.kind == Kind.FOLLOW:
        # Unfollowed before the job ran: nothing to tell.
        if not Follow.objects.filter(follower_id=actor_id, followee_id=event.user_id).exists():
            return []
        return [_Delivery(event.user_id, Kind.FOLLOW, f"follow:user:{event.user_id}")]
    if event.kind == Kind.LIKE:
        post = event.post
        if post is None or not Like.objects.filter(user_id=actor_id, post=post).exists():
            return []
        return [_Delivery(post.author_id, Kind.LIKE, f"like:post:{post.pk}", post=post)]
    if event.kind == Kind.COMMENT:
        return _comment_deliveries(event.comment)
    if event.kind == Kind.MENTION:
        return _mention_deliveries(event)
    if event.kind == Kind.PHOTO_FAILED:
        key = f"photo_failed:media:{event.media_id}"
        return [
            _Delivery(event.user_id, Kind.PHOTO_FAILED, key, post=event.post, media=event.media)
        ]
    return []


def _comment_deliveries(comment: Comment | None) -> list[_Delivery]:
    """A comment tells the post's author (comment), and everyone else who commented on the
    post before it (reply)."""
    if comment is None:
        return []
    post = comment.post
    deliveries = [_Delivery(post.author_id, Kind.COMMENT, f"comment:post:{post.pk}", post=post)]
    earlier = (
        Comment.objects.filter(post=post, pk__lt=comment.pk)
        .exclude(author_id__in=[post.author_id, comment.author_id])
        .order_by()
        .values_list("author_id", flat=True)
        .distinct()
    )
    deliveries += [
        _Delivery(author_id, Kind.REPLY, f"reply:post:{post.pk}", post=post)
        for author_id in sorted(earlier)
    ]
    return deliveries


def _mention_deliveries(event: NotificationEvent) -> list[_Delivery]:
    """The active people the text mentions now (an edit may have changed it since the event),
    each once; nobody the post's author blocked or was blocked by (they may not see it)."""
    comment = event.comment
    post = comment.post if comment is not None else event.post
    if post is None:
        return []
    text = comment.body if comment is not None else post.body
    if not post.author.is_active:
        return []
    found = mentions_resolve([text])
    if not found:
        return []
    resolved = (mention.resolve(found) for mention in mentions_in(text))
    usernames = {username for username, _typed in filter(None, resolved)}
    people = set(User.objects.filter(username__in=usernames).values_list("pk", flat=True))
    hidden = blocked_either_way_ids(post.author) if people else set()
    key = f"mention:comment:{comment.pk}" if comment is not None else f"mention:post:{post.pk}"
    return [
        _Delivery(person_id, Kind.MENTION, key, post=post, comment=comment)
        for person_id in sorted(people)
        if person_id not in hidden
    ]


def _kinds_off(user_ids: Iterable[int]) -> dict[int, set[str]]:
    switched_off: dict[int, set[str]] = {}
    rows = NotificationOptOut.objects.filter(user_id__in=list(user_ids)).values_list(
        "user_id", "kind"
    )
    for user_id, kind in rows:
        switched_off.setdefault(user_id, set()).add(kind)
    return switched_off


def _tells(
    recipient: User, delivery: _Delivery, actor: User | None, switched_off: dict[int, set[str]]
) -> bool:
    """Whether `recipient` gets this: active, not the actor, the kind switched on, and the
    actor neither blocked either way nor muted by them."""
    if not recipient.is_active or delivery.kind in switched_off.get(recipient.pk, ()):
        return False
    if actor is None:
        return True
    if actor.pk == recipient.pk:
        return False
    return actor.pk not in blocked_either_way_ids(recipient) | muted_ids(recipient)


def _notify(recipient: User, delivery: _Delivery, actor: User | None) -> None:
    """Add `actor` to the recipient's notification of this thing (made when missing): a new
    actor moves it to the top and makes it unread again; one already there changes nothing."""
    now = timezone.now()
    with transaction.atomic():
        notification, created = Notification.objects.select_for_update().get_or_create(
            recipient=recipient,
            group_key=delivery.group_key,
            defaults={
                "kind": delivery.kind,
                "post": delivery.post,
                "comment": delivery.comment,
                "media": delivery.media,
                "updated_at": now,
            },
        )
        if actor is None:
            if created:
                _publish_unread(recipient)
            return
        _row, new = NotificationActor.objects.get_or_create(notification=notification, actor=actor)
        if new:
            Notification.objects.filter(pk=notification.pk).update(
                actor_count=F("actor_count") + 1, latest_actor=actor, updated_at=now, read_at=None
            )
            _publish_unread(recipient)


# --- Reading them -----------------------------------------------------------------------------


def notifications_mark_read(
    *, user: User, shown: Iterable[Notification] | None = None, up_to: datetime | None = None
) -> int:
    """Mark `user`'s unread notifications read: those `shown` (a page just drawn: each only
    as it was drawn, so one that a new actor changed meanwhile stays unread), else those last
    changed at or before `up_to`, else all. Returns how many."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if shown is not None:
        seen = Q()
        for notification in shown:
            if notification.read_at is None:
                seen |= Q(pk=notification.pk, updated_at=notification.updated_at)
        if not seen:
            return 0
        unread = unread.filter(seen)
    elif up_to is not None:
        unread = unread.filter(updated_at__lte=up_to)
    count = unread.update(read_at=timezone.now())
    if count:
        _publish_unread(user)
    return count


# --- Live updates: the unread count of the person's open pages -------------------------------


def _publish_unread(user: User) -> None:
    """After commit, event "notifications" with the unread count read again then (core.events):
    the badge of every open page of theirs follows (static/js/site.js)."""
    events.publish_on_commit(
        user_id=user.pk,
        kind="notifications",
        data=lambda: {"unread": notifications_unread_count(user=user)},
    )


def notification_settings_set(*, user: User, enabled: Iterable[str]) -> set[str]:
    """Switch `user`'s notifications on for the kinds `enabled` and off for every other kind;
    returns the kinds switched off."""
    enabled = set(enabled)
    unknown = enabled - set(Kind.values)
    if unknown:
        raise ValueError(f"Unknown kinds of notification: {sorted(unknown)}")
    off = set(Kind.values) - enabled
    with transaction.atomic():
        NotificationOptOut.objects.filter(user=user).exclude(kind__in=off).delete()
        NotificationOptOut.objects.bulk_create(
            [NotificationOptOut(user=user, kind=kind) for kind in sorted(off)],
            ignore_conflicts=True,
        )
    return off


# --- Forgetting -------------------------------------------------------------------------------

_SWEEP_BATCH = 5000


def notifications_forget_old() -> int:
    """Delete notifications read more than NOTIFICATION_KEEP_READ_DAYS ago (sweep task; at
    most a batch per run). Returns how many."""
    before = timezone.now() - timedelta(days=settings.NOTIFICATION_KEEP_READ_DAYS)
    old = list(
        Notification.objects.filter(read_at__lt=before).values_list("pk", flat=True)[:_SWEEP_BATCH]
    )
    if not old:
        return 0
    with transaction.atomic():
        NotificationActor.objects.filter(notification_id__in=old).delete()
        Notification.objects.filter(pk__in=old).delete()
    return len(old)


def notifications_user_deleting(user: User) -> None:
    """An account is being deleted (accounts.hooks, in its transaction): it leaves the groups
    it was in, which are counted again ("alice and 2 others" loses alice); a group left with
    nobody goes."""
    groups = list(
        NotificationActor.objects.filter(actor=user).values_list("notification_id", flat=True)
    )
    if not groups:
        return
    with transaction.atomic():
        NotificationActor.objects.filter(actor=user).delete()
        latest: dict[int, int] = {}  # group: its latest actor left
        counts: dict[int, int] = {}
        rows = (
            NotificationActor.objects.filter(notification_id__in=groups)
            .order_by("notification_id", "-created_at", "-id")
            .values_list("notification_id", "actor_id")
        )
        for notification_id, actor_id in rows:
            latest.setdefault(notification_id, actor_id)
            counts[notification_id] = counts.get(notification_id, 0) + 1
        Notification.objects.filter(pk__in=[g for g in groups if g not in counts]).delete()
        for notification_id, count in counts.items():
            Notification.objects.filter(pk=notification_id).update(
                actor_count=count, latest_actor_id=latest[notification_id]
            )
