"""Instant credit at the till: a sale for a known customer is held unpaid, its scanned units held at
the store; the cashier fills the credit form with the customer present. Approved, the loan (the
customer's) pays the order and the scanned units are handed over at once; declined, the sale
stays held and is paid by card or cash, or cancelled and its stock released. Only a cashier of
that store reaches the held sale."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from millet.accounts.actor import RISK_OFFICER_GROUP, actor_for_user
from millet.accounts.services import add_to_group
from millet.core.errors import Conflict, NotFound
from millet.finance.services import total_balance_check
from millet.inventory.models import SerialUnit, Stock
from millet.lending import services as lending
from millet.lending.models import Loan
from millet.sales import services as sales
from tests.finance.lending.conftest import BAD_FORM, BORDERLINE_FORM, GOOD_FORM
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


def signed_in(world, user: str = "cashier_sh") -> Client:
    client = Client()
    client.force_login(world.users[user])
    return client


def ring_up_for_credit(world, client: Client, phone: str) -> str:
    """Scan a unit at the till and choose instant credit for alice: the counter page's address."""
    client.post("/till/SH-001/", {"scan": phone})
    response = client.post(
        "/till/SH-001/", {"action": "pay", "method": "credit", "customer": "alice", "voucher": ""}
    )
    assert response.status_code == 302, response.content.decode()
    assert response["Location"].startswith("/lending/counter/SH-001/")
    return response["Location"]


def answers(form: dict) -> dict:
    return {
        "action": "credit",
        "product": "CN-EASY",
        "term": "6",
        **{k: "" if v is None else str(v) for k, v in form.items()},
    }


def test_the_cashier_takes_instant_credit_at_the_till_pages(credit):
    world = credit
    client = signed_in(world)
    phone = shelf(world, "MI6-64")[0]
    counter = ring_up_for_credit(world, client, phone)
    page = client.get(counter)
    assert page.status_code == 200 and 'value="credit"' in page.content.decode()  # the form
    assert signed_in(world, "cashier_bj").get(counter).status_code == 404  # another store's
    assert signed_in(world, "alice").get(counter).status_code == 403  # not store staff
    approved = client.post(counter, answers(GOOD_FORM))
    assert approved.status_code == 302 and "/receipt/" in approved["Location"]
    assert phone in client.get(approved["Location"]).content.decode()
    again = client.post(counter, answers(GOOD_FORM))  # a double tap or back-and-send: the receipt
    assert again.status_code == 302 and "/receipt/" in again["Location"]
    assert Loan.objects.count() == 1


def test_a_declined_customer_pays_cash_at_the_counter_page_once(credit):
    world = credit
    client = signed_in(world)
    client.post("/till/SH-001/", {"action": "open"})
    counter = ring_up_for_credit(world, client, shelf(world, "MI6-64")[0])
    declined = client.post(counter, answers(BAD_FORM), follow=True)
    text = declined.content.decode()
    assert 'id="decision-heading"' in text and 'value="credit"' not in text  # decided, reasons shown
    for garbage in ("abc", "-5", "1e5", "NaN", "1.001"):
        refused = client.post(counter, {"action": "cash", "cash_tendered": garbage})
        assert refused.status_code == 422, garbage
    assert client.post(counter, {"action": "cash", "cash_tendered": "1"}).status_code == 422  # short
    paid = client.post(counter, {"action": "cash", "cash_tendered": "३०००"})  # digits of any script
    assert paid.status_code == 302 and "/receipt/" in paid["Location"]
    twice = client.post(counter, {"action": "cash", "cash_tendered": "3000"})
    assert twice.status_code == 302 and "/receipt/" in twice["Location"]
    assert sales.get_order(cashier(world), counter.rstrip("/").rsplit("/", 1)[1]).cash_tendered == Decimal(
        "3000"
    )


def test_credit_needs_a_known_customer_and_cancel_puts_the_unit_back(credit):
    world = credit
    client = signed_in(world)
    client.post("/till/SH-001/", {"scan": shelf(world, "MI6-64")[0]})
    walk_in = client.post("/till/SH-001/", {"action": "pay", "method": "credit", "customer": ""})
    assert walk_in.status_code == 422
    before = on_shelf(world)
    counter = ring_up_for_credit(world, client, shelf(world, "MI6-64")[1])
    cancelled = client.post(counter, {"action": "cancel"})
    assert cancelled.status_code == 302 and cancelled["Location"] == "/till/SH-001/"
    assert on_shelf(world) == before


def test_a_referred_sale_approved_later_is_handed_over_at_the_counter(credit):
    """A counter application the model referred, approved by a risk officer while the sale is still
    held: the loan has paid it, so the counter page says so and hands the scanned unit over; it
    neither reads "declined" nor offers card or cash for a sale the loan paid."""
    world = credit
    add_to_group(world.users["bob"].pk, RISK_OFFICER_GROUP)
    client = signed_in(world)
    phone = shelf(world, "MI6-64")[0]
    counter = ring_up_for_credit(world, client, phone)
    referred = client.post(counter, {**answers(BORDERLINE_FORM), "term": "12"})
    assert referred.status_code == 302
    (application,) = lending.applications_for_order(counter.rstrip("/").rsplit("/", 1)[1])
    assert application.status == "referred"
    lending.review_application(
        actor_for_user(world.users["bob"]), application.number, approve=True, reason="ok"
    )
    number = application.order_number
    assert sales.get_order(cashier(world), number).status == "paid"

    page = client.get(counter)
    text = page.content.decode()
    assert page.status_code == 200 and 'value="hand_over"' in text
    assert "alert--error" not in text and 'value="cash"' not in text and 'value="card"' not in text
    card = client.post(counter, {"action": "card", "card_token": "tok_ok"})  # the old page, sent again
    assert card.status_code == 302 and card["Location"] == counter
    assert sales.get_order(cashier(world), number).status == "paid"

    handed = client.post(counter, {"action": "hand_over"})
    assert handed.status_code == 302 and "/receipt/" in handed["Location"]
    assert sales.get_order(cashier(world), number).status == "fulfilled"
    assert SerialUnit.objects.get(serial=phone).status == "sold"
    again = client.post(counter, {"action": "hand_over"})  # a double tap: the receipt
    assert again.status_code == 302 and "/receipt/" in again["Location"]
    assert Loan.objects.get().status == "active" and total_balance_check() == 0


def test_cash_before_the_day_is_open_is_refused_on_the_counter_page_not_sent_to_a_receipt(credit):
    """A till refusing the sale (409 ``till_not_open``) is not a second send of a decided form: the
    page says to open the day and the sale stays held and unpaid, never redirected to a receipt."""
    world = credit
    client = signed_in(world)
    counter = ring_up_for_credit(world, client, shelf(world, "MI6-64")[0])
    client.post(counter, answers(BAD_FORM))
    refused = client.post(counter, {"action": "cash", "cash_tendered": "3000"})
    assert refused.status_code == 409, refused.get("Location")
    assert 'role="alert"' in refused.content.decode()
    number = counter.rstrip("/").rsplit("/", 1)[1]
    assert sales.get_order(cashier(world), number).status == "placed"
