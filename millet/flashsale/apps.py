from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlashsaleConfig(AppConfig):
    """Flash sales: an in-memory gate decides who gets a unit; orders are written behind it."""

    name = "millet.flashsale"
    label = "flashsale"
    verbose_name = _("Flash sales")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate, post_save

        from millet.flashsale.models import Campaign
        from millet.flashsale.services import forget_announcements
        from millet.flashsale.services.storefront import announcements_kept
        from millet.flashsale.views import promotions
        from millet.web import nav

        nav.add_promotions("flashsale", promotions)
        # The menu's announcements are kept in the shared cache: any campaign saved or deleted (by
        # the services or the back office) has them read again.
        for change, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(forget_announcements, sender=Campaign, dispatch_uid=f"flashsale-campaign-{change}")
        post_migrate.connect(announcements_kept.forget_all, dispatch_uid="flashsale-announcements-flush")
