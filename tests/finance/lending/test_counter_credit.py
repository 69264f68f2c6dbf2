"""Instant credit at the till: a sale for a known customer is held unpaid, its scanned units held at
the store; the cashier fills the credit form with the customer present. Approved, the loan (the
customer's) pays the order and the scanned units are handed over at once; declined, the sale
stays held and is paid by card or cash, or cancelled and its stock released. Only a cashier of
that store reaches the held sale."""

from __future__ import annotations

from decimal import Decimal

import pytest

from millet.accounts.actor import actor_for_user
from millet.core.errors import Conflict, NotFound
from millet.finance.services import total_balance_check
from millet.inventory.models import SerialUnit, Stock
from millet.lending import services as lending
from millet.lending.models import Loan
from millet.sales import services as sales
from tests.finance.lending.conftest import BAD_FORM, GOOD_FORM
from tests.sales.test_till_scans import shelf

pytestmark = pytest.mark.django_db


def cashier(world, name: str = "cashier_sh"):
    return actor_for_user(world.users[name])


def held(world, phone: str):
    return sales.hold_sale(
        cashier(world), store_code="SH-001", customer_id=world.users["alice"].pk, serials=[phone]
    )


def apply(world, order, form, who: str = "cashier_sh"):
    return lending.apply_for_credit_at_counter(
        cashier(world, who),
        store_code="SH-001",
        order_number=order.number,
        product_code="CN-EASY",
        term_months=6,
        form=form,
    )


def on_shelf(world) -> tuple[int, int]:
    row = Stock.objects.get(sku=world.skus["MI6-64"], location_id=world.locations["SH-001"])
    return row.quantity, row.reserved


def test_approved_credit_pays_the_held_sale_and_hands_the_scanned_unit_over(credit):
    world = credit
    phone = shelf(world, "MI6-64")[0]
    before = on_shelf(world)
    order = held(world, phone)
    assert order.status == "placed" and on_shelf(world) == (before[0], before[1] + 1)
    application = apply(world, order, GOOD_FORM)
    assert application.status == "approved" and application.customer_id == world.users["alice"].pk
    order = sales.get_order(cashier(world), order.number)
    assert order.status == "fulfilled"
    assert [u.serial for line in order.lines.all() for u in line.units.all()] == [phone]
    assert SerialUnit.objects.get(serial=phone).status == "sold"
    assert on_shelf(world) == (before[0] - 1, before[1])
    assert Loan.objects.get(order_number=order.number).customer_id == world.users["alice"].pk
    assert total_balance_check() == 0
    with pytest.raises((Conflict, NotFound)):  # a second send of the form makes no second loan
        apply(world, order, GOOD_FORM)
    assert Loan.objects.filter(order_number=order.number).count() == 1


def test_declined_credit_leaves_the_sale_held_to_pay_by_cash(credit):
    world = credit
    sales.open_till_day(cashier(world), "SH-001")
    order = held(world, shelf(world, "MI6-64")[0])
    assert apply(world, order, BAD_FORM).status == "declined"
    assert sales.get_order(cashier(world), order.number).status == "placed"
    paid = sales.settle_held_sale(cashier(world), "SH-001", order.number, cash_tendered=Decimal("3000"))
    assert paid.status == "fulfilled" and paid.cash_tendered == Decimal("3000")
    with pytest.raises(NotFound):  # sold: no longer a held sale
        sales.settle_held_sale(cashier(world), "SH-001", order.number, payment_token="tok_ok")
    assert total_balance_check() == 0


def test_declined_credit_then_cancel_releases_the_stock(credit):
    world = credit
    before = on_shelf(world)
    order = held(world, shelf(world, "MI6-64")[0])
    apply(world, order, BAD_FORM)
    sales.cancel_order(cashier(world), order.number)
    assert on_shelf(world) == before
    with pytest.raises(NotFound):
        apply(world, order, GOOD_FORM)


def test_another_stores_cashier_cannot_reach_the_held_sale(credit):
    world = credit
    order = held(world, shelf(world, "MI6-64")[0])
    with pytest.raises(NotFound):
        apply(world, order, GOOD_FORM, who="cashier_bj")
    with pytest.raises(NotFound):
        sales.settle_held_sale(cashier(world, "cashier_bj"), "SH-001", order.number, payment_token="tok_ok")
    assert not Loan.objects.exists()
