"""A till's day: cash goes to the store's own drawer on the ledger, the Z report sets the counted
cash against the cash the ledger expects and books the difference as over/short, and a closed day
takes no more sales. The till's pages refuse another store's cashier (404) and non-store staff (403)."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.test import Client

from millet.accounts.actor import actor_for_user
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.finance import services as finance
from millet.finance.models import LedgerTransfer
from millet.sales import services
from millet.sales.models import Order
from tests.sales.test_till_scans import everything, shelf

pytestmark = pytest.mark.django_db

DRAWER = "cash:till:SH-001:CNY"
OVER_SHORT = "cash-over-short:SH-001:CNY"


def cashier(world, name: str = "cashier_sh"):
    return actor_for_user(world.users[name])


def drawer(code: str = DRAWER) -> Decimal:
    """What the ledger says the till's drawer holds (Shanghai's unless another is named)."""
    found = finance.balances([code]).get(code)
    return Decimal(found.debits_posted - found.credits_posted) / 100 if found else Decimal(0)


def till_with_a_phone(world, *, open_day: bool = True) -> Client:
    """Shanghai's cashier at the till (in English), a phone scanned into the sale, the day opened."""
    if open_day:
        services.open_till_day(cashier(world), "SH-001")
    client = Client()
    client.force_login(world.users["cashier_sh"])
    client.cookies["django_language"] = "en"
    client.post("/till/SH-001/", {"scan": shelf(world, "MI6-64")[0]})
    return client


def pay(client: Client, store: str = "SH-001", **fields: str):
    """Take payment on the till page as a cashier does: sent with the total the page shows."""
    page = client.get(f"/till/{store}/").content.decode()
    shown = html.unescape(re.search(r'name="quote" value="([^"]*)"', page).group(1))
    return client.post(f"/till/{store}/", {"action": "pay", "quote": shown, **fields})


def cash_sale(world, serial: str, tendered: str = "5000") -> Order:
    return services.pos_sale(
        cashier(world), store_code="SH-001", serials=[serial], cash_tendered=Decimal(tendered)
    )


def test_a_day_of_cash_closes_short_with_the_difference_booked(world):
    actor = cashier(world)
    services.open_till_day(actor, "SH-001")
    phones = shelf(world, "MI6-64")[:2]
    first = cash_sale(world, phones[0])
    assert first.cash_tendered == Decimal("5000") and first.total < Decimal("5000")
    assert drawer() == first.total
    card = services.pos_sale(actor, store_code="SH-001", serials=[phones[1]], payment_token="tok_ok")
    assert drawer() == first.total  # card money never reaches the drawer
    returned = services.return_at_till(actor, "SH-001", first.number, serials=[phones[0]])
    assert returned.refund_amount == first.total
    assert drawer() == 0  # the cash refund left from the drawer
    cable = services.pos_sale(
        actor, store_code="SH-001", lines=[services.LineRequest("CABLE-C", 2)], cash_tendered=Decimal("100")
    )
    report = services.z_report(actor, "SH-001")
    assert (report.sales, report.sales_total) == (3, first.total + card.total + cable.total)
    assert report.cash_sales == first.total + cable.total
    assert report.expected_cash == cable.total and report.refunds == first.total

    counted = cable.total - Decimal("1.50")
    day = services.close_till_day(actor, "SH-001", counted_cash=counted)
    assert (day.expected_cash, day.counted_cash, day.difference) == (cable.total, counted, Decimal("-1.50"))
    assert drawer() == counted
    booked = LedgerTransfer.objects.get(code="cash_over_short")
    assert (booked.debit_account.code, booked.credit_account.code, booked.amount) == (OVER_SHORT, DRAWER, 150)
    assert finance.total_balance_check() == 0
    assert services.z_report(actor, "SH-001").difference == Decimal("-1.50")


def test_a_count_over_the_ledger_is_booked_the_other_way(world):
    actor = cashier(world)
    services.open_till_day(actor, "SH-001")
    sale = cash_sale(world, shelf(world, "MI6-64")[0])
    services.close_till_day(actor, "SH-001", counted_cash=sale.total + Decimal("2"))
    booked = LedgerTransfer.objects.get(code="cash_over_short")
    assert (booked.debit_account.code, booked.credit_account.code, booked.amount) == (DRAWER, OVER_SHORT, 200)
    assert drawer() == sale.total + 2
    assert finance.total_balance_check() == 0


