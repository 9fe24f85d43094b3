"""Reads about people that pages and the API share."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.functions import Length, Lower, RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts import policies
from accounts.models import (
    ApiToken,
    Block,
    Follow,
    Invitation,
    InvitationOptOut,
    Mute,
    SuggestionDismissal,
    User,
)
from core.queries import subquery_count
from media.models import Media
from media.selectors import media_newest_unready


@dataclass(frozen=True)
class FollowedBy:
    """Who among the viewer's followees follows someone: a few names and how many in all."""

    names: list[str]
    total: int

    def __str__(self) -> str:
        return followed_by_text(self.names, self.total)


@dataclass(frozen=True)
class Suggestion:
    user: User
    reason: str
    mutual_count: int


def followed_by_text(names: list[str], total: int) -> str:
    """Reason text like "followed by alice, bob and 3 others you follow"; empty for nobody."""
    if total <= 0 or not names:
        return ""
    if total == 1:
        return gettext("followed by %(name)s, whom you follow") % {"name": names[0]}
    if total == 2 and len(names) >= 2:
        return gettext("followed by %(name)s and %(other)s, whom you follow") % {
            "name": names[0],
            "other": names[1],
        }
    shown = names[:2]
    others = total - len(shown)
    return ngettext(
        "followed by %(names)s and %(count)d other you follow",
        "followed by %(names)s and %(count)d others you follow",
        others,
    ) % {"names": ", ".join(shown), "count": others}


def _followee_ids(user) -> QuerySet:
    """Ids of the people `user` follows, as a subquery (no IN list of ids in Python)."""
    return Follow.objects.filter(follower=user).values("followee_id")


def avatar_pending_for(user) -> Media | None:
    """The person's newest avatar upload when it is not ready yet (processing, or failed)."""
    return media_newest_unready(owner=user, kind=Media.Kind.AVATAR)


def user_get_active(*, username: str) -> User:
    """The active user with this username (any case), or Http404."""
    return get_object_or_404(User, username__iexact=username, is_active=True)


def user_get_visible(*, username: str, viewer, keep_blocked_by_viewer: bool = False) -> User:
    """The user with this username (any case) if `viewer` may see them
    (accounts.policies.people_visible_q: active, no block either way), or Http404."""
    visible = policies.people_visible_q(viewer, keep_blocked_by_viewer=keep_blocked_by_viewer)
    return get_object_or_404(User.objects.filter(visible), username__iexact=username)


def people_queryset_for(viewer, *, keep_blocked_by_viewer: bool = False) -> QuerySet:
    """The people `viewer` may see (accounts.policies.people_visible_q), with `is_following`
    (viewer follows them) and `follows_you` flags."""
    visible = policies.people_visible_q(viewer, keep_blocked_by_viewer=keep_blocked_by_viewer)
    queryset = User.objects.filter(visible).select_related("avatar")
    if viewer is None or not viewer.is_authenticated:
        return queryset.annotate(
            is_following=Value(False, output_field=BooleanField()),
            follows_you=Value(False, output_field=BooleanField()),
        )
    return queryset.annotate(
        is_following=Exists(Follow.objects.filter(follower=viewer, followee=OuterRef("pk"))),
        follows_you=Exists(Follow.objects.filter(follower=OuterRef("pk"), followee=viewer)),
    )


def profile_get(*, username: str, viewer, **counts) -> User:
    """One user with follower counts (of active people), follow flags, mutual friend count and
    the viewer's `is_blocked` and `is_muted` flags, in one query (or Http404: someone who left,
    or who blocked the viewer; the viewer's own blocked people are found, to unblock them).
    `counts` adds more annotations (posts: posts_count)."""
    followers = (
        Follow.objects.filter(followee=OuterRef("pk"), follower__is_active=True)
        .order_by()
        .values("followee")
    )
    following = (
        Follow.objects.filter(follower=OuterRef("pk"), followee__is_active=True)
        .order_by()
        .values("follower")
    )
    queryset = people_queryset_for(viewer, keep_blocked_by_viewer=True).annotate(
        followers_count=subquery_count(followers),
        following_count=subquery_count(following),
        **counts,
    )
    if viewer is not None and viewer.is_authenticated:
        queryset = queryset.annotate(
            mutual_friends_count=subquery_count(
                _shared_friends_of(OuterRef(OuterRef("pk")), viewer).order_by()
            ),
            is_blocked=Exists(Block.objects.filter(blocker=viewer, blocked=OuterRef("pk"))),
            is_muted=Exists(Mute.objects.filter(muter=viewer, muted=OuterRef("pk"))),
        )
    else:
        queryset = queryset.annotate(
            mutual_friends_count=Value(0, output_field=IntegerField()),
            is_blocked=Value(False, output_field=BooleanField()),
            is_muted=Value(False, output_field=BooleanField()),
        )
    return get_object_or_404(queryset, username__iexact=username)


