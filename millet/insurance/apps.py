from django.apps import AppConfig


class InsuranceConfig(AppConfig):
    """Device protection: plans priced per SKU and term, policies bound to serials, claims, payouts."""

    name = "millet.insurance"
    label = "insurance"

    def ready(self) -> None:
        from millet.insurance.services import on_units_returned
        from millet.sales.events import units_returned

        # A unit back in the shop is no longer the customer's to insure: cancel and refund.
        units_returned.connect(on_units_returned, dispatch_uid="insurance.units_returned")
