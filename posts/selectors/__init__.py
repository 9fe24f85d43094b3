"""Reads about posts that pages and the API share; they own select/prefetch/annotations."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Follow, Mute, User
from accounts.policies import people_visible_sql
from accounts.selectors import profile_get
from core.queries import subquery_count
from media.models import Media
from media.selectors import media_visible_to
from posts.mentions import mentioned_names
from posts.models import (
    Bookmark,
    Comment,
    DataExport,
    Like,
    Post,
    PostPhoto,
)
from posts.policies import (
    comment_visible_q,
    comments_visible_q,
    download_export,
    posts_visible_q,
)


@dataclass(frozen=True)
class FeedPage:
    posts: list[Post]
    next_cursor: str | None


AUTHOR_PRIVATE_FIELDS = (
    "password",
    "email",
    "last_login",
    "date_joined",
    "first_name",
    "last_name",
    "is_staff",
    "is_superuser",
)


def _posts_with_authors() -> QuerySet:
    """Posts with their authors as pages and the API show them."""
    return Post.objects.select_related("author", "author__avatar").defer(
        # An author's password hash, email and account dates are never shown with a post.
        *(f"author__{field}" for field in AUTHOR_PRIVATE_FIELDS)
    )


def _posts_as_shown(viewer) -> QuerySet:
    """Posts with what pages and the API show of them, apart from the viewer's flags."""
    return _posts_with_authors().prefetch_related(photos_prefetch_for(viewer))


def _flag_sql(model) -> str:
    """EXISTS(a `model` row (Like, Bookmark) of this post by the user %s), for posts_load."""
    quote = connection.ops.quote_name
    post = quote(model._meta.get_field("post").column)
    user = quote(model._meta.get_field("user").column)
    return (
        f"EXISTS(SELECT 1 FROM {quote(model._meta.db_table)} flag "
        f"WHERE flag.{post} = {quote(Post._meta.db_table)}.{quote(Post._meta.pk.column)} "
        f"AND flag.{user} = %s)"
    )


def _viewer_flags(viewer, *, hand_written: bool = False) -> dict:
    """The annotations is_liked and is_bookmarked of posts for `viewer`.

    `hand_written`: the same EXISTS as SQL text, which the ORM neither builds nor compiles
    (building and compiling its Exists(OuterRef(...)) pair took about 0.5 ms, a fifth of
    loading a page of posts). Only where the posts table is the query's own base table, never
    in a queryset that may become a subquery (its alias would change).
    """
    if viewer is None or not viewer.is_authenticated:
        return {
            "is_liked": Value(False, output_field=BooleanField()),
            "is_bookmarked": Value(False, output_field=BooleanField()),
        }
    if hand_written:
        return {
            name: RawSQL(_flag_sql(model), (viewer.pk,), output_field=BooleanField())
            for name, model in (("is_liked", Like), ("is_bookmarked", Bookmark))
        }
    return {
        "is_liked": Exists(Like.objects.filter(user=viewer, post=OuterRef("pk"))),
        "is_bookmarked": Exists(Bookmark.objects.filter(user=viewer, post=OuterRef("pk"))),
    }


def post_queryset_for(viewer) -> QuerySet:
    """The posts `viewer` may see (posts.policies.posts_visible_q: not of someone who left, nor
    between people who blocked each other) as pages and the API show them: author, flags for
    `viewer`, photos.

    The one place that decides what loading a post costs (with posts_load, which pages of
    posts use). Photos come from one prefetch into `post.visible_photos` (photos_prefetch_for).
    """
    return _posts_as_shown(viewer).filter(posts_visible_q(viewer)).annotate(**_viewer_flags(viewer))


def post_get(*, post_id: int, viewer) -> Post:
    """One post `viewer` may see, with its flags, or Http404 (post_queryset_for)."""
    return get_object_or_404(post_queryset_for(viewer), pk=post_id)


