from django.apps import AppConfig


class FlashsaleConfig(AppConfig):
    """Flash sales: an in-memory gate decides who gets a unit; orders are written behind it."""

    name = "millet.flashsale"
    label = "flashsale"

    def ready(self) -> None:
        from millet.flashsale.views import promotions
        from millet.web import nav

        nav.add_promotions("flashsale", promotions)
