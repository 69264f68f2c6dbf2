"""The model's money scale: the one place an amount in a customer's currency becomes Deutsche Mark.

The German Credit data (Statlog, collected in southern Germany in the 1970s) states its amounts in
Deutsche Mark: the credit amount, and the thresholds of the current-account and savings answers
(0, 200, 100, 500 and 1,000 DM). A customer in China, India or Germany answers in CNY, INR or EUR;
this module maps the answer onto the model's scale, so the same rule holds for the form, the
platform's facts and any later model. It is a fixed, documented scale, not a live exchange rate: a
model's bins must not move with the market.

- DM per EUR: 1.95583, the irrevocable conversion rate fixed by Council Regulation (EC) No 2866/98
  of 31 December 1998 (OJ L 359, 31.12.1998).
- CNY and INR per EUR: the ECB euro foreign exchange reference rates of 19 June 2009 (CNY 9.5242,
  INR 66.8880), as republished by the Banca d'Italia ("Euro foreign exchange reference rates as of
  19/06/2009"). Any fixed date would do; this one is a published, checkable fact.

Amounts are Decimals throughout, never floats.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from millet.core.errors import Unprocessable

DM_PER_EUR = Decimal("1.95583")
PER_EUR: dict[str, Decimal] = {
    "EUR": Decimal("1"),
    "CNY": Decimal("9.5242"),
    "INR": Decimal("66.8880"),
}
SOURCE = (
    "DM/EUR 1.95583 (Council Regulation (EC) No 2866/98); CNY and INR per EUR: "
    "ECB reference rates of 19 June 2009 (9.5242, 66.8880)"
)


def _per_eur(currency: str) -> Decimal:
    per_eur = PER_EUR.get(currency)
    if per_eur is None:
        raise Unprocessable(
            f"credit is scored in {', '.join(sorted(PER_EUR))}, not {currency!r}", code="unsupported_currency"
        )
    return per_eur


def to_dm(amount: Decimal, currency: str) -> Decimal:
    """``amount`` of ``currency`` on the model's scale, in Deutsche Mark, unrounded (so a balance
    of -0.01 stays below 0 DM). Raises Unprocessable ``unsupported_currency``."""
    return amount * DM_PER_EUR / _per_eur(currency)


def whole_dm(amount: Decimal, currency: str) -> int:
    """``to_dm`` rounded half-up to whole DM, the data's precision (the credit amount)."""
    return int(to_dm(amount, currency).to_integral_value(rounding=ROUND_HALF_UP))
