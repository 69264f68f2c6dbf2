"""A shopper's return of an order paid by instant credit: requested, approved and received through
sales' return requests, the refund pays the loan down, and the order page says so."""

from __future__ import annotations

from django.test import Client

from millet.accounts.actor import actor_for_user
from millet.finance.services import total_balance_check
from millet.sales import services as sales
from tests.finance.lending.conftest import DAY0, apply, placed_order


def test_a_returned_unit_bought_on_credit_is_refunded_to_the_loan(credit):
    order = placed_order(credit, quantity=2)
    loan = apply(credit, order, on=DAY0).loan
    alice, staff = actor_for_user(credit.users["alice"]), actor_for_user(credit.users["staff"])
    sales.fulfil_order(staff, order.number, carrier="SF Express", tracking_number="SF1")
    line = sales.get_order(alice, order.number).lines.get()
    request = sales.request_return(
        alice, order.number, lines=[sales.ReturnRequest(line.pk, 1)], reason="damaged"
    )
    sales.decide_return(staff, request.pk, approve=True)
    serial = sales.sold_units(staff, order.number)[0].serial
    sales.receive_return(staff, request.pk, warehouse_code="WH-CN-SH", serials={line.pk: [serial]})

    [payment] = sales.order_payments(alice, order.number)
    assert payment.method == "loan" and payment.refunded == line.total / 2
    before = loan.outstanding_principal_minor
    loan.refresh_from_db()
    assert loan.outstanding_principal_minor == before - int(line.total / 2 * 100)
    assert total_balance_check() == 0
    client = Client()
    client.force_login(credit.users["alice"])
    client.cookies["django_language"] = "en"
    html = client.get(f"/orders/{order.number}/").content.decode()
    assert "Instant credit (loan)" in html
    assert "2,499.00 to your loan." in html
    assert "what you owe went down by that much" in html
