from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuranceConfig(AppConfig):
    """Device protection: plans priced per SKU and term, policies bound to serials, claims, payouts."""

    name = "millet.insurance"
    label = "insurance"
    verbose_name = _("Device protection")

    def ready(self) -> None:
        from millet.insurance.services import on_units_returned
        from millet.insurance.shopper_views import PANEL, order_panel
        from millet.sales.events import units_returned
        from millet.sales.panels import add_order_panel

        # A unit back in the shop is no longer the customer's to insure: cancel and refund.
        units_returned.connect(on_units_returned, dispatch_uid="insurance.units_returned")
        # The order page offers protection for its units while a plan's purchase window is open.
        add_order_panel(PANEL, order_panel)
        self.add_links()

    @staticmethod
    def add_links() -> None:
        from millet.web import nav

        def is_claims_handler(actor) -> bool:
            return actor is not None and actor.is_claims_handler

        nav.add(
            nav.Link(
                nav.STAFF,
                "claims",
                _("Claims queue"),
                "insurance:claims",
                is_claims_handler,
                _("Device protection claims with the unit's telemetry, decided with a reason and paid."),
                order=45,
            )
        )
        nav.add(
            nav.Link(
                nav.ACCOUNT,
                "protection",
                _("My protection"),
                "protection:home",
                nav.signed_in,
                _("Your devices' protection plans, and claims when something happens to them."),
                order=30,
            )
        )
