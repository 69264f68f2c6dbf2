"""The lender as a payment method: an order paid "by loan" goes through the payments seam.

Sales and payments already know how to authorise, capture, refund and void an order's payment; a
loan only has to answer those calls. ``authorize`` accepts the token ``loan:<number>`` only for the
approved, not yet cancelled loan of that very order and amount. ``refund`` (a sales return) gives the
money back to the lender, which reduces the loan; ``void`` (an order cancelled before fulfilment)
cancels the loan. Both run inside the payments transaction, so the sale and the loan move together.
"""

from __future__ import annotations

from decimal import Decimal

from millet.finance.services import GatewayResult
from millet.lending.services.loans import LENDER_GATEWAY, TOKEN_PREFIX, loan_funds_order
from millet.lending.services.repayments import cancel_loan, refund_to_loan


class LenderGateway:
    name = LENDER_GATEWAY

    def authorize(
        self, *, amount: Decimal, currency: str, payment_token: str, reference: str
    ) -> GatewayResult:
        number = payment_token.removeprefix(TOKEN_PREFIX)
        if not payment_token.startswith(TOKEN_PREFIX) or not loan_funds_order(
            number, order_number=reference, amount=amount, currency=currency
        ):
            return GatewayResult(ok=False, decline_reason="no_approved_loan")
        return GatewayResult(ok=True, gateway_reference=number)

    def capture(self, *, gateway_reference: str, amount: Decimal, currency: str) -> GatewayResult:
        return GatewayResult(ok=True, gateway_reference=gateway_reference)

    def refund(self, *, gateway_reference: str, amount: Decimal, currency: str) -> GatewayResult:
        refund_to_loan(gateway_reference, amount=amount, currency=currency)
        return GatewayResult(ok=True, gateway_reference=gateway_reference)

    def void(self, *, gateway_reference: str) -> GatewayResult:
        cancel_loan(gateway_reference)
        return GatewayResult(ok=True, gateway_reference=gateway_reference)
