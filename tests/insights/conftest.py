"""Two markets, three stores, revenue on the ledger, and a person in each role that may (or may not)
see the figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from millet.accounts.actor import EXECUTIVE_GROUP, SYSTEM, actor_for_user
from millet.accounts.services import add_to_group
from millet.finance.services import TransferSpec, create_transfers, ensure_account
from millet.insights.services import set_rate
from millet.stores.models import StaffMember
from tests.stores.conftest import create_markets, create_store


def book(account: str, minor: int, currency: str, booked_on: date | None = None) -> None:
    """A sale (positive) or a refund (negative) on a revenue account, as ``book_sale`` posts it;
    ``booked_on`` back-dates it, as a store's daily takings are."""
    funds = f"customer-funds:{currency}"
    ensure_account(funds, currency, "liability")
    ensure_account(account, currency, "revenue")
    debit, credit = (funds, account) if minor > 0 else (account, funds)
    create_transfers(
        [
            TransferSpec(
                debit=debit,
                credit=credit,
                amount=abs(minor),
                currency=currency,
                code="revenue",
                booked_on=booked_on,
            )
        ]
    )


@pytest.fixture
def company(db):
    create_markets()
    from millet.regions.models import Currency

    Currency.objects.create(code="USD", name="US dollar", exponent=2, symbol="$")
    create_store("SH-001", opened_on=date(2016, 1, 1))
    create_store("BJ-001", opened_on=date(2016, 6, 1))
    create_store("MU-001", market="IN", city="Mumbai", opened_on=date(2016, 3, 1))
    set_rate(actor=SYSTEM, currency="INR", valid_from=date(2016, 1, 1), rate=Decimal("0.1"))
    set_rate(actor=SYSTEM, currency="USD", valid_from=date(2016, 1, 1), rate=Decimal("6.9"))
    return book


@pytest.fixture
def people(company):
    users = get_user_model().objects
    executive = users.create_user("lei", password="pw-lei-12345")
    add_to_group(executive.pk, EXECUTIVE_GROUP)
    manager = users.create_user("mgr", password="pw-mgr-12345")
    cashier = users.create_user("till", password="pw-till-12345")
    customer = users.create_user("shopper", password="pw-shop-12345")
    from millet.stores.models import Store

    StaffMember.objects.create(store=Store.objects.get(code="SH-001"), user=manager, role="manager")
    StaffMember.objects.create(store=Store.objects.get(code="SH-001"), user=cashier, role="cashier")
    return {
        name: (user, actor_for_user(user))
        for name, user in (
            ("executive", executive),
            ("manager", manager),
            ("cashier", cashier),
            ("customer", customer),
        )
    }
