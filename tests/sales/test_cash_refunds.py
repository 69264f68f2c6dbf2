"""Cash given back for a till's cash sale: the notes leave the drawer of the store that takes the
units back (which need not be the selling store), so that store's Z close adds up and the selling
store's drawer keeps its cash. Like a cash sale, a cash refund needs that store's till day open and
not closed; a warehouse has no drawer and refuses it. Card refunds are not tied to a till day."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from millet.accounts.actor import actor_for_user
from millet.core.errors import Conflict
from millet.finance import services as finance
from millet.finance.models import LedgerTransfer
from millet.sales import services
from millet.sales.models import Order
from tests.concurrency import behind_open_transaction
from tests.sales.test_after_sale import timeline
from tests.sales.test_till_day import cash_sale, cashier, drawer
from tests.sales.test_till_scans import everything, shelf

pytestmark = pytest.mark.django_db

BJ_DRAWER = "cash:till:BJ-001:CNY"


def sh_cash_sale(world, buyer: str | None = None) -> tuple[Order, str]:
    """A phone sold for cash at Shanghai's till (opened for it), to ``buyer`` if named."""
    services.open_till_day(cashier(world), "SH-001")
    phone = shelf(world, "MI6-64")[0]
    if buyer is None:
        return cash_sale(world, phone), phone
    customer_id = world.users[buyer].pk
    sale = services.pos_sale(
        cashier(world),
        store_code="SH-001",
        serials=[phone],
        cash_tendered=Decimal("5000"),
        customer_id=customer_id,
    )
    return sale, phone


def test_a_cash_sale_returned_at_another_store_is_paid_out_of_that_stores_drawer(world):
    """The reported fault: the refund left Shanghai's drawer on the ledger while Beijing's cashier
    handed the notes over, so Beijing's close booked a phantom shortfall of the refund."""
    sale, phone = sh_cash_sale(world)
    bj = cashier(world, "cashier_bj")
    services.open_till_day(bj, "BJ-001")
    takings = services.pos_sale(
        bj, store_code="BJ-001", serials=shelf(world, "MI6-64", "BJ-001"), cash_tendered=Decimal("9000")
    )
    returned = services.return_at_till(bj, "BJ-001", sale.number, serials=[phone])
    assert returned.refund_amount == sale.total
    assert drawer() == sale.total  # Shanghai still holds the cash it took
    assert drawer(BJ_DRAWER) == takings.total - sale.total
    # A card sale returned at Beijing the same day: a refund of the day, but none of the drawer's.
    card_phone = shelf(world, "MI6-64")[0]
    card = services.pos_sale(
        cashier(world), store_code="SH-001", serials=[card_phone], payment_token="tok_ok"
    )
    services.return_at_till(bj, "BJ-001", card.number, serials=[card_phone])
    report = services.z_report(bj, "BJ-001")
    assert (report.cash_sales, report.refunds, report.cash_refunds) == (
        takings.total,
        sale.total + card.total,
        sale.total,
    )
    assert report.expected_cash == report.cash_sales - report.cash_refunds
    page = Client()
    page.force_login(world.users["cashier_bj"])
    page.cookies["django_language"] = "en"
    html = page.get("/till/BJ-001/close/").content.decode()
    assert "<dt>Refunded in cash</dt><dd>CN¥2,499.00</dd>" in html, html
    day = services.close_till_day(bj, "BJ-001", counted_cash=takings.total - sale.total)
    assert day.difference == Decimal("0.00"), (day.expected_cash, day.counted_cash)
    assert not LedgerTransfer.objects.filter(code="cash_over_short").exists()
    assert finance.total_balance_check() == 0


def test_a_cash_refund_needs_the_returning_stores_day_open_and_not_closed(world):
    sale, phone = sh_cash_sale(world)
    bj = cashier(world, "cashier_bj")
    before = everything()
    with pytest.raises(Conflict) as not_open:
        services.return_at_till(bj, "BJ-001", sale.number, serials=[phone])
    assert not_open.value.code == "till_not_open"
    assert everything() == before
    services.open_till_day(bj, "BJ-001")
    services.close_till_day(bj, "BJ-001", counted_cash=Decimal("0"))
    before = everything()
    with pytest.raises(Conflict) as closed:
        services.return_at_till(bj, "BJ-001", sale.number, serials=[phone])
    assert closed.value.code == "till_day_closed"
    till = Client()
    till.force_login(world.users["cashier_bj"])
    till.cookies["django_language"] = "en"
    refused = till.post("/till/BJ-001/return/", {"number": sale.number, "serials": phone})
    assert refused.status_code == 409  # the cashier is told refunds stop too, not only sales
    assert "this till takes no more sales or cash refunds today." in refused.content.decode()
    assert everything() == before
    assert drawer(BJ_DRAWER) == 0 and drawer() == sale.total
    # A card refund goes back to the card, whatever the till's day: no drawer is touched.
    card_phone = shelf(world, "MI6-64")[0]
    card = services.pos_sale(
        cashier(world), store_code="SH-001", serials=[card_phone], payment_token="tok_ok"
    )
    refunded = services.return_at_till(bj, "BJ-001", card.number, serials=[card_phone])
    assert refunded.refund_amount == card.total
    assert drawer(BJ_DRAWER) == 0 and drawer() == sale.total


