from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "posts"
    verbose_name = "Posts"

    def ready(self) -> None:
        from accounts import hooks
        from core import durable, events, sweep
        from media import hooks as media_hooks
        from media.models import Media
        from posts.models import NotificationEvent
        from posts.selectors.notifications import notifications_live_state
        from posts.services import posts_user_deleting
        from posts.services.notifications import (
            notification_follow_created,
            notification_photo_failed,
            notifications_forget_old,
            notifications_user_deleting,
        )

        hooks.on_user_delete(posts_user_deleting)
        hooks.on_user_delete(notifications_user_deleting)
        hooks.on_follow_created(notification_follow_created)
        media_hooks.on_failed(Media.Kind.PHOTO, notification_photo_failed)
        media_hooks.on_failed(Media.Kind.AVATAR, notification_photo_failed)
        durable.register(
            NotificationEvent,
            job="posts.jobs.deliver_notifications",
            queue="default",
            settings_prefix="NOTIFICATION",
            forget_done_after_days=7,
        )
        sweep.register("posts: old read notifications deleted", notifications_forget_old)
        events.on_connect(notifications_live_state)
        # Download your data (posts/services/export.py).
        from accounts.models import EmailDelivery
        from posts.models import DataExport
        from posts.services.export import (
            export_email_context,
            exports_expire,
            exports_user_deleting,
        )

        durable.register(
            DataExport, job="posts.jobs.export_data", queue="default", settings_prefix="EXPORT"
        )
        sweep.register("posts: expired data exports deleted", exports_expire)
        hooks.on_user_delete(exports_user_deleting)
        hooks.on_email_context(EmailDelivery.Kind.EXPORT_READY, export_email_context)