def test_a_closed_day_takes_no_more_sales_and_is_not_reopened(world):
    actor = cashier(world)
    services.open_till_day(actor, "SH-001")
    services.close_till_day(actor, "SH-001", counted_cash=Decimal("0"))
    before = everything()
    phone = shelf(world, "MI6-64")[0]
    for pay in ({"payment_token": "tok_ok"}, {"cash_tendered": Decimal("9999")}):
        with pytest.raises(Conflict) as refused:
            services.pos_sale(actor, store_code="SH-001", serials=[phone], **pay)
        assert refused.value.code == "till_day_closed"
    with pytest.raises(Conflict, match="closed") as again:
        services.close_till_day(actor, "SH-001", counted_cash=Decimal("0"))
    assert again.value.code == "till_day_closed"
    with pytest.raises(Conflict) as reopen:
        services.open_till_day(actor, "SH-001")
    assert reopen.value.code == "till_day_closed"
    till = Client()
    till.force_login(world.users["cashier_sh"])
    till.cookies["django_language"] = "en"
    refused = till.post("/till/SH-001/", {"action": "open"})  # the till again, not a redirect
    assert refused.status_code == 409
    assert "this till takes no more sales or cash refunds today." in refused.content.decode()
    assert everything() == before


def test_cash_needs_an_open_day_and_enough_of_it(world):
    actor = cashier(world)
    phone = shelf(world, "MI6-64")[0]
    before = everything()
    with pytest.raises(Conflict) as not_open:
        cash_sale(world, phone)
    assert not_open.value.code == "till_not_open"
    with pytest.raises(Conflict) as never_opened:
        services.close_till_day(actor, "SH-001", counted_cash=Decimal("0"))
    assert never_opened.value.code == "till_not_open"
    services.open_till_day(actor, "SH-001")
    with pytest.raises(Unprocessable) as short:
        cash_sale(world, phone, tendered="1")
    assert short.value.code == "cash_short"
    with pytest.raises(Unprocessable) as negative:
        services.close_till_day(actor, "SH-001", counted_cash=Decimal("-1"))
    assert negative.value.code == "malformed_money"
    assert everything()[:4] == before[:4]


def test_a_scan_is_refused_on_the_spot_by_what_it_is(world):
    actor = cashier(world)
    phone = shelf(world, "MI6-64")[0]
    assert services.till_scan(actor, "SH-001", phone).serial == phone
    assert services.till_scan(actor, "SH-001", "CABLE-C").serial == ""
    elsewhere = shelf(world, "MI6-64", "BJ-001")[0]
    for code, error in (
        (elsewhere, "serial_at_another_location"),
        ("MI6-64", "serial_required"),
        ("NO-SUCH", "unknown_serial"),
    ):
        with pytest.raises((Conflict, Unprocessable, NotFound)) as refused:
            services.till_scan(actor, "SH-001", code)
        assert refused.value.code == error
    with pytest.raises(Unprocessable) as twice:
        services.till_scan(actor, "SH-001", phone, scanned=[phone])
    assert twice.value.code == "duplicate_serial"


def test_a_pickup_is_handed_over_only_with_its_code(world):
    from tests.sales.test_till_scans import collect_order_at_sh

    number = collect_order_at_sh(world)
    code = Order.objects.get(number=number).pickup_code
    camera = shelf(world, "CAM-C300")[0]
    before = everything()
    with pytest.raises(Unprocessable) as wrong:
        services.hand_over(cashier(world), number, pickup_code="000000" if code != "000000" else "111111")
    assert wrong.value.code == "wrong_pickup_code"
    with pytest.raises(NotFound):  # another store's cashier does not even find the order
        services.hand_over(cashier(world, "cashier_bj"), number, pickup_code=code, serials=[camera])
    assert everything() == before
    order = services.hand_over(cashier(world), number, pickup_code=code, serials=[camera])
    assert order.status == Order.Status.FULFILLED


def test_a_pickup_handed_over_twice_is_told_it_was_handed_over(world):
    """A second click on "Hand over" was told "This order is not waiting for pickup.", the words
    for an unpaid or cancelled order; it now says the order has been handed over."""
    from tests.sales.test_till_scans import collect_order_at_sh

    number = collect_order_at_sh(world)
    code = Order.objects.get(number=number).pickup_code
    camera = shelf(world, "CAM-C300")[0]
    till = Client()
    till.force_login(world.users["cashier_sh"])
    till.cookies["django_language"] = "en"
    form = {"number": number, "pickup_code": code, "serials": camera}
    assert till.post("/till/SH-001/pickup/", form).status_code == 302
    before = everything()
    again = till.post("/till/SH-001/pickup/", form)
    assert again.status_code == 409
    assert "This order has already been handed over." in again.content.decode()
    assert everything() == before


