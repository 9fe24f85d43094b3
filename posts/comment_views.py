"""HTML pages of comments: adding one (from a post's page), editing and deleting it;
posts.policies decides who may, the services enforce it."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from core.http import call_service
from posts import policies
from posts.forms import CommentForm
from posts.selectors import comment_get, post_visible_get
from posts.services import comment_create, comment_delete, comment_update
from posts.views import PostDetailView


class CommentCreateView(LoginRequiredMixin, View):
    def post(self, request, post_id: int):
        post = post_visible_get(post_id=post_id, viewer=request.user)
        form = CommentForm(request.POST)
        if form.is_valid():
            comment = call_service(
                form, comment_create, post=post, author=request.user, body=form.cleaned_data["body"]
            )
            if comment is not None:
                messages.success(request, _("Your comment is added."))
                return redirect(f"{reverse('posts:detail', args=[post.pk])}#comment-{comment.pk}")
        return PostDetailView().get(request, post_id=post.pk, comment_form=form)


class CommentUpdateView(LoginRequiredMixin, FormView):
    template_name = "posts/comment_form.html"
    form_class = CommentForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.comment = comment_get(comment_id=kwargs["comment_id"], viewer=request.user)
        policies.edit_comment.enforce(request.user, self.comment)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"body": self.comment.body}

    def get_context_data(self, **kwargs):
        return super().get_context_data(comment=self.comment, **kwargs)

    def form_valid(self, form):
        comment = call_service(
            form,
            comment_update,
            comment=self.comment,
            editor=self.request.user,
            body=form.cleaned_data["body"],
        )
        if comment is None:
            return self.form_invalid(form)
        messages.success(self.request, _("Your comment is saved."))
        return redirect(f"{reverse('posts:detail', args=[comment.post_id])}#comment-{comment.pk}")


class CommentDeleteView(LoginRequiredMixin, View):
    """GET asks for a confirmation, POST deletes (the comment's author or the post's)."""

    def _comment(self, request, comment_id: int):
        comment = comment_get(comment_id=comment_id, viewer=request.user)
        policies.delete_comment.enforce(request.user, comment)
        return comment

    def get(self, request, comment_id: int):
        comment = self._comment(request, comment_id)
        return render(request, "posts/comment_confirm_delete.html", {"comment": comment})

    def post(self, request, comment_id: int):
        comment = self._comment(request, comment_id)
        comment_delete(comment=comment, actor=request.user)
        messages.success(request, _("The comment is deleted."))
        return redirect("posts:detail", post_id=comment.post_id)
