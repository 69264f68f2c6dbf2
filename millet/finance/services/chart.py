"""The account codes finance, sales and stores share, so every domain books to the same accounts.

Each helper returns the *ensured* ``LedgerAccount`` (created on first use, race-safe): callers need
both its ``code`` and its ``kind`` to build a ``Posting``, and an account that exists before any
transfer names it keeps ``create_transfers`` from failing with ``unknown_account``.
"""

from __future__ import annotations

import zlib

from django.conf import settings

from millet.core.errors import Unprocessable
from millet.finance.models import LedgerAccount
from millet.finance.services.ledger_accounts import SUB_ACCOUNT_SEPARATOR, ensure_account

Kind = LedgerAccount.Kind


def _code(*parts: str) -> str:
    for part in parts:
        if not part or ":" in part:
            raise Unprocessable(
                f"account code part {part!r} must be non-empty without ':'", code="invalid_account_code"
            )
    return ":".join(parts)


def sub_account_for(reference: str) -> int:
    """Which of the ``MILLET_LEDGER_SUB_ACCOUNTS`` sub-accounts of a hot account a payment with this
    ``reference`` (an order number) books to: a stable hash, so every checkout in a market does not
    queue on one row lock (docs/ARCHITECTURE.md, "How each part scales out"). 0 is the account itself.
    """
    count = settings.MILLET_LEDGER_SUB_ACCOUNTS
    return zlib.crc32(reference.encode()) % count if count > 1 else 0


def _hot(code: str, sub: int, currency: str, kind: str, **facts) -> LedgerAccount:
    """The hot account ``code`` or its sub-account ``sub``; the parent always exists, so readers
    of the parent code find it whichever sub-accounts took the bookings."""
    parent = ensure_account(code, currency, kind, **facts)
    return ensure_account(f"{code}{SUB_ACCOUNT_SEPARATOR}{sub}", currency, kind, **facts) if sub else parent


def gateway_account(gateway: str, currency: str, *, sub: int = 0) -> LedgerAccount:
    """Asset: money the payment gateway holds for us or owes us. ``sub`` (see ``sub_account_for``)
    picks one of its sub-accounts, ``gateway:{gw}:{CUR}#{sub}``; balances read by the parent code add
    them all up (``ledger_accounts.balance``)."""
    return _hot(_code("gateway", gateway, currency), sub, currency, Kind.ASSET, name=f"Gateway {gateway}")


def customer_funds_account(currency: str, *, sub: int = 0) -> LedgerAccount:
    """Liability: customers' money held before a sale; it can never go negative, nor can any of its
    sub-accounts (``customer-funds:{CUR}#{sub}``, see ``gateway_account``): a payment's money leaves
    through the sub-account it came in by."""
    return _hot(
        _code("customer-funds", currency),
        sub,
        currency,
        Kind.LIABILITY,
        name="Customer funds",
        debits_must_not_exceed_credits=True,
    )


def payment_accounts(gateway: str, currency: str, reference: str) -> tuple[LedgerAccount, LedgerAccount]:
    """The gateway and customer-funds (sub-)accounts a payment with ``reference`` books to.

    Ensured in one fixed order (both parents, then the gateway's sub-account, then customer funds'):
    checkouts and till sales that create them at the same time then wait for each other's inserts
    in that order and cannot deadlock on the code's unique index.
    """
    sub = sub_account_for(reference)
    gateway_account(gateway, currency)
    customer_funds_account(currency)
    return gateway_account(gateway, currency, sub=sub), customer_funds_account(currency, sub=sub)


def store_revenue_code(store_code: str, currency: str) -> str:
    """The code alone, for readers (the store ranking) that must not create accounts."""
    return _code("revenue", "store", store_code, currency)


def store_revenue_account(store_code: str, currency: str) -> LedgerAccount:
    return ensure_account(
        store_revenue_code(store_code, currency), currency, Kind.REVENUE, name=f"Revenue {store_code}"
    )