def test_another_stores_till_is_not_found_and_shoppers_are_forbidden(world):
    with pytest.raises(NotFound):
        services.open_till_day(cashier(world, "cashier_bj"), "SH-001")
    bj = Client()
    bj.force_login(world.users["cashier_bj"])
    assert bj.get("/till/SH-001/").status_code == 404
    assert bj.post("/till/SH-001/", {"action": "open"}).status_code == 404
    assert bj.get("/till/BJ-001/").status_code == 200
    assert bj.get("/till/").status_code == 302
    shopper = Client()
    shopper.force_login(world.users["alice"])
    assert shopper.get("/till/").status_code == 403
    assert shopper.get("/till/SH-001/").status_code == 403


@pytest.mark.parametrize(
    "garbage", ["1e5", "-5", "NaN", "Infinity", "12.345", " ", "5,000", "\u00b2", "十二"]
)
def test_the_till_page_refuses_cash_that_is_not_plain_digits(world, garbage):
    client = till_with_a_phone(world)
    before = everything()
    response = client.post("/till/SH-001/", {"action": "pay", "method": "cash", "cash_tendered": garbage})
    assert response.status_code == 422, garbage
    assert everything() == before
    # Said once: cash typed wrong also read "Type the cash handed over." below it, as if none was typed.
    page = response.content.decode()
    typed, missing = "Type the amount in digits", "Type the cash handed over."
    assert (typed in page, missing in page) == ((True, False) if garbage.strip() else (False, True))
    close = client.post("/till/SH-001/close/", {"counted_cash": garbage})
    assert close.status_code == 422 and services.till_day(cashier(world), "SH-001").closed_at is None


@pytest.mark.parametrize("typed", ["५०००", "５０００", "５０００．００"])
def test_the_till_reads_cash_typed_in_any_script_s_digits(world, typed):
    """Cash typed as "५०००" (a Hindi keyboard) or "５０００" (a Chinese IME's full width) was refused,
    "Type the amount in digits", while the automation editor read "१२" as 12: one rule now, every
    script's digits are digits (``core.typed_numbers``), and the sale and the day's count are made."""
    client = till_with_a_phone(world)
    paid = pay(client, method="cash", cash_tendered=typed)
    assert paid.status_code == 302, paid.content.decode()
    assert Order.objects.get(channel="pos").cash_tendered == Decimal("5000")
    client.post("/till/SH-001/close/", {"counted_cash": typed})
    assert services.till_day(cashier(world), "SH-001").counted_cash == Decimal("5000")


def test_a_pickup_code_typed_in_devanagari_digits_is_the_code():
    from millet.sales.till_forms import PickupForm

    form = PickupForm({"number": "CN1", "pickup_code": "०१२३४५"})
    assert form.is_valid() and form.cleaned_data["pickup_code"] == "012345"


def test_a_card_token_refused_as_typed_is_not_also_called_missing(world):
    client = till_with_a_phone(world)
    response = client.post("/till/SH-001/", {"action": "pay", "method": "card", "card_token": "t" * 65})
    page = response.content.decode()
    assert response.status_code == 422 and "at most 64 characters" in page
    assert "Give the card terminal" not in page


def test_the_till_pages_answer_a_refusal_with_its_own_status(world):
    """A form's bad input is 422; what the day's state refuses is the service's 409 and a declined
    card its 402, on the page as in the API; nothing is sold or booked either way."""
    client = till_with_a_phone(world, open_day=False)
    before = everything()
    sale = {"action": "pay", "method": "cash", "cash_tendered": "5000", "quote": '{"total": "2499.00"}'}
    not_open = client.post("/till/SH-001/", sale)  # sent from a page of before the day closed
    assert not_open.status_code == 409
    services.open_till_day(cashier(world), "SH-001")
    declined = pay(client, method="card", card_token="tok_declined")
    assert declined.status_code == 402
    unknown = client.post("/till/SH-001/", {"scan": "NO-SUCH-SERIAL"})
    assert unknown.status_code == 422  # a scan that names nothing: bad input, not a missing page
    assert everything() == before
    services.close_till_day(cashier(world), "SH-001", counted_cash=Decimal("0"))
    closed = client.post("/till/SH-001/close/", {"counted_cash": "0"})
    assert closed.status_code == 409 and "The day is closed" in closed.content.decode()


