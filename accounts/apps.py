from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts.models import AccountDeletion, EmailDelivery
        from accounts.policies import people_visible_q
        from accounts.services import avatar_set_from
        from core import durable
        from media import hooks
        from media.models import Media

        durable.register(
            EmailDelivery, job="accounts.jobs.send_email", queue="email", settings_prefix="EMAIL"
        )
        durable.register(
            AccountDeletion,
            job="accounts.jobs.delete_account",
            queue="default",
            settings_prefix="ACCOUNT_DELETION",
        )
        hooks.on_ready(Media.Kind.AVATAR, avatar_set_from)
        # Others' photos follow who sees whom (people who left, blocks).
        hooks.on_owner_visibility(lambda viewer: people_visible_q(viewer, "owner"))
