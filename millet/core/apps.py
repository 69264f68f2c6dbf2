from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel's one table: ``KeyedRequest``, the idempotency keys of creating API requests."""

    name = "millet.core"
    label = "core"