def post_visible_get(*, post_id: int, viewer) -> Post:
    """One post `viewer` may see, with its author and nothing else (for writes: like, bookmark,
    comment, edit, delete), or Http404 as for a post that does not exist."""
    return get_object_or_404(
        Post.objects.select_related("author").filter(posts_visible_q(viewer)), pk=post_id
    )


def post_list(*, viewer, author: User | None = None) -> QuerySet:
    """Every post (or one author's), newest first."""
    queryset = post_queryset_for(viewer)
    if author is not None:
        queryset = queryset.filter(author=author)
    return queryset.order_by("-created_at", "-id")


def feed_for(*, user: User, newest: int | None = None) -> QuerySet:
    """Which posts make `user`'s feed (theirs and their followees', less the people they muted
    and those they may not see: accounts.policies), newest first.

    Narrow on purpose: paging picks a page's ids from it (keyset_page, the API's
    FeedPagination), then posts_load() loads just those posts as pages show them. Ordering and
    limiting the wide rows (author, flags) in one query read every candidate row in full.
    The followees come from a subquery, not a list of ids, so the database plans one query.

    `newest`: only that many of the newest posts will be read (a first page and the one more
    that tells whether there is a next); on PostgreSQL they are then looked for among the
    recent posts first (_feed_newest_sql).
    """
    # One IN (followees UNION ALL me) rather than `author = me OR author IN (...)`: with the OR,
    # PostgreSQL walks the newest-posts index filtering every post (all 200,000 of them for
    # someone who follows few); without it, it reads each author's posts from the author index
    # (index-only once the table is vacuumed: seed_demo runs VACUUM ANALYZE). SQL text: the
    # ORM's union of two querysets cost a third of this query's time to build and compile.
    # The followees' part is filtered first (a few rows), so the posts are read as before.
    sql, params = _feed_authors_sql(user)
    if newest is not None and connection.vendor == "postgresql":
        sql, params = _feed_newest_sql(sql, params, newest)
        return Post.objects.filter(pk__in=RawSQL(sql, params)).order_by("-created_at", "-id")
    return Post.objects.filter(author_id__in=RawSQL(sql, params)).order_by("-created_at", "-id")


# Someone who follows 1,000 people has some 20,000 posts in their feed at the large scale
# (seed_demo); reading them all from the author index and sorting them for the newest 21 was
# half of the feed API's time. Their newest posts are nearly always of the last day or two:
# looked for there first, each author's index is read for a few rows only (the query's time
# from 13 to 7 ms). Older posts are read only when the recent ones are too few, in the same
# query (a one-time filter: never run otherwise), so the number of queries stays the same.
FEED_RECENT = timedelta(days=2)


def _feed_newest_sql(authors_sql: str, authors_params: list, count: int) -> tuple[str, list]:
    """The ids of the `count` newest posts by `authors_sql` (and maybe a few more: the caller
    orders and limits), as SQL text for PostgreSQL and its parameters."""
    quote = connection.ops.quote_name
    post = Post._meta
    table, pk = quote(post.db_table), quote(post.pk.column)
    author = quote(post.get_field("author").column)
    created = quote(post.get_field("created_at").column)
    newest_first = f"ORDER BY post_row.{created} DESC, post_row.{pk} DESC LIMIT %s"
    by_authors = f"post_row.{author} IN (SELECT * FROM feed_author)"
    sql = (
        f"WITH feed_author AS MATERIALIZED ({authors_sql}), "
        f"recent AS MATERIALIZED (SELECT post_row.{pk} AS id FROM {table} post_row "
        f"WHERE {by_authors} AND post_row.{created} >= %s {newest_first}) "
        f"SELECT id FROM recent UNION ALL SELECT id FROM (SELECT post_row.{pk} AS id "
        f"FROM {table} post_row WHERE {by_authors} AND post_row.{created} < %s "
        f"AND (SELECT COUNT(*) FROM recent) < %s {newest_first}) older"
    )
    since = timezone.now() - FEED_RECENT
    return sql, [*authors_params, since, count, since, count, count]


