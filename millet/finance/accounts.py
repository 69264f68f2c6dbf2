"""The account codes finance, sales and stores share, so every domain books to the same accounts.

Each helper returns the *ensured* ``LedgerAccount`` (created on first use, race-safe): callers need
both its ``code`` and its ``kind`` to build an ``Allocation``, and an account that exists before any
transfer names it keeps ``create_transfers`` from failing with ``unknown_account``.
"""

from __future__ import annotations

from millet.core.errors import Unprocessable
from millet.finance.ledger import ensure_account
from millet.finance.models import LedgerAccount

Kind = LedgerAccount.Kind


def _code(*parts: str) -> str:
    for part in parts:
        if not part or ":" in part:
            raise Unprocessable(
                f"account code part {part!r} must be non-empty without ':'", code="invalid_account_code"
            )
    return ":".join(parts)


def gateway_account(gateway: str, currency: str) -> LedgerAccount:
    """Asset: money the payment gateway holds for us or owes us."""
    return ensure_account(
        _code("gateway", gateway, currency), currency, Kind.ASSET, name=f"Gateway {gateway}"
    )


def customer_funds_account(currency: str) -> LedgerAccount:
    """Liability: customers' money held before a sale; it can never go negative."""
    return ensure_account(
        _code("customer-funds", currency),
        currency,
        Kind.LIABILITY,
        name="Customer funds",
        debits_must_not_exceed_credits=True,
    )


def store_revenue_code(store_code: str, currency: str) -> str:
    """The code alone, for readers (the store ranking) that must not create accounts."""
    return _code("revenue", "store", store_code, currency)


def store_revenue_account(store_code: str, currency: str) -> LedgerAccount:
    return ensure_account(
        store_revenue_code(store_code, currency), currency, Kind.REVENUE, name=f"Revenue {store_code}"
    )


def web_revenue_account(market: str, currency: str) -> LedgerAccount:
    return ensure_account(
        _code("revenue", "web", market, currency), currency, Kind.REVENUE, name=f"Web {market}"
    )


def tax_payable_account(market: str, tax_component: str, currency: str) -> LedgerAccount:
    """Liability: tax collected for the authority, one account per component (CGST, SGST, VAT...)."""
    return ensure_account(
        _code("tax", market, tax_component, currency),
        currency,
        Kind.LIABILITY,
        name=f"{tax_component} {market}",
    )
