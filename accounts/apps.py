from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts.models import EmailDelivery
        from accounts.services import avatar_set_from
        from core import durable
        from media import hooks
        from media.models import Media

        durable.register(
            EmailDelivery, job="accounts.jobs.send_email", queue="email", settings_prefix="EMAIL"
        )
        hooks.on_ready(Media.Kind.AVATAR, avatar_set_from)