def _feed_authors_sql(user: User) -> tuple[str, list]:
    """The ids of the people `user` follows, less those they muted and those they may not see
    (accounts.policies.people_visible_sql: left, or blocked either way), and `user` themself."""
    quote = connection.ops.quote_name
    follow, mute = Follow._meta, Mute._meta
    follower = quote(follow.get_field("follower").column)
    followee = f"follow_row.{quote(follow.get_field('followee').column)}"
    muter = quote(mute.get_field("muter").column)
    muted = quote(mute.get_field("muted").column)
    visible, visible_params = people_visible_sql(followee, user)
    sql = (
        f"SELECT {followee} FROM {quote(follow.db_table)} follow_row "
        f"WHERE follow_row.{follower} = %s "
        f"AND NOT EXISTS(SELECT 1 FROM {quote(mute.db_table)} mute_row "
        f"WHERE mute_row.{muter} = %s AND mute_row.{muted} = {followee}) "
        f"AND {visible} UNION ALL SELECT %s"
    )
    return sql, [user.pk, user.pk, *visible_params, user.pk]


def posts_load(*, ids: list[int], viewer) -> list[Post]:
    """The posts with these ids, in this order, as pages show them to `viewer` (at most two
    queries: posts with author and flags, photos); ids no longer there are skipped."""
    if not ids:
        return []
    queryset = _posts_with_authors().annotate(
        **_viewer_flags(viewer, hand_written=True),
        has_photos=RawSQL(_has_photos_sql(), (), output_field=BooleanField()),
    )
    by_id = {post.pk: post for post in queryset.filter(pk__in=ids)}
    # The photos of those that have some (photos_prefetch_for, as post_queryset_for gives
    # them): building, running and reading that query took half of this function's time, also
    # for a page without any photo.
    with_photos = [post for post in by_id.values() if post.has_photos]
    if with_photos:
        prefetch_related_objects(with_photos, photos_prefetch_for(viewer))
    for post in by_id.values():
        if not post.has_photos:
            post.visible_photos = []
    return [by_id[post_id] for post_id in ids if post_id in by_id]


def _has_photos_sql() -> str:
    """EXISTS(a photo of this post, ready or not), for posts_load."""
    quote = connection.ops.quote_name
    link = PostPhoto._meta
    return (
        f"EXISTS(SELECT 1 FROM {quote(link.db_table)} link "
        f"WHERE link.{quote(link.get_field('post').column)} = "
        f"{quote(Post._meta.db_table)}.{quote(Post._meta.pk.column)})"
    )


def liked_posts_for(*, user: User, viewer=None) -> QuerySet:
    """Posts `user` liked, the most recently liked first, with the flags of `viewer` (by
    default `user`; accounts.policies.likes_visible says who else may see them)."""
    return (
        post_queryset_for(user if viewer is None else viewer)
        .filter(likes__user=user)
        .order_by("-likes__created_at", "-likes__id")
    )


def bookmarked_posts_for(*, user: User) -> QuerySet:
    """Posts `user` bookmarked, the most recently bookmarked first."""
    return (
        post_queryset_for(user)
        .filter(bookmarks__user=user)
        .order_by("-bookmarks__created_at", "-bookmarks__id")
    )


def comments_for(*, post: Post, viewer) -> QuerySet:
    """The comments of `post` (one the viewer sees) that `viewer` may see
    (posts.policies.comments_visible_q), oldest first, with their authors."""
    return (
        Comment.objects.filter(comments_visible_q(viewer), post=post)
        .select_related("author", "author__avatar", "post")
        .order_by("created_at", "id")
    )


def comment_get(*, comment_id: int, viewer) -> Comment:
    """One comment `viewer` may see (posts.policies.comment_visible_q), with its author and
    post, or Http404."""
    return get_object_or_404(
        Comment.objects.filter(comment_visible_q(viewer)).select_related(
            "author", "author__avatar", "post"
        ),
        pk=comment_id,
    )


