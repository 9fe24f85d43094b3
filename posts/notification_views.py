"""HTML pages of notifications: the list, the navigation's badge alone, and the switches per
kind."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from posts.forms import NotificationSettingsForm
from posts.models import NotificationKind
from posts.selectors.notifications import (
    UNREAD_COUNT_MAX,
    notification_kinds_off,
    notifications_page,
    notifications_unread_count,
)
from posts.services.notifications import notification_settings_set, notifications_mark_read
from posts.templatetags.notifications import BADGE_TEMPLATE, badge_context

NOTIFICATIONS_PAGE_SIZE = 20


class NotificationsView(LoginRequiredMixin, View):
    """`/notifications/`: the person's notifications, the most recently changed first, unread
    ones highlighted, 20 a page ("Older": `?before=<cursor>`); those shown are marked read once
    the page is drawn. A fixed number of queries, whatever their number."""

    def get(self, request):
        before = request.GET.get("before")
        page = notifications_page(user=request.user, before=before, size=NOTIFICATIONS_PAGE_SIZE)
        unread_shown = sum(1 for notification in page.notifications if notification.read_at is None)
        unread = notifications_unread_count(user=request.user)
        if unread < UNREAD_COUNT_MAX:
            unread -= unread_shown
        # The badge of this page already counts those shown as read (posts.templatetags).
        request.unread_notifications = max(unread, 0)
        response = render(request, "posts/notifications.html", {"page": page, "before": before})
        notifications_mark_read(user=request.user, shown=page.notifications)
        return response


class UnreadNotificationsView(LoginRequiredMixin, View):
    """`/notifications/unread/`: the navigation's badge alone (templates/posts/_unread_badge.html),
    which static/js/site.js asks for now and then to keep an open page's count right."""

    def get(self, request):
        count = notifications_unread_count(user=request.user)
        response = render(request, BADGE_TEMPLATE, badge_context(count))
        response["Cache-Control"] = "no-store"
        return response


class NotificationSettingsView(LoginRequiredMixin, FormView):
    """`/settings/notifications/`: one switch per kind of notification (linked from
    /settings/; here because accounts cannot know of posts' notifications)."""

    template_name = "posts/notification_settings.html"
    form_class = NotificationSettingsForm

    def get_initial(self):
        off = notification_kinds_off(user=self.request.user)
        return {kind: kind not in off for kind in NotificationKind.values}

    def form_valid(self, form):
        notification_settings_set(user=self.request.user, enabled=form.enabled_kinds())
        messages.success(self.request, _("Your notification settings are saved."))
        return redirect("posts:notification_settings")
