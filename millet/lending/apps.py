from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LendingConfig(AppConfig):
    """Consumer credit at checkout: model registry, applications, loans, repayments, delinquency."""

    name = "millet.lending"
    label = "lending"
    verbose_name = _("Lending")

    def ready(self) -> None:
        from millet.finance.services import GATEWAYS
        from millet.lending.services import LenderGateway

        # The lender is a payment method to sales: an order is paid "by loan" through the gateway
        # seam, and the sale's capture, refund and void reach the loan without sales knowing it.
        GATEWAYS[LenderGateway.name] = LenderGateway
        self.add_links()

    @staticmethod
    def add_links() -> None:
        from millet.web import nav

        def reads_credit(actor) -> bool:
            return actor is not None and (actor.is_risk_officer or actor.is_executive)

        label = _("Credit monitoring")
        about = _(
            "Score distribution and stability of live credit applications, "
            "approval and default rates by cohort."
        )
        nav.add(
            nav.Link(
                nav.STAFF, "credit-monitoring", label, "lending:monitoring", reads_credit, about, order=40
            )
        )
        nav.add(nav.Link(nav.DEVELOPER, "credit-monitoring", label, "lending:monitoring", order=40))

        nav.add(
            nav.Link(
                nav.ACCOUNT,
                "loans",
                _("My loans"),
                "lending:loans",
                nav.signed_in,
                _("What you still owe on installment credit, the next payment, and paying it."),
                order=20,
            )
        )

        def is_risk_officer(actor) -> bool:
            return actor is not None and actor.is_risk_officer

        nav.add(
            nav.Link(
                nav.STAFF,
                "credit-reviews",
                _("Credit review queue"),
                "lending:reviews",
                is_risk_officer,
                _("Referred applications with their score and reasons, approved or declined with a reason."),
                order=35,
            )
        )
