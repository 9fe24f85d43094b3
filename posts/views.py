"""HTML pages of posts: thin views calling services and selectors; posts.policies decides who
may do what, the services enforce it."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView

from accounts.policies import likes_visible
from accounts.selectors import (
    followed_by_for,
    followers_of,
    following_of,
    shared_friends,
    suggestions_for,
)
from core.http import call_service, safe_next_url, wants_fragment
from media.limits import direct_uploads_available
from posts import policies
from posts.forms import (
    CommentForm,
    PostEditWithPhotosForm,
    PostForm,
    PostWithPhotosForm,
)
from posts.models import Post
from posts.selectors import (
    bookmarked_posts_for,
    comments_for,
    feed_for,
    keyset_page,
    liked_posts_for,
    mentions_attach,
    post_get,
    post_list,
    post_photo_get,
    post_visible_get,
    profile_with_posts_get,
)
from posts.services import (
    bookmark_set,
    bookmark_unset,
    like_set,
    like_unset,
    post_create,
    post_delete,
    post_update,
)

FEED_PAGE_SIZE = 20
LIST_PAGE_SIZE = 20
PEOPLE_PAGE_SIZE = 30

# --- Feed, profiles ---------------------------------------------------------------------------


class HomeView(View):
    """`/`: the feed for people who are logged in, with suggestions of people to follow (a
    fixed number of queries: accounts.selectors.suggestions_for; beside posts, the side column
    of accounts.suggestion_box); a welcome page for everyone else."""

    def get(self, request):
        if not request.user.is_authenticated:
            # The welcome page offers signing up and logging in, which both need the database:
            # when it does not answer, the site's 503 says so (DatabaseUnavailableMiddleware)
            # rather than forms that would fail once filled in.
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return render(request, "accounts/welcome.html")
        before = request.GET.get("before")
        # The first page reads the newest posts and one more (is there a next page?).
        newest = None if before else FEED_PAGE_SIZE + 1
        page = keyset_page(
            feed_for(user=request.user, newest=newest),
            before=before,
            size=FEED_PAGE_SIZE,
            viewer=request.user,
        )
        # Instead of posts in a new person's empty feed; beside posts, the side column draws
        # its own ({% suggestion_box %}: kept for a minute).
        empty = not page.posts and not before
        suggestions = suggestions_for(user=request.user, limit=8) if empty else []
        return render(
            request,
            "posts/feed.html",
            {"page": page, "posts": page.posts, "suggestions": suggestions, "form": PostForm()},
        )


class ProfileView(View):
    """`/u/<username>/`: who they are, counts, follow button, shared friends, their posts.

    Here rather than in accounts: a profile shows posts, and apps import downwards only.
    """

    def get(self, request, username: str):
        profile = profile_with_posts_get(username=username, viewer=request.user)
        if profile.is_blocked:
            # Someone the viewer blocked: only who they are and the way to unblock them.
            return render(request, "accounts/profile_blocked.html", {"profile": profile})
        paginator = Paginator(post_list(viewer=request.user, author=profile), LIST_PAGE_SIZE)
        paginator.count = profile.posts_count  # already counted: one query less
        page = paginator.get_page(request.GET.get("page"))
        return render(
            request,
            "posts/profile.html",
            {
                "profile": profile,
                "active": "posts",
                "likes_tab": likes_visible(request.user, profile),
                "followed_by": followed_by_for(user=profile, viewer=request.user),
                "shared_friends": shared_friends(user=profile, viewer=request.user),
                "page_obj": page,
                "posts": page.object_list,
            },
        )


class _ProfileTabView(View):
    """A tab of a profile, under the same header as its posts (counts, follow button)."""

    template_name = ""
    active = ""
    page_size = LIST_PAGE_SIZE

    def items(self, profile, viewer):
        raise NotImplementedError

    def shown(self, *, likes_tab: bool) -> bool:
        return True

    def get(self, request, username: str):
        profile = profile_with_posts_get(username=username, viewer=request.user)
        likes_tab = likes_visible(request.user, profile)
        # Someone the viewer blocked has their profile page (to unblock them), no tabs.
        if profile.is_blocked or not self.shown(likes_tab=likes_tab):
            raise Http404(_("No such page."))
        paginator = Paginator(self.items(profile, request.user), self.page_size)
        page = paginator.get_page(request.GET.get("page"))
        context = {"profile": profile, "active": self.active, "likes_tab": likes_tab}
        context.update(page_obj=page, items=page.object_list)
        return render(request, self.template_name, context)


class FollowersView(_ProfileTabView):
    template_name = "accounts/follow_list.html"
    active = "followers"
    page_size = PEOPLE_PAGE_SIZE

    def items(self, profile, viewer):
        return followers_of(user=profile, viewer=viewer)


class FollowingView(_ProfileTabView):
    template_name = "accounts/follow_list.html"
    active = "following"
    page_size = PEOPLE_PAGE_SIZE

    def items(self, profile, viewer):
        return following_of(user=profile, viewer=viewer)


class ProfileLikesView(_ProfileTabView):
    """`/u/<username>/likes/`: the posts they liked, newest like first; a 404 unless they made
    their likes public (User.likes_public) or they are the viewer."""

    template_name = "posts/profile_likes.html"
    active = "likes"

    def shown(self, *, likes_tab: bool) -> bool:
        return likes_tab

    def items(self, profile, viewer):
        return liked_posts_for(user=profile, viewer=viewer)


# --- Posts ------------------------------------------------------------------------------------


class PostCreateView(LoginRequiredMixin, FormView):
    template_name = "posts/post_form.html"
    form_class = PostWithPhotosForm

    def get_context_data(self, **kwargs):
        # With S3 the page's script sends the photos straight to storage (media/direct_uploads.py).
        return super().get_context_data(direct_uploads=direct_uploads_available(), **kwargs)

    def form_valid(self, form):
        post = call_service(form, post_create, author=self.request.user, **form.cleaned_data)
        if post is None:
            return self.form_invalid(form)
        messages.success(self.request, _("Your post is published."))
        return redirect("posts:detail", post_id=post.pk)


class PostDetailView(View):
    def get(self, request, post_id: int, comment_form=None):
        post = post_get(post_id=post_id, viewer=request.user)
        return render(
            request,
            "posts/post_detail.html",
            {
                "post": post,
                # With the people their texts @mention (one query for all: linkify links them).
                "comments": mentions_attach(comments_for(post=post, viewer=request.user)),
                "comment_form": comment_form or CommentForm(),
            },
        )


class PostPhotoView(View):
    """`/posts/<id>/photos/<n>/`: photo n of a post, large, with its description, the previous
    and next photo and the way back to the post. The page's script asks for it with
    X-Fragment and shows that part over the page instead."""

    def get(self, request, post_id: int, n: int):
        post, media = post_photo_get(post_id=post_id, position=n, viewer=request.user)
        context = {"post": post, "media": media, "n": n, "count": len(post.visible_photos)}
        fragment = wants_fragment(request)
        template = "posts/_photo_dialog.html" if fragment else "posts/photo_viewer.html"
        response = render(request, template, context)
        # One address, two answers: a browser going back must not show the fragment as the page.
        patch_vary_headers(response, ["X-Fragment"])
        return response


class PostPhotoTileView(View):
    """`/posts/<id>/photos/<n>/tile/`: photo n's tile in the post's grid, which a tile still
    processing asks for again until its photo is ready or failed (static/js/site.js)."""

    def get(self, request, post_id: int, n: int):
        post, media = post_photo_get(post_id=post_id, position=n, viewer=request.user)
        context = {"post": post, "media": media, "n": n, "count": len(post.visible_photos)}
        response = render(request, "posts/_photo_tile.html", context)
        response["Cache-Control"] = "no-store"
        return response


class PostUpdateView(LoginRequiredMixin, FormView):
    template_name = "posts/post_form.html"
    form_class = PostEditWithPhotosForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.post_object = post_get(post_id=kwargs["post_id"], viewer=request.user)
        policies.edit_post.enforce(request.user, self.post_object)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"title": self.post_object.title, "body": self.post_object.body}

    def get_context_data(self, **kwargs):
        return super().get_context_data(editing=self.post_object, **kwargs)

    def form_valid(self, form):
        post = call_service(
            form, post_update, post=self.post_object, editor=self.request.user, **form.cleaned_data
        )
        if post is None:
            return self.form_invalid(form)
        messages.success(self.request, _("Your post is saved."))
        return redirect("posts:detail", post_id=post.pk)


class PostDeleteView(LoginRequiredMixin, View):
    """GET asks for a confirmation, POST deletes (the author)."""

    def _post(self, request, post_id: int) -> Post:
        post = post_visible_get(post_id=post_id, viewer=request.user)
        policies.delete_post.enforce(request.user, post)
        return post

    def get(self, request, post_id: int):
        return render(
            request, "posts/post_confirm_delete.html", {"post": self._post(request, post_id)}
        )

    def post(self, request, post_id: int):
        post_delete(post=self._post(request, post_id), actor=request.user)
        messages.success(request, _("Your post is deleted."))
        return redirect("posts:home")


# --- Likes, bookmarks -------------------------------------------------------------------------


class _ToggleView(LoginRequiredMixin, View):
    """POST `action=set` or `action=unset`: back where the person was, or, for the page's
    script, the toggle again (`fragment`), drawn from the post as it is now."""

    set_service = None
    unset_service = None
    set_message = ""
    unset_message = ""
    fragment = ""

    def post(self, request, post_id: int):
        post = post_visible_get(post_id=post_id, viewer=request.user)
        if request.POST.get("action") == "unset":
            type(self).unset_service(user=request.user, post=post)
            message = self.unset_message
        else:
            type(self).set_service(user=request.user, post=post)
            message = self.set_message
        back = safe_next_url(request, reverse("posts:detail", args=[post.pk]))
        if wants_fragment(request):
            post = post_get(post_id=post.pk, viewer=request.user)
            return render(request, self.fragment, {"post": post, "next_url": back})
        messages.success(request, message)
        return redirect(back)


class LikeToggleView(_ToggleView):
    set_service = like_set
    unset_service = like_unset
    set_message = gettext_lazy("You like this post.")
    unset_message = gettext_lazy("You no longer like this post.")
    fragment = "posts/_like_toggle.html"


class BookmarkToggleView(_ToggleView):
    set_service = bookmark_set
    unset_service = bookmark_unset
    set_message = gettext_lazy("Bookmarked.")
    unset_message = gettext_lazy("Bookmark removed.")
    fragment = "posts/_bookmark_toggle.html"


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
    heading = gettext_lazy("Posts you liked")
    empty = gettext_lazy("You have not liked any post yet. Tap ♥ on a post you enjoy.")

    def posts(self, user):
        return liked_posts_for(user=user)


class BookmarkedPostsView(_PostListView):
    heading = gettext_lazy("Your bookmarks")
    empty = gettext_lazy("Nothing bookmarked yet. Bookmark a post to read it later.")

    def posts(self, user):
        return bookmarked_posts_for(user=user)