def test_a_cash_order_returned_at_a_warehouse_is_refused(world):
    """A warehouse has no drawer to pay notes out of: the buyer brings the units to a store."""
    sale, phone = sh_cash_sale(world)
    line = sale.lines.get()
    before = everything()
    with pytest.raises(Conflict) as refused:
        services.return_order(
            actor_for_user(world.users["staff"]),
            sale.number,
            lines=[services.ReturnRequest(line.pk, 1, (phone,))],
            warehouse_code="WH-CN-SH",
        )
    assert refused.value.code == "cash_refund_needs_till"
    response = world.client("staff").post(
        f"/sales/orders/{sale.number}/returns",
        {"warehouse_code": "WH-CN-SH", "lines": [{"line_id": line.pk, "quantity": 1, "serials": [phone]}]},
    )
    assert (response.status_code, response.json()["error"]) == (409, "cash_refund_needs_till")
    assert everything() == before
    assert drawer() == sale.total


def test_a_unit_scanned_again_after_its_return_is_refused_as_return_order_refuses_it(world):
    """A second click on the till's return was told the unit was not on the order (422
    ``serial_not_on_order``); the till now answers as ``return_order`` does: the unit is back
    already, or the whole order is."""
    services.open_till_day(cashier(world), "SH-001")
    phones = shelf(world, "MI6-64")[:2]
    sale = services.pos_sale(
        cashier(world), store_code="SH-001", serials=phones, cash_tendered=Decimal("9000")
    )
    services.return_at_till(cashier(world), "SH-001", sale.number, serials=phones[:1])
    before = everything()
    with pytest.raises(Conflict) as again:
        services.return_at_till(cashier(world), "SH-001", sale.number, serials=phones[:1])
    assert again.value.code == "serial_already_returned"
    assert everything() == before
    services.return_at_till(cashier(world), "SH-001", sale.number, serials=phones[1:])
    before = everything()
    with pytest.raises(Conflict) as whole:
        services.return_at_till(cashier(world), "SH-001", sale.number, serials=phones[1:])
    assert whole.value.code == "already_returned"
    assert everything() == before


def test_a_cash_refund_at_a_store_of_another_currency_is_refused(world):
    """A rupee drawer cannot pay back yuan: the ledger refused the transfer as a bare 422
    ``currency_mismatch``; the refusal now says what is wrong, and nothing moves."""
    sale, phone = sh_cash_sale(world)
    staff = actor_for_user(world.users["staff"])
    services.open_till_day(staff, "BLR-001")
    before = everything()
    with pytest.raises(Conflict) as refused:
        services.return_at_till(staff, "BLR-001", sale.number, serials=[phone])
    assert refused.value.code == "cash_refund_other_currency"
    assert everything() == before
    assert drawer("cash:till:BLR-001:INR") == 0 and drawer() == sale.total


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_a_cash_refund_taken_while_the_till_closes_waits_for_the_close_and_is_refused(
    world, require_postgres
):
    """As a cash sale does: the refund share-locks the day, so it waits on the close holding the
    day's row and then finds the day closed, instead of paying out of a drawer already counted."""
    sale, phone = sh_cash_sale(world)
    bj = cashier(world, "cashier_bj")
    services.open_till_day(bj, "BJ-001")
    closed, refund = behind_open_transaction(
        lambda: services.close_till_day(bj, "BJ-001", counted_cash=Decimal("0")),
        lambda: services.return_at_till(bj, "BJ-001", sale.number, serials=[phone]),
    )
    assert closed.counted_cash == 0, closed
    assert isinstance(refund, Conflict) and refund.code == "till_day_closed", refund
    assert drawer(BJ_DRAWER) == 0 and drawer() == sale.total


def test_the_buyers_order_page_says_a_cash_sale_was_paid_and_refunded_in_cash(world, client):
    """A till sale to a known customer in cash: the order page named the payment "Card" and said its
    refund went "to your card", though the notes were handed over at a till."""
    sale, phone = sh_cash_sale(world, buyer="alice")
    services.return_at_till(cashier(world), "SH-001", sale.number, serials=[phone])
    alice = actor_for_user(world.users["alice"])
    assert [p.method for p in services.order_payments(alice, sale.number)] == ["cash"]
    client.force_login(world.users["alice"])
    client.cookies["django_language"] = "en"  # China's pages open in Chinese; this test reads English
    html = client.get(f"/orders/{sale.number}/").content.decode()
    assert "<dt>Cash</dt>" in html
    assert "2,499.00 refunded in cash" in html
    assert timeline(html)[-1] == ("current", "Returned, refunded", "1 unit · in cash")  # not "Collected"
    assert "card" not in html.lower().replace('class="card"', "")


def test_a_return_request_of_a_cash_sale_asks_for_the_units_at_a_store_and_is_refunded_there(world, client):
    """Cash is paid back at a store's till, never by post: the buyer's return page says to bring the
    units to a store (it said to send them), and staff receiving them at a store refund the cash."""
    sale, phone = sh_cash_sale(world, buyer="alice")
    client.force_login(world.users["alice"])
    client.cookies["django_language"] = "en"
    html = client.get(f"/orders/{sale.number}/return/").content.decode()
    assert "bring the items to one of our stores" in html and "send the items" not in html
    alice, staff = (actor_for_user(world.users[name]) for name in ("alice", "staff"))
    line = sale.lines.get()
    asked = services.request_return(
        alice, sale.number, lines=[services.ReturnRequest(line.pk, 1)], reason="changed_mind"
    )
    services.decide_return(staff, asked.pk, approve=True)
    received = services.receive_return(staff, asked.pk, store_code="SH-001", serials={line.pk: [phone]})
    assert received.received.refund_amount == sale.total
    assert drawer() == 0  # paid out of the store's drawer that took the cash