def _shared_friends_of(user, viewer) -> QuerySet:
    """People who are friends (mutual follows) with both `user` and `viewer`."""
    # Start from the viewer's followees (a small set), then check the three other edges.
    return User.objects.filter(
        Exists(Follow.objects.filter(follower=OuterRef("pk"), followee=viewer)),
        Exists(Follow.objects.filter(follower=user, followee=OuterRef("pk"))),
        Exists(Follow.objects.filter(follower=OuterRef("pk"), followee=user)),
        pk__in=_followee_ids(viewer),
        is_active=True,
    )


def shared_friends(*, user: User, viewer, limit: int = 12) -> list[User]:
    """Up to `limit` people who are friends with both `user` and `viewer` (one query)."""
    if viewer is None or not viewer.is_authenticated or viewer.pk == user.pk:
        return []
    return list(
        _shared_friends_of(user, viewer).select_related("avatar").order_by("username")[:limit]
    )


def followed_by_for(*, user: User, viewer, shown: int = 2) -> FollowedBy:
    """Who among the viewer's followees follows `user` (one query, counted with a window)."""
    if viewer is None or not viewer.is_authenticated or viewer.pk == user.pk:
        return FollowedBy(names=[], total=0)
    rows = list(
        Follow.objects.filter(
            followee=user, follower__in=_followee_ids(viewer), follower__is_active=True
        )
        .annotate(total=Window(Count("pk")))
        .select_related("follower")
        .order_by("-created_at", "-pk")[:shown]
    )
    if not rows:
        return FollowedBy(names=[], total=0)
    return FollowedBy(names=[row.follower.username for row in rows], total=rows[0].total)


def followers_of(*, user: User, viewer) -> QuerySet:
    """People who follow `user`, newest follow first, with the viewer's follow flags; only
    those the viewer may see (people_queryset_for)."""
    return (
        people_queryset_for(viewer)
        .filter(following_set__followee=user)
        .order_by("-following_set__created_at", "-pk")
    )


def following_of(*, user: User, viewer) -> QuerySet:
    """People `user` follows, newest follow first, with the viewer's follow flags; only those
    the viewer may see (people_queryset_for)."""
    return (
        people_queryset_for(viewer)
        .filter(follower_set__follower=user)
        .order_by("-follower_set__created_at", "-pk")
    )


def user_search(*, query: str, viewer) -> QuerySet:
    """People whose username or display name contains `query`, any case; only those `viewer`
    may see (people_queryset_for: active, no block either way)."""
    query = query.strip()
    queryset = people_queryset_for(viewer)
    if not query:
        return queryset.none()
    return queryset.filter(
        Q(username__icontains=query) | Q(display_name__icontains=query)
    ).order_by(Length("username"), "username")


def suggestions_for(*, user: User, limit: int = 10) -> list[Suggestion]:
    """People followed by the people `user` follows, ranked; newest users fill in (4 queries).

    Ranked by how many of the user's followees follow them, then by their follower count.
    Never the user, someone they follow or dismissed, someone who left, nor anyone they blocked
    or who blocked them (accounts.policies.people_visible_q: subqueries, no query of its own).
    """
    followees = _followee_ids(user)
    dismissed = SuggestionDismissal.objects.filter(user=user).values("dismissed_id")
    candidates = (
        Follow.objects.filter(policies.people_visible_q(user, "followee"), follower__in=followees)
        .exclude(followee=user)
        .exclude(followee__in=followees)
        .exclude(followee__in=dismissed)
        .values("followee")
        .annotate(mutual=Count("*"))
    )
    # Counting followers is the expensive part, so it is done only for the candidates that can
    # make the list: those with at least as many mutual follows as the limit-th candidate.
    cut = list(candidates.order_by("-mutual").values_list("mutual", flat=True)[limit - 1 : limit])
    contenders = candidates.filter(mutual__gte=cut[0]) if cut else candidates
    ranked = list(
        User.objects.select_related("avatar")
        .filter(pk__in=contenders.values("followee"))
        .annotate(
            mutual=subquery_count(
                Follow.objects.filter(followee=OuterRef("pk"), follower__in=followees)
                .order_by()
                .values("followee")
            ),
            followers=subquery_count(
                Follow.objects.filter(followee=OuterRef("pk")).order_by().values("followee")
            ),
        )
        .order_by("-mutual", "-followers", "pk")[:limit]
    )
    mutual_by_id = {candidate.pk: candidate.mutual for candidate in ranked}
    users = {candidate.pk: candidate for candidate in ranked}
    names: dict[int, list[str]] = {pk: [] for pk in mutual_by_id}
    if mutual_by_id:
        # Two names per suggestion, picked in the database with a window, not a loop.
        for row in (
            Follow.objects.filter(followee__in=list(mutual_by_id), follower__in=followees)
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("followee")],
                    order_by=[F("created_at").desc(), F("pk").desc()],
                )
            )
            .filter(rank__lte=2)
            .values("followee", "follower__username")
        ):
            names[row["followee"]].append(row["follower__username"])
    suggestions = [
        Suggestion(
            user=users[pk],
            reason=followed_by_text(names[pk], mutual_by_id[pk]),
            mutual_count=mutual_by_id[pk],
        )
        for pk in mutual_by_id
        if pk in users
    ]
    missing = limit - len(suggestions)
    if missing > 0:
        newest = (
            User.objects.filter(policies.people_visible_q(user))
            .select_related("avatar")
            .exclude(pk=user.pk)
            .exclude(pk__in=followees)
            .exclude(pk__in=dismissed)
            .exclude(pk__in=list(mutual_by_id))
            .order_by("-date_joined", "-pk")[:missing]
        )
        suggestions += [
            Suggestion(user=u, reason=gettext("new on Friends"), mutual_count=0) for u in newest
        ]
    return suggestions


