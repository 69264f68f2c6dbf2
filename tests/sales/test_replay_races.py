"""A request sent twice at once (a double click at the till, a summary posted again) whose twin
commits between its first look and its writes: it answers as its twin did, and nothing is done
twice. Each race is made to happen every time: the first request is held after its first look until
its twin has committed (or is waiting on the first's locks, if a fix serialises them). The last test
races a cash sale against the till's close the same way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from millet.accounts.actor import actor_for_user
from millet.core.errors import DomainError
from millet.finance import services as finance
from millet.finance.models import LedgerTransfer
from millet.inventory.models import SerialUnit
from millet.sales import services
from millet.sales.models import DailyTakings, Order
from tests.concurrency import behind_open_transaction, held_at_call

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.mark.parametrize(
    "held_after",
    [
        # The second looked for its key before the first committed, then found the scanned unit sold
        # (by its twin) and answered 409 ``serial_sold``.
        "replay_order",
        # The second arrived while the first had written its order but not committed: it waited on
        # the key and was then a 409 ``idempotency_key_reused`` ("in progress").
        "create_order",
    ],
)
def test_a_till_sale_sent_twice_at_once_answers_both_with_one_sale(
    world, require_postgres, monkeypatch, held_after
):
    """A double click on the till's Pay, the first request held after ``held_after``: the cashier was
    told a sale had failed that had gone through (the till has no retry to turn it into the sale)."""
    from millet.sales.services import pos

    cashier = actor_for_user(world.users["cashier_sh"])
    serial = (
        SerialUnit.objects.filter(location_id=world.locations["SH-001"], sku=world.skus["MI6-64"])
        .values_list("serial", flat=True)
        .first()
    )

    def pay():
        return services.pos_sale(
            cashier, store_code="SH-001", serials=[serial], payment_token="tok_ok", idempotency_key="till:k1"
        )

    first, second = held_at_call(monkeypatch, pos, held_after, pay, pay)
    assert isinstance(first, Order), first
    assert isinstance(second, Order), second
    assert first.number == second.number
    assert Order.objects.count() == 1
    assert [p.amount for p in finance.payments_for(first.number)] == [first.total]


def test_daily_takings_posted_twice_at_once_are_recorded_and_booked_once(
    world, require_postgres, monkeypatch
):
    """A store's close sent again while the first was posting: the second read no takings recorded,
    then its twin committed, and its insert of the same day's takings was an IntegrityError (500)."""
    from millet.sales.services import takings as takings_module

    day = timezone.localdate() - timedelta(days=3)
    line = services.TakingsLine(world.skus["CABLE-C"].pk, 2, 10_000, 1_700)
    summary = services.Takings("store", "SH-001", day, "VAT", (line,))

    def post():
        return services.post_daily_takings([summary])

    first, second = held_at_call(monkeypatch, takings_module.finance, "submit_batch", post, post, before=True)
    assert sorted([first, second], key=repr) == [0, 2], (first, second)
    assert DailyTakings.objects.count() == 1
    assert LedgerTransfer.objects.filter(reference=f"takings SH-001 {day.isoformat()}").count() == 2
    assert not isinstance(first, DomainError)


def test_a_cash_sale_rung_up_while_the_till_closes_is_in_the_close_or_refused(
    world, require_postgres, monkeypatch
):
    """A cash sale that checked the till's day open before the Z close committed went on into the
    drawer after the close had counted it: the closed day's drawer then held more than was counted,
    and the sale was missing from the close's expected cash."""
    from decimal import Decimal

    from millet.sales.services import pos

    cashier = actor_for_user(world.users["cashier_sh"])
    services.open_till_day(cashier, "SH-001")
    serial = (
        SerialUnit.objects.filter(location_id=world.locations["SH-001"], sku=world.skus["MI6-64"])
        .values_list("serial", flat=True)
        .first()
    )
    sale, day = held_at_call(
        monkeypatch,
        pos,
        "check_takes_sales",
        lambda: services.pos_sale(
            cashier, store_code="SH-001", serials=[serial], cash_tendered=Decimal("5000")
        ),
        lambda: services.close_till_day(cashier, "SH-001", counted_cash=Decimal(0)),
    )
    assert day.counted_cash == 0, day
    drawer = finance.balances(["cash:till:SH-001:CNY"])["cash:till:SH-001:CNY"]
    assert drawer.debits_posted - drawer.credits_posted == 0, (sale, day.expected_cash)
    if isinstance(sale, Order):
        assert day.expected_cash == sale.total
    else:
        assert sale.code == "till_day_closed"


def test_an_api_order_sent_again_while_its_twin_still_writes_it_replays_that_order(world, require_postgres):
    """``POST /sales/orders`` with an Idempotency-Key, sent twice at once: the second waits on the
    first's key and, once it commits, answers with its order (a 409 "in progress" for an order
    already placed made the client guess)."""
    alice = actor_for_user(world.users["alice"])

    def attempt():
        return services.place_order(
            alice,
            market="CN",
            lines=[services.LineRequest("MI6-64", 1)],
            payment_token="tok_ok",
            idempotency_key="c" * 32,
        )

    first, second = behind_open_transaction(attempt, attempt)
    assert isinstance(first, Order)
    assert isinstance(second, Order) and second.number == first.number, second
    assert Order.objects.count() == 1
    assert [p.amount for p in finance.payments_for(first.number)] == [first.total]