def test_a_till_sale_is_charged_at_the_total_the_till_showed(world):
    """A price edited between the till showing the total and the cashier taking payment: the sale
    was charged at the new price without a word. Now 409, nothing sold or charged, and the till
    shows the new total; payment taken again charges that."""
    from millet.accounts.actor import SYSTEM
    from millet.catalog import services as catalog

    client = till_with_a_phone(world)
    shown = client.get("/till/SH-001/").content.decode()
    assert "2,499.00" in shown
    catalog.set_price("CN", "MI6-64", Decimal("2599.00"), actor=SYSTEM)
    before = everything()
    quote = re.search(r'name="quote" value="([^"]*)"', shown).group(1)
    stale = client.post(
        "/till/SH-001/",
        {"action": "pay", "method": "card", "card_token": "tok_ok", "quote": html.unescape(quote)},
    )
    page = stale.content.decode()
    assert stale.status_code == 409 and everything() == before
    assert "The prices changed since the total was shown" in page and "2,599.00" in page
    assert pay(client, method="card", card_token="tok_ok").status_code == 302
    assert Order.objects.get(channel="pos").total == Decimal("2599.00")


@pytest.mark.parametrize("quote", [None, "", "{", '{"total": "-1"}', '{"total": "NaN"}', '{"goods": "1"}'])
def test_a_till_payment_without_the_total_shown_charges_nothing(world, quote):
    client = till_with_a_phone(world)
    before = everything()
    sent = {"action": "pay", "method": "cash", "cash_tendered": "5000"} | (
        {} if quote is None else {"quote": quote}
    )
    response = client.post("/till/SH-001/", sent)
    assert response.status_code == 409 and everything() == before
    assert "Check the total with the customer" in response.content.decode()


def test_a_unit_sold_meanwhile_is_named_at_payment_though_the_till_showed_no_total(world):
    """A unit in the basket sold elsewhere leaves the till without a total to show; taking payment
    says why, as before the till sent its total, not only "check the total"."""
    client = till_with_a_phone(world)
    cash_sale(world, shelf(world, "MI6-64")[0])  # the same unit, sold through the service meanwhile
    before = everything()
    response = pay(client, method="card", card_token="tok_ok")
    assert response.status_code == 409 and everything() == before
    assert "This unit has already been sold." in response.content.decode()


def test_a_voucher_typed_at_payment_shows_its_total_before_anything_is_charged(world):
    """The voucher was typed with the payment and the card charged at a total the till never
    showed. Now the voucher is applied and shown first; payment taken again charges that total."""
    client = till_with_a_phone(world)
    before = everything()
    refused = pay(client, method="card", card_token="tok_ok", voucher="NO-SUCH")
    assert refused.status_code == 422 and "No voucher has this code." in refused.content.decode()
    applied = pay(client, method="card", card_token="tok_ok", voucher="WELCOME10")
    page = applied.content.decode()
    assert applied.status_code == 409 and everything() == before
    assert "The voucher is applied" in page and "WELCOME10" in page and "2,249.10" in page
    paid = pay(client, method="card", card_token="tok_ok", voucher="WELCOME10")
    assert paid.status_code == 302, paid.content.decode()
    sale = Order.objects.get(channel="pos")
    assert (sale.total, sale.voucher.code) == (Decimal("2249.10"), "WELCOME10")
    assert "WELCOME10" not in client.get("/till/SH-001/").content.decode()  # the next sale starts without


@pytest.mark.parametrize("line", ["units:\u00b2", "plain:\u2460", "units:" + "9" * 5000])
def test_removing_a_basket_line_that_is_not_plain_digits_removes_nothing(world, line):
    """``str.isdigit`` passed "²" and "①", which ``int`` refuses, and 5,000 digits, past ``int``'s
    conversion limit: each a 500 on the till. Now the basket as it was."""
    client = till_with_a_phone(world)
    removed = client.post("/till/SH-001/", {"action": "remove", "line": line})
    assert removed.status_code == 302
    assert shelf(world, "MI6-64")[0] in client.get("/till/SH-001/").content.decode()