def tokens_live_of(*, user: User) -> QuerySet:
    """The API tokens of `user` that still work, newest first (never their keys: only digests
    are stored)."""
    return ApiToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created", "-pk")


def token_get_revocable(*, token_id: int, user: User) -> ApiToken:
    """The token `token_id` if `user` may revoke it (policies.revoke_token); Http404 otherwise,
    as for a token that does not exist: other people's tokens are not for them to know of."""
    token = get_object_or_404(ApiToken, pk=token_id)
    if not policies.revoke_token.allows(user, token):
        raise Http404("No such token.")
    return token


# --- Blocks and mutes -------------------------------------------------------------------------
#
# Who sees whom is decided in accounts.policies (people_visible_q); here are the lists of a
# person's own blocks and mutes, and the id sets other apps filter with in Python.


def blocks_of(*, user: User) -> QuerySet:
    """The people `user` blocked (Block rows with `blocked` and their avatar), the newest block
    first; not those who left since."""
    return (
        Block.objects.filter(blocker=user, blocked__is_active=True)
        .select_related("blocked", "blocked__avatar")
        .order_by("-created_at", "-pk")
    )


def mutes_of(*, user: User) -> QuerySet:
    """The people `user` muted (Mute rows with `muted` and their avatar), the newest mute
    first; only those they may see (not those who left or who blocked them since)."""
    visible = policies.people_visible_q(user, "muted", keep_blocked_by_viewer=True)
    return (
        Mute.objects.filter(visible, muter=user)
        .select_related("muted", "muted__avatar")
        .order_by("-created_at", "-pk")
    )


def blocked_either_way_ids(user: User) -> set[int]:
    """The ids of the people `user` blocked and of those who blocked `user` (one query): none
    of them may follow, like, comment on, mention or see the other."""
    if not user.is_authenticated:
        return set()
    pairs = Block.objects.filter(Q(blocker=user) | Q(blocked=user)).values_list(
        "blocker_id", "blocked_id"
    )
    return {other for pair in pairs for other in pair} - {user.pk}


def muted_ids(user: User) -> set[int]:
    """The ids of the people `user` muted (one query): hidden from their feed and
    notifications."""
    if not user.is_authenticated:
        return set()
    return set(Mute.objects.filter(muter=user).values_list("muted_id", flat=True))


# --- Invitations ------------------------------------------------------------------------------


def invitation_open(*, token: str) -> Invitation | None:
    """The invitation with this token (from its sign-up link) that nobody accepted yet and
    whose inviter is still here, with the inviter; None otherwise."""
    if not token or len(token) > Invitation._meta.get_field("token").max_length:
        return None
    return (
        Invitation.objects.select_related("inviter", "inviter__avatar")
        .filter(token=token, accepted_at__isnull=True, inviter__is_active=True)
        .first()
    )


def invitation_by_token(*, token: str) -> Invitation:
    """The invitation with this token, accepted or not (its unsubscribe link), or Http404."""
    if len(token) > Invitation._meta.get_field("token").max_length:
        raise Http404("No such invitation.")
    return get_object_or_404(Invitation, token=token)


def invitation_opted_out(*, email: str) -> bool:
    """Whether this address asked for no more invitations."""
    return (
        InvitationOptOut.objects.alias(address=Lower("email"))
        .filter(address=email.strip().lower())
        .exists()
    )


# INVITATIONS_PER_DAY is counted over this window, sliding.
INVITATION_WINDOW = timedelta(days=1)


def invitations_recent(*, user: User) -> QuerySet:
    """The invitations `user` made in the last INVITATION_WINDOW, sent or not."""
    since = timezone.now() - INVITATION_WINDOW
    return Invitation.objects.filter(inviter=user, created_at__gt=since)


def invitations_left_today(*, user: User) -> int:
    """How many more invitations `user` may send now: INVITATIONS_PER_DAY less those of the
    last 24 hours (sent or not: every attempt counts, so the number tells nothing)."""
    return max(0, settings.INVITATIONS_PER_DAY - invitations_recent(user=user).count())


def invitation_accepted_by(*, user: User) -> Invitation | None:
    """The invitation `user` signed up through, with its inviter; None when there is none."""
    return Invitation.objects.select_related("inviter").filter(accepted_by=user).first()