def keyset_page(queryset: QuerySet, *, before: str | None, size: int, viewer) -> FeedPage:
    """`size` posts older than the cursor `before` ("<microseconds>_<id>"), and the next cursor.

    Keyset paging on (created_at, id): stable while new posts arrive, fast at any depth. The
    page's ids come from `queryset` (which posts, in which order; feed_for), the posts from
    posts_load() for `viewer`.
    """
    position = cursor_decode(before)
    if position is not None:
        created_at, post_id = position
        queryset = queryset.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=post_id)
        )
    keys = list(queryset.prefetch_related(None).values_list("created_at", "pk")[: size + 1])
    next_cursor = cursor_encode(*keys[size - 1]) if len(keys) > size else None
    posts = posts_load(ids=[post_id for _, post_id in keys[:size]], viewer=viewer)
    return FeedPage(posts=posts, next_cursor=next_cursor)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def cursor_encode(created_at: datetime, post_id: int) -> str:
    # Whole microseconds: exact, unlike a float timestamp.
    return f"{(created_at - _EPOCH) // _MICROSECOND}_{post_id}"


def cursor_decode(value: str | None) -> tuple[datetime, int] | None:
    if not value:
        return None
    try:
        timestamp, post_id = value.split("_", 1)
        return _EPOCH + int(timestamp) * _MICROSECOND, int(post_id)
    except (ValueError, OverflowError, OSError):
        return None


def photos_prefetch_for(viewer) -> Prefetch:
    """The photos of posts as `viewer` sees them, in order, into `post.visible_photos`: ready
    ones, plus the viewer's own still processing or failed (a placeholder, or the reason)."""
    photos = media_visible_to(viewer).filter(kind=Media.Kind.PHOTO)
    return Prefetch(
        "photos", queryset=photos.order_by("post_photo__position"), to_attr="visible_photos"
    )


# --- Profiles ---------------------------------------------------------------------------------


def profile_with_posts_get(*, username: str, viewer) -> User:
    """A profile (accounts.selectors.profile_get) with its posts counted, in one query."""
    posts = Post.objects.filter(author=OuterRef("pk")).order_by().values("author")
    return profile_get(username=username, viewer=viewer, posts_count=subquery_count(posts))


# --- Photos -----------------------------------------------------------------------------------


def post_photo_get(*, post_id: int, position: int, viewer) -> tuple[Post, Media]:
    """A post and its photo at `position` (1 for the first) among those `viewer` sees
    (photos_prefetch_for: the same photos as on the post), or Http404."""
    post = post_get(post_id=post_id, viewer=viewer)
    photos = post.visible_photos
    if not 1 <= position <= len(photos):
        raise Http404("No such photo.")
    return post, photos[position - 1]


# --- Mentions ---------------------------------------------------------------------------------


def mentions_resolve(texts) -> dict[str, str]:
    """{lowercased name: username} of the active people whom the @mentions in `texts` may mean
    (posts.mentions): one query, none when no text mentions anyone."""
    names: set[str] = set()
    for text in texts:
        names |= mentioned_names(text)
    if not names:
        return {}
    usernames = (
        User.objects.annotate(lowered=Lower("username"))
        .filter(lowered__in=names, is_active=True)
        .values_list("username", flat=True)
    )
    return {username.lower(): username for username in usernames}


def mentions_attach(items, *, field: str = "body") -> list:
    """Give each of `items` (posts, comments) `.mentions`: the people its text mentions, as
    the `linkify` filter takes them (one query for all: mentions_resolve)."""
    items = list(items)
    found = mentions_resolve(getattr(item, field) for item in items)
    for item in items:
        names = mentioned_names(getattr(item, field)) if found else ()
        item.mentions = {name: found[name] for name in names if name in found}
    return items


# --- Data exports -----------------------------------------------------------------------------


def export_latest_for(*, user: User) -> DataExport | None:
    """The person's newest data export, or None (one query)."""
    return DataExport.objects.filter(user=user).order_by("-created_at", "-id").first()


def export_get(*, user: User, export_id: int) -> DataExport:
    """One data export of `user` (policies.download_export: anyone else's is a 404)."""
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None:
        raise Http404("No such export.")
    download_export.enforce(user, export)
    return export
