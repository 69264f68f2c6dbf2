from django.apps import AppConfig


class LendingConfig(AppConfig):
    """Consumer credit at checkout: model registry, applications, loans, repayments, delinquency."""

    name = "millet.lending"
    label = "lending"

    def ready(self) -> None:
        from millet.finance.services import GATEWAYS
        from millet.lending.services import LenderGateway

        # The lender is a payment method to sales: an order is paid "by loan" through the gateway
        # seam, and the sale's capture, refund and void reach the loan without sales knowing it.
        GATEWAYS[LenderGateway.name] = LenderGateway
