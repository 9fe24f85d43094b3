"""API views of posts: they call the same services as the pages."""

import re

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ProfileSerializer
from accounts.models import USERNAME_PATTERN
from accounts.selectors import user_get_visible
from accounts.services import (
    block_set,
    block_unset,
    follow_create,
    follow_delete,
    mute_set,
    mute_unset,
)
from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, IDEMPOTENCY_RESPONSES, idempotent
from core.pagination import PAGE_SIZE, StrictPageSize
from core.schema import error_responses
from media.uploadhandlers import LimitedMultiPartParser
from posts import policies
from posts.api.serializers import (
    CommentSerializer,
    CommentWriteSerializer,
    PostMultipartSerializer,
    PostSerializer,
    PostWriteSerializer,
)
from posts.selectors import (
    bookmarked_posts_for,
    comment_get,
    comments_for,
    feed_for,
    liked_posts_for,
    post_get,
    post_list,
    post_visible_get,
    posts_load,
    profile_with_posts_get,
)
from posts.services import (
    bookmark_set,
    bookmark_unset,
    comment_create,
    comment_delete,
    comment_update,
    like_set,
    like_unset,
    post_create,
    post_delete,
    post_update,
)

# --- Profiles ---------------------------------------------------------------------------------
# Here rather than in accounts: a profile counts posts, and apps import downwards only.


def _profile_response(request, username: str) -> Response:
    profile = profile_with_posts_get(username=username, viewer=request.user)
    return Response(ProfileSerializer(profile, context={"request": request}).data)


class UserDetailView(APIView):
    """users/<username>/: a profile with counts, follow flags, friends in common and the
    viewer's `is_blocked` and `is_muted`. 404 for someone who left or who blocked you; someone
    you blocked is found (to unblock them), their posts and lists are not."""

    @extend_schema(responses=ProfileSerializer)
    def get(self, request, username: str):
        return _profile_response(request, username)


class UserFollowView(APIView):
    """PUT follows, DELETE unfollows (both idempotent); the answer is the updated profile."""

    @extend_schema(request=None, responses={200: ProfileSerializer, **error_responses(409)})
    def put(self, request, username: str):
        followee = user_get_visible(username=username, viewer=request.user)
        follow_create(follower=request.user, followee=followee)
        return _profile_response(request, followee.username)

    @extend_schema(request=None, responses={200: ProfileSerializer})
    def delete(self, request, username: str):
        followee = user_get_visible(username=username, viewer=request.user)
        follow_delete(follower=request.user, followee=followee)
        return _profile_response(request, followee.username)


class _UserRelationView(APIView):
    """PUT sets, DELETE unsets (both idempotent); the answer is the person's profile, as for
    follow/, with `is_blocked` and `is_muted`. 404 for someone who left or who blocked you;
    yourself: 400."""

    set_service = None
    unset_service = None
    roles = ("", "")  # the services' keyword names: (the person acting, the other person)

    def _change(self, request, username: str, service) -> Response:
        person = user_get_visible(
            username=username, viewer=request.user, keep_blocked_by_viewer=True
        )
        actor, other = self.roles
        service(**{actor: request.user, other: person})
        return _profile_response(request, person.username)

    @extend_schema(request=None, responses={200: ProfileSerializer})
    def put(self, request, username: str):
        return self._change(request, username, type(self).set_service)

    @extend_schema(request=None, responses={200: ProfileSerializer})
    def delete(self, request, username: str):
        return self._change(request, username, type(self).unset_service)


class UserBlockView(_UserRelationView):
    """users/<username>/block/: PUT blocks (the follows between you end, both ways; they no
    longer see you, nor you them), DELETE unblocks. They are not told."""

    set_service = block_set
    unset_service = block_unset
    roles = ("blocker", "blocked")


class UserMuteView(_UserRelationView):
    """users/<username>/mute/: PUT mutes (their posts leave your feed, they no longer notify
    you), DELETE unmutes. They are not told and see no difference."""

    set_service = mute_set
    unset_service = mute_unset
    roles = ("muter", "muted")