def till_cash_code(store_code: str, currency: str) -> str:
    return _code("cash", "till", store_code, currency)


def till_cash_account(store_code: str, currency: str) -> LedgerAccount:
    """Asset: the notes and coins in one store's till drawer (cash sales in, cash refunds out)."""
    return ensure_account(
        till_cash_code(store_code, currency), currency, Kind.ASSET, name=f"Till cash {store_code}"
    )


def cash_over_short_account(store_code: str, currency: str) -> LedgerAccount:
    """Expense: what a store's counted cash came to less (debit) or more (credit) than the ledger expected."""
    return ensure_account(
        _code("cash-over-short", store_code, currency),
        currency,
        Kind.EXPENSE,
        name=f"Cash over/short {store_code}",
    )


def web_revenue_account(market: str, currency: str) -> LedgerAccount:
    return ensure_account(
        _code("revenue", "web", market, currency), currency, Kind.REVENUE, name=f"Web {market}"
    )


def insurance_premium_income_account(market: str, currency: str) -> LedgerAccount:
    """Revenue: device protection premiums sold in a market."""
    return ensure_account(
        _code("insurance", "premiums", market, currency), currency, Kind.REVENUE, name=f"Premiums {market}"
    )


def insurance_claims_expense_account(market: str, currency: str) -> LedgerAccount:
    """Expense: claims approved in a market (booked when approved, before the money leaves)."""
    return ensure_account(
        _code("insurance", "claims-expense", market, currency),
        currency,
        Kind.EXPENSE,
        name=f"Claims {market}",
    )


def insurance_claims_reserve_account(market: str, currency: str) -> LedgerAccount:
    """Liability: approved claims not yet paid out; cannot pay out more than was approved."""
    return ensure_account(
        _code("insurance", "claims-reserve", market, currency),
        currency,
        Kind.LIABILITY,
        name=f"Claims reserve {market}",
        debits_must_not_exceed_credits=True,
    )


def tax_payable_account(market: str, tax_component: str, currency: str) -> LedgerAccount:
    """Liability: tax collected for the authority, one account per component (CGST, SGST, VAT...)."""
    return ensure_account(
        _code("tax", market, tax_component, currency),
        currency,
        Kind.LIABILITY,
        name=f"{tax_component} {market}",
    )


def lending_principal_account(loan_number: str, currency: str) -> LedgerAccount:
    """Asset: the principal one loan's customer still owes; the limit refuses any overpayment."""
    return ensure_account(
        _code("lending", "principal", loan_number, currency),
        currency,
        Kind.ASSET,
        name=f"Loan {loan_number} principal",
        credits_must_not_exceed_debits=True,
    )


def lending_fees_account(loan_number: str, currency: str) -> LedgerAccount:
    """Asset: late fees one loan's customer owes; cannot be paid beyond what was charged."""
    return ensure_account(
        _code("lending", "fees", loan_number, currency),
        currency,
        Kind.ASSET,
        name=f"Loan {loan_number} fees",
        credits_must_not_exceed_debits=True,
    )


def lending_collections_account(currency: str) -> LedgerAccount:
    """Liability: repayments taken through payments, before lending applies them to a loan."""
    return ensure_account(_code("lending", "collections", currency), currency, Kind.LIABILITY)


def lending_interest_income_account(currency: str) -> LedgerAccount:
    return ensure_account(
        _code("lending", "interest", currency), currency, Kind.REVENUE, name="Interest income"
    )


def lending_fee_income_account(currency: str) -> LedgerAccount:
    return ensure_account(_code("lending", "fee-income", currency), currency, Kind.REVENUE, name="Late fees")


def lending_charge_off_account(currency: str) -> LedgerAccount:
    """Expense: principal and fees written off as lost."""
    return ensure_account(
        _code("lending", "charge-offs", currency), currency, Kind.EXPENSE, name="Loan charge-offs"
    )
