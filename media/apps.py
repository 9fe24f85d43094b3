from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "media"
    verbose_name = "Media"

    def ready(self) -> None:
        from core import durable, events, sweep
        from media.models import FileDeletion, Media
        from media.selectors import media_live_state
        from media.services import media_delete_unused_and_failed

        durable.register(
            Media,
            job="media.jobs.process_media",
            queue="media",
            settings_prefix="MEDIA",
            gave_up_reason="The photo could not be processed; please upload it again.",
        )
        durable.register(
            FileDeletion,
            job="media.jobs.delete_files",
            queue="media",
            settings_prefix="MEDIA",
            forget_done_after_days=7,
        )
        sweep.register("media: unused and failed uploads deleted", media_delete_unused_and_failed)
        events.on_connect(media_live_state)