# --- Posts, comments, likes, bookmarks, feed --------------------------------------------------


AUTHOR_PARAMETER = OpenApiParameter(
    "author",
    {"type": "string", "pattern": USERNAME_PATTERN, "maxLength": 150},
    description="Only this username's posts (404 when nobody has it).",
)


class FeedPagination(StrictPageSize, CursorPagination):
    """Cursor on (created_at, id): new posts arriving do not shift the pages already read."""

    ordering = ("-created_at", "-id")
    page_size = PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        """Page on the narrow ids query (feed_for), then load only that page's posts.

        The cursors come from (created_at, id) of the narrow rows, exactly as before.
        """
        rows = super().paginate_queryset(queryset.values("pk", "created_at"), request, view)
        if rows is None:
            return None
        return posts_load(ids=[row["pk"] for row in rows], viewer=request.user)

    def decode_cursor(self, request):
        """DRF's decoding, and a position that is a time, as this paginator writes it: a
        forged cursor is an invalid one (404), never a query that fails on its text."""
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                valid = parse_datetime(cursor.position) is not None
            except ValueError:
                valid = False
            if not valid:
                raise NotFound(self.invalid_cursor_message)
        return cursor


class PostListView(generics.ListAPIView):
    """GET every post (or `?author=<username>`'s), newest first; POST writes one, as JSON
    (photos by `media_ids`) or as multipart (new photos in `images`)."""

    serializer_class = PostSerializer
    parser_classes = [JSONParser, LimitedMultiPartParser]

    def get_queryset(self):
        author = self.request.query_params.get("author")
        if author is not None and not re.fullmatch(USERNAME_PATTERN.rstrip("$"), author):
            raise ValidationError({"author": [_("Not a username.")]})
        if author:
            person = user_get_visible(username=author, viewer=self.request.user)
            return post_list(viewer=self.request.user, author=person)
        return post_list(viewer=self.request.user)

    @extend_schema(parameters=[AUTHOR_PARAMETER])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={
            "application/json": PostWriteSerializer,
            "multipart/form-data": PostMultipartSerializer,
        },
        responses={201: PostSerializer, **error_responses(404, 409), **IDEMPOTENCY_RESPONSES},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def post(self, request):
        multipart = request.content_type.startswith("multipart/")
        serializer = (PostMultipartSerializer if multipart else PostWriteSerializer)(
            data=request.data
        )
        serializer.is_valid(raise_exception=True)
        post = post_create(author=request.user, **serializer.validated_data)
        created = post_get(post_id=post.pk, viewer=request.user)
        return Response(
            PostSerializer(created, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class PostDetailView(APIView):
    """GET a post; PUT/PATCH as JSON (its author: the title, the text, and the photos as
    `media_ids`, uploaded first with POST media/) and DELETE (its author, or staff):
    posts.policies, enforced by the services (403 for others)."""

    parser_classes = [JSONParser]

    @extend_schema(responses=PostSerializer)
    def get(self, request, post_id: int):
        return Response(
            PostSerializer(
                post_get(post_id=post_id, viewer=request.user), context={"request": request}
            ).data
        )

    @extend_schema(
        request=PostWriteSerializer, responses={200: PostSerializer, **error_responses(409)}
    )
    def put(self, request, post_id: int):
        return self._update(request, post_id, partial=False)

    @extend_schema(
        request=PostWriteSerializer, responses={200: PostSerializer, **error_responses(409)}
    )
    def patch(self, request, post_id: int):
        return self._update(request, post_id, partial=True)

    def _update(self, request, post_id: int, *, partial: bool) -> Response:
        post = post_visible_get(post_id=post_id, viewer=request.user)
        policies.edit_post.enforce(request.user, post)  # before reading any upload
        serializer = PostWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        post_update(post=post, editor=request.user, **serializer.validated_data)
        return Response(
            PostSerializer(
                post_get(post_id=post.pk, viewer=request.user), context={"request": request}
            ).data
        )

    @extend_schema(responses={204: None})
    def delete(self, request, post_id: int):
        post_delete(post=post_visible_get(post_id=post_id, viewer=request.user), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _PostToggleView(APIView):
    """PUT sets, DELETE unsets (both idempotent); the answer is the post with counts and flags."""

    set_service = None
    unset_service = None

    @extend_schema(request=None, responses={200: PostSerializer})
    def put(self, request, post_id: int):
        post = post_visible_get(post_id=post_id, viewer=request.user)
        type(self).set_service(user=request.user, post=post)
        return Response(
            PostSerializer(
                post_get(post_id=post_id, viewer=request.user), context={"request": request}
            ).data
        )

    @extend_schema(request=None, responses={200: PostSerializer})
    def delete(self, request, post_id: int):
        post = post_visible_get(post_id=post_id, viewer=request.user)
        type(self).unset_service(user=request.user, post=post)
        return Response(
            PostSerializer(
                post_get(post_id=post_id, viewer=request.user), context={"request": request}
            ).data
        )


class PostLikeView(_PostToggleView):
    set_service = like_set
    unset_service = like_unset


class PostBookmarkView(_PostToggleView):
    set_service = bookmark_set
    unset_service = bookmark_unset


class PostCommentsView(generics.ListAPIView):
    """GET the comments of a post, oldest first; POST adds one (JSON)."""

    serializer_class = CommentSerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        viewer = self.request.user
        post = post_visible_get(post_id=self.kwargs["post_id"], viewer=viewer)
        return comments_for(post=post, viewer=viewer)

    @extend_schema(
        request=CommentWriteSerializer,
        responses={201: CommentSerializer, **IDEMPOTENCY_RESPONSES},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def post(self, request, post_id: int):
        post = post_visible_get(post_id=post_id, viewer=request.user)
        serializer = CommentWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = comment_create(post=post, author=request.user, **serializer.validated_data)
        created = comment_get(comment_id=comment.pk, viewer=request.user)
        return Response(
            CommentSerializer(created, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class CommentDetailView(APIView):
    """GET a comment; PATCH as JSON (its author); DELETE (its author, the post's author, or
    staff)."""

    parser_classes = [JSONParser]

    @extend_schema(responses=CommentSerializer)
    def get(self, request, comment_id: int):
        return Response(
            CommentSerializer(
                comment_get(comment_id=comment_id, viewer=request.user),
                context={"request": request},
            ).data
        )

    @extend_schema(request=CommentWriteSerializer, responses=CommentSerializer)
    def patch(self, request, comment_id: int):
        comment = comment_get(comment_id=comment_id, viewer=request.user)
        policies.edit_comment.enforce(request.user, comment)  # 403 before 400
        serializer = CommentWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        comment_update(comment=comment, editor=request.user, **serializer.validated_data)
        return Response(CommentSerializer(comment, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request, comment_id: int):
        comment = comment_get(comment_id=comment_id, viewer=request.user)
        comment_delete(comment=comment, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FeedView(generics.ListAPIView):
    """feed/: my posts and my followees' posts, newest first, cursor pagination."""

    serializer_class = PostSerializer
    pagination_class = FeedPagination

    def get_queryset(self):
        # The first page (no cursor) reads the newest posts and one more (is there a next?).
        paginator, request = self.paginator, self.request
        first = not request.query_params.get(paginator.cursor_query_param)
        newest = paginator.get_page_size(request) + 1 if first else None
        return feed_for(user=request.user, newest=newest)


class MyLikesView(generics.ListAPIView):
    """me/likes/: the posts I liked, most recently liked first."""

    serializer_class = PostSerializer

    def get_queryset(self):
        return liked_posts_for(user=self.request.user)


class MyBookmarksView(generics.ListAPIView):
    """me/bookmarks/: the posts I bookmarked, most recently bookmarked first."""

    serializer_class = PostSerializer

    def get_queryset(self):
        return bookmarked_posts_for(user=self.request.user)
