from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation
from django.core.files.storage import storages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils._os import safe_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.http import require_safe
from django.views.generic import FormView

from accounts.selectors import suggestions_for
from friends_site.errors import ApplicationError
from posts.forms import CommentForm, PostEditWithPhotosForm, PostForm, PostWithPhotosForm
from posts.models import Comment, Post
from posts.selectors import (
    bookmarked_posts_for,
    comment_get,
    comments_for,
    feed_for,
    keyset_page,
    liked_posts_for,
    post_get,
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
from posts.services.media import avatar_upload, media_delete

# --- Feed, posts, comments, likes, bookmarks --------------------------------------------------

FEED_PAGE_SIZE = 20
LIST_PAGE_SIZE = 20


def _next_url(request, default: str) -> str:
    """Where a toggle form sends the person back: `next` when it is on this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _run_service(form, service, **kwargs):
    """Call a service; a domain error becomes a form error (None is returned then)."""
    try:
        return service(**kwargs)
    except ApplicationError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return None


class HomeView(View):
    """`/`: the feed for people who are logged in, a welcome page for everyone else."""

    def get(self, request):
        if not request.user.is_authenticated:
            return render(request, "accounts/welcome.html")
        before = request.GET.get("before")
        page = keyset_page(
            feed_for(user=request.user), before=before, size=FEED_PAGE_SIZE, viewer=request.user
        )
        suggestions = []
        if not page.posts and not before:
            suggestions = suggestions_for(user=request.user, limit=8)
        return render(
            request,
            "posts/feed.html",
            {"page": page, "posts": page.posts, "suggestions": suggestions, "form": PostForm()},
        )


class PostCreateView(LoginRequiredMixin, FormView):
    template_name = "posts/post_form.html"
    form_class = PostWithPhotosForm  # PostForm with photos (forms.py, "Media")

    def form_valid(self, form):
        post = _run_service(form, post_create, author=self.request.user, **form.cleaned_data)
        if post is None:
            return self.form_invalid(form)
        messages.success(self.request, "Your post is published.")
        return redirect("posts:detail", post_id=post.pk)


class PostDetailView(View):
    def get(self, request, post_id: int, comment_form=None):
        post = post_get(post_id=post_id, viewer=request.user)
        return render(
            request,
            "posts/post_detail.html",
            {
                "post": post,
                "comments": comments_for(post=post),
                "comment_form": comment_form or CommentForm(),
            },
        )


class PostUpdateView(LoginRequiredMixin, FormView):
    template_name = "posts/post_form.html"
    form_class = PostEditWithPhotosForm  # PostForm with photos to add/remove (forms.py, "Media")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.post_object = get_object_or_404(Post, pk=kwargs["post_id"])
        if self.post_object.author_id != request.user.pk:
            raise PermissionDenied("Only the author may edit this post.")
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"title": self.post_object.title, "body": self.post_object.body}

    def get_context_data(self, **kwargs):
        return super().get_context_data(editing=self.post_object, **kwargs)

    def form_valid(self, form):
        post = _run_service(
            form, post_update, post=self.post_object, editor=self.request.user, **form.cleaned_data
        )
        if post is None:
            return self.form_invalid(form)
        messages.success(self.request, "Your post is saved.")
        return redirect("posts:detail", post_id=post.pk)


class PostDeleteView(LoginRequiredMixin, View):
    """GET asks for a confirmation, POST deletes (author only)."""

    def _post(self, request, post_id: int) -> Post:
        post = get_object_or_404(Post.objects.select_related("author"), pk=post_id)
        if post.author_id != request.user.pk:
            raise PermissionDenied("Only the author may delete this post.")
        return post

    def get(self, request, post_id: int):
        return render(
            request, "posts/post_confirm_delete.html", {"post": self._post(request, post_id)}
        )

    def post(self, request, post_id: int):
        post_delete(post=self._post(request, post_id), actor=request.user)
        messages.success(request, "Your post is deleted.")
        return redirect("posts:home")


class _ToggleView(LoginRequiredMixin, View):
    """POST `action=set` or `action=unset`; sends the person back where they were."""

    set_service = None
    unset_service = None
    set_message = ""
    unset_message = ""

    def post(self, request, post_id: int):
        post = get_object_or_404(Post, pk=post_id)
        if request.POST.get("action") == "unset":
            type(self).unset_service(user=request.user, post=post)
            messages.success(request, self.unset_message)
        else:
            type(self).set_service(user=request.user, post=post)
            messages.success(request, self.set_message)
        return redirect(_next_url(request, reverse("posts:detail", args=[post.pk])))


class LikeToggleView(_ToggleView):
    set_service = like_set
    unset_service = like_unset
    set_message = "You like this post."
    unset_message = "You no longer like this post."


class BookmarkToggleView(_ToggleView):
    set_service = bookmark_set
    unset_service = bookmark_unset
    set_message = "Bookmarked."
    unset_message = "Bookmark removed."


class CommentCreateView(LoginRequiredMixin, View):
    def post(self, request, post_id: int):
        post = get_object_or_404(Post, pk=post_id)
        form = CommentForm(request.POST)
        if form.is_valid():
            comment = _run_service(
                form, comment_create, post=post, author=request.user, body=form.cleaned_data["body"]
            )
            if comment is not None:
                messages.success(request, "Your comment is added.")
                return redirect(f"{reverse('posts:detail', args=[post.pk])}#comment-{comment.pk}")
        return PostDetailView().get(request, post_id=post.pk, comment_form=form)


class CommentUpdateView(LoginRequiredMixin, FormView):
    template_name = "posts/comment_form.html"
    form_class = CommentForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.comment = comment_get(comment_id=kwargs["comment_id"])
        if self.comment.author_id != request.user.pk:
            raise PermissionDenied("Only the author may edit this comment.")
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"body": self.comment.body}

    def get_context_data(self, **kwargs):
        return super().get_context_data(comment=self.comment, **kwargs)

    def form_valid(self, form):
        comment = _run_service(
            form,
            comment_update,
            comment=self.comment,
            editor=self.request.user,
            body=form.cleaned_data["body"],
        )
        if comment is None:
            return self.form_invalid(form)
        messages.success(self.request, "Your comment is saved.")
        return redirect(f"{reverse('posts:detail', args=[comment.post_id])}#comment-{comment.pk}")


class CommentDeleteView(LoginRequiredMixin, View):
    """GET asks for a confirmation, POST deletes (comment author or post author)."""

    def _comment(self, request, comment_id: int) -> Comment:
        comment = comment_get(comment_id=comment_id)
        if request.user.pk not in (comment.author_id, comment.post.author_id):
            raise PermissionDenied("You may not delete this comment.")
        return comment

    def get(self, request, comment_id: int):
        comment = self._comment(request, comment_id)
        return render(request, "posts/comment_confirm_delete.html", {"comment": comment})

    def post(self, request, comment_id: int):
        comment = self._comment(request, comment_id)
        comment_delete(comment=comment, actor=request.user)
        messages.success(request, "The comment is deleted.")
        return redirect("posts:detail", post_id=comment.post_id)


class _PostListView(LoginRequiredMixin, View):
    template_name = "posts/post_list.html"
    heading = ""
    empty = ""

    def posts(self, user):
        raise NotImplementedError

    def get(self, request):
        paginator = Paginator(self.posts(request.user), LIST_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        return render(
            request,
            self.template_name,
            {
                "page_obj": page,
                "posts": page.object_list,
                "heading": self.heading,
                "empty": self.empty,
            },
        )


class LikedPostsView(_PostListView):
    heading = "Posts you liked"
    empty = "You have not liked any post yet. Tap ♥ on a post you enjoy."

    def posts(self, user):
        return liked_posts_for(user=user)


class BookmarkedPostsView(_PostListView):
    heading = "Your bookmarks"
    empty = "Nothing bookmarked yet. Bookmark a post to read it later."

    def posts(self, user):
        return bookmarked_posts_for(user=user)


# --- Media ------------------------------------------------------------------------------------


class AvatarUploadView(LoginRequiredMixin, View):
    """POST /settings/avatar/: a new avatar (square crops made by the media job) or remove it."""

    def post(self, request):
        if request.POST.get("action") == "remove":
            if request.user.avatar_id:
                media_delete(media=request.user.avatar, actor=request.user)
                messages.success(request, "Your avatar is removed.")
            return redirect(f"{reverse('accounts:settings')}#avatar")
        upload = request.FILES.get("avatar")
        if upload is None:
            messages.error(request, "Choose an image to upload.")
        else:
            try:
                avatar_upload(user=request.user, file=upload)
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, "Your new avatar is being processed.")
        return redirect(f"{reverse('accounts:settings')}#avatar")


@require_safe
def serve_media(request, path: str):
    """Serve a processed variant from local storage (S3 deployments serve from the bucket).

    Only WebP variants of the public storage are reachable (originals live in another storage
    with no URL at all), always as image/webp with nosniff.
    """
    storage = storages["default"]
    location = getattr(storage, "location", None)
    if location is None or not path.startswith("media/") or not path.endswith(".webp"):
        raise Http404("No such file.")
    try:
        full_path = safe_join(location, path)
        handle = open(full_path, "rb")  # noqa: SIM115 - FileResponse closes it
    except (SuspiciousFileOperation, ValueError, OSError) as error:
        raise Http404("No such file.") from error
    response = FileResponse(handle, content_type="image/webp")
    response["X-Content-Type-Options"] = "nosniff"
    # Names are deterministic per item and an item's files never change once ready.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
