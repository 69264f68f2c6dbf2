from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SalesConfig(AppConfig):
    name = "millet.sales"
    label = "sales"
    # "Sales" alone is also the Z report's count of sales (销售笔数): the domain's name is another word.
    verbose_name = pgettext_lazy("back office domain", "Sales")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate
        from django.urls import reverse

        from millet.core import partitions
        from millet.sales.services import cart_units
        from millet.sales.services.carts import cart_units_kept
        from millet.sales.services.orders import ORDER_PARTITIONS
        from millet.web import nav

        partitions.register(ORDER_PARTITIONS)
        # ``flush`` empties the carts without a signal: the counts kept in the shared cache go too.
        post_migrate.connect(cart_units_kept.forget_all, dispatch_uid="sales-cart-units-flush")

        nav.set_cart(
            lambda actor, market: nav.CartLink(
                reverse("sales:cart", kwargs={"market": market}), cart_units(actor, market)
            )
        )

        nav.add(
            nav.Link(
                nav.ACCOUNT,
                "orders",
                _("My orders"),
                "sales:orders",
                nav.signed_in,
                _("What you bought online, in stores and in flash sales, and where it is."),
                order=10,
            )
        )
        nav.add(
            nav.Link(
                nav.STAFF,
                "returns",
                _("Returns to handle"),
                "sales:returns",
                nav.staff_only,
                _("Shoppers' return requests: approve or reject them, then receive the units and refund."),
            )
        )
        nav.add(
            nav.Link(
                nav.STAFF,
                "till",
                _("Till"),
                "sales:till-home",
                lambda actor: actor is not None and actor.is_store_staff,
                _("Your store's point of sale: sell, hand over pickups, take returns, close the day."),
                order=5,
            )
        )
