"""Amortization schedules in exact integer minor units (no models, no database).

Interest is charged on the declining balance: each installment's interest is the monthly rate
(APR / 12) times the principal still owed before it, rounded half-up to a minor unit. Two ways to
repay the principal:

- ``annuity`` (equal installments): the payment A = P*r / (1 - (1+r)^-n) is rounded once; each
  month's principal is A minus that month's interest, and the last installment takes whatever
  principal is left, so the rounding remainder lands there and the principals sum to P exactly.
- ``equal_principal``: P // n each month, the remainder on the last; payments decline with interest.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

ANNUITY = "annuity"
EQUAL_PRINCIPAL = "equal_principal"
METHODS = (ANNUITY, EQUAL_PRINCIPAL)


@dataclass(frozen=True)
class Row:
    seq: int
    due_date: date
    principal: int
    interest: int

    @property
    def payment(self) -> int:
        return self.principal + self.interest


def monthly_rate(apr: Decimal) -> Decimal:
    return apr / 12


def interest_on(balance: int, apr: Decimal) -> int:
    """One month's interest on ``balance`` minor units, rounded half-up to a whole minor unit."""
    return int((Decimal(balance) * monthly_rate(apr)).to_integral_value(rounding=ROUND_HALF_UP))


def add_months(start: date, months: int) -> date:
    """Same day of the month ``months`` later, clamped to the month's end (Jan 31 -> Feb 28)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def annuity_payment(principal: int, apr: Decimal, months: int) -> int:
    if apr == 0:
        return -(-principal // months)
    with localcontext() as ctx:
        ctx.prec = 40
        r = monthly_rate(apr)
        exact = Decimal(principal) * r / (1 - (1 + r) ** -months)
    return int(exact.to_integral_value(rounding=ROUND_HALF_UP))


def principal_split(principal: int, apr: Decimal, months: int, method: str) -> list[int]:
    """Each installment's principal; they sum to ``principal`` exactly, the remainder on the last."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    if principal <= 0 or months <= 0 or apr < 0:
        raise ValueError("principal and months must be positive and the APR not negative")
    if method == EQUAL_PRINCIPAL:
        part = principal // months
        return [part] * (months - 1) + [principal - part * (months - 1)]
    payment = annuity_payment(principal, apr, months)
    parts, balance = [], principal
    for _ in range(months - 1):
        part = min(max(payment - interest_on(balance, apr), 0), balance)
        parts.append(part)
        balance -= part
    return parts + [balance]


def build_schedule(principal: int, apr: Decimal, months: int, method: str, start: date) -> list[Row]:
    """The full schedule: due dates one month apart from ``start``, interest on the declining balance."""
    parts = principal_split(principal, apr, months, method)
    rows, balance = [], principal
    for seq, part in enumerate(parts, start=1):
        rows.append(Row(seq, add_months(start, seq), part, interest_on(balance, apr)))
        balance -= part
    return rows
