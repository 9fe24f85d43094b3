"""Reads about people that pages and the API share."""

from dataclasses import dataclass

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
from django.db.models.functions import Length, RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts import policies
from accounts.models import ApiToken, Follow, SuggestionDismissal, User
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
        return f"followed by {names[0]}, whom you follow"
    if total == 2 and len(names) >= 2:
        return f"followed by {names[0]} and {names[1]}, whom you follow"
    shown = names[:2]
    others = total - len(shown)
    noun = "other" if others == 1 else "others"
    return f"followed by {', '.join(shown)} and {others} {noun} you follow"


def _followee_ids(user) -> QuerySet:
    """Ids of the people `user` follows, as a subquery (no IN list of ids in Python)."""
    return Follow.objects.filter(follower=user).values("followee_id")


def avatar_pending_for(user) -> Media | None:
    """The person's newest avatar upload when it is not ready yet (processing, or failed)."""
    return media_newest_unready(owner=user, kind=Media.Kind.AVATAR)


def user_get_active(*, username: str) -> User:
    """The active user with this username (any case), or Http404."""
    return get_object_or_404(User, username__iexact=username, is_active=True)


def people_queryset_for(viewer) -> QuerySet:
    """Active users with `is_following` (viewer follows them) and `follows_you` flags."""
    queryset = User.objects.filter(is_active=True).select_related("avatar")
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
    """One user with follower counts, follow flags and mutual friend count, in one query (or
    Http404). `counts` adds more annotations (posts: posts_count)."""
    followers = Follow.objects.filter(followee=OuterRef("pk")).order_by().values("followee")
    following = Follow.objects.filter(follower=OuterRef("pk")).order_by().values("follower")
    queryset = people_queryset_for(viewer).annotate(
        followers_count=subquery_count(followers),
        following_count=subquery_count(following),
        **counts,
    )
    if viewer is not None and viewer.is_authenticated:
        queryset = queryset.annotate(
            mutual_friends_count=subquery_count(
                _shared_friends_of(OuterRef(OuterRef("pk")), viewer).order_by()
            )
        )
    else:
        queryset = queryset.annotate(mutual_friends_count=Value(0, output_field=IntegerField()))
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
        Follow.objects.filter(followee=user, follower__in=_followee_ids(viewer))
        .annotate(total=Window(Count("pk")))
        .select_related("follower")
        .order_by("-created_at", "-pk")[:shown]
    )
    if not rows:
        return FollowedBy(names=[], total=0)
    return FollowedBy(names=[row.follower.username for row in rows], total=rows[0].total)


def followers_of(*, user: User, viewer) -> QuerySet:
    """People who follow `user`, newest follow first, with the viewer's follow flags."""
    return (
        people_queryset_for(viewer)
        .filter(following_set__followee=user)
        .order_by("-following_set__created_at", "-pk")
    )


def following_of(*, user: User, viewer) -> QuerySet:
    """People `user` follows, newest follow first, with the viewer's follow flags."""
    return (
        people_queryset_for(viewer)
        .filter(follower_set__follower=user)
        .order_by("-follower_set__created_at", "-pk")
    )


def user_search(*, query: str, viewer) -> QuerySet:
    """Active users whose username or display name contains `query`, any case."""
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
    Never the user, someone they follow or someone they dismissed.
    """
    followees = _followee_ids(user)
    dismissed = SuggestionDismissal.objects.filter(user=user).values("dismissed_id")
    candidates = (
        Follow.objects.filter(follower__in=followees, followee__is_active=True)
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
            User.objects.filter(is_active=True)
            .select_related("avatar")
            .exclude(pk=user.pk)
            .exclude(pk__in=followees)
            .exclude(pk__in=dismissed)
            .exclude(pk__in=list(mutual_by_id))
            .order_by("-date_joined", "-pk")[:missing]
        )
        suggestions += [Suggestion(user=u, reason="new on Friends", mutual_count=0) for u in newest]
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
