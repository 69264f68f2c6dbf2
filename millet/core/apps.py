from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The kernel's one table: ``KeyedRequest``, the idempotency keys of creating API requests."""

    name = "millet.core"
    label = "core"
    verbose_name = _("Core")
