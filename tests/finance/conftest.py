"""Finance fixtures: currencies, a few ledger accounts, and staff / customer API tokens."""

from __future__ import annotations

import pytest

from millet.accounts.services import create_customer, issue_token
from millet.finance.models import LedgerAccount, LedgerTransfer, Payment
from millet.finance.services import ensure_account
from millet.regions.models import Currency


@pytest.fixture(autouse=True)
def currencies(db):
    for code, name in (("CNY", "Renminbi"), ("INR", "Indian rupee"), ("EUR", "Euro")):
        Currency.objects.get_or_create(code=code, defaults={"name": name, "exponent": 2})


@pytest.fixture
def accounts(currencies):
    """cash (asset), sales (revenue), wallet (liability that cannot go negative), a EUR asset."""
    Kind = LedgerAccount.Kind
    return {
        "cash": ensure_account("cash:CNY", "CNY", Kind.ASSET),
        "sales": ensure_account("sales:CNY", "CNY", Kind.REVENUE),
        "wallet": ensure_account("wallet:CNY", "CNY", Kind.LIABILITY, debits_must_not_exceed_credits=True),
        "eur": ensure_account("cash:EUR", "EUR", Kind.ASSET),
    }


@pytest.fixture
def staff_token(db) -> str:
    user = create_customer("finance-staff")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return issue_token(user)


@pytest.fixture
def customer_token(db) -> str:
    return issue_token(create_customer("finance-customer"))


@pytest.fixture
def snapshot():
    """Everything the ledger and payments hold, to assert that a refused request changed nothing."""

    def take() -> tuple:
        return (
            list(LedgerAccount.objects.order_by("id").values()),
            list(LedgerTransfer.objects.order_by("id").values_list("id", flat=True)),
            list(Payment.objects.order_by("id").values()),
        )

    return take
