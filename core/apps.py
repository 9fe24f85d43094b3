from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core import idempotency, sweep

        sweep.register("core: expired Idempotency-Keys deleted", idempotency.forget_expired)
