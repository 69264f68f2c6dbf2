"""Rollups follow the ledger's revenue postings from a watermark, and a rebuild gives the same rows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from millet.finance.services import revenue_postings
from millet.insights.metrics import METRICS
from millet.insights.models import Rollup, Watermark
from millet.insights.services import breakdown, catch_up, rebuild, trend


def _rows() -> set[tuple]:
    return set(Rollup.objects.values_list("series", "scope", "day", "currency", "amount"))


def test_revenue_is_net_of_refunds_in_every_scope(company):
    company("revenue:store:SH-001:CNY", 150_000_00, "CNY")
    company("revenue:store:SH-001:CNY", -20_000_00, "CNY")
    company("revenue:web:CN:CNY", 10_000_00, "CNY")
    company("revenue:store:MU-001:INR", 1_000_00, "INR")
    assert catch_up() == 4
    today = timezone.now().date()
    revenue = METRICS["revenue"]
    assert trend(revenue, "store:SH-001", today, today).figure.value == Decimal("130000.00")
    assert trend(revenue, "market:CN", today, today).figure.value == Decimal("140000.00")
    assert trend(revenue, "channel:web", today, today).figure.value == Decimal("10000.00")
    company_figure = trend(revenue, "company", today, today).figure
    assert (company_figure.value, company_figure.currency) == (Decimal("140100.00"), "CNY")
    assert [(r.currency, r.rate) for r in company_figure.rates] == [("INR", Decimal("0.1"))]
    in_usd = trend(revenue, "company", today, today, currency="USD").figure
    assert in_usd.value == Decimal("20304.35")  # 140,100 CNY / 6.9, rounded once
    orders = trend(METRICS["orders"], "company", today, today).figure.value
    assert orders == 3  # three sales; the refund is no order
    aov = trend(METRICS["average_order_value"], "market:CN", today, today).figure.value
    assert aov == Decimal("70000.00")


def test_catch_up_is_idempotent_and_skips_what_it_took(company):
    company("revenue:store:SH-001:CNY", 100, "CNY")
    assert catch_up() == 1
    assert catch_up() == 0  # the posting is inside the settling window: read again, not applied again
    company("revenue:store:BJ-001:CNY", 200, "CNY")
    assert catch_up() == 1
    today = timezone.now().date()
    assert trend(METRICS["revenue"], "market:CN", today, today).figure.value == Decimal("3.00")
    assert len(Watermark.objects.get(name="ledger").taken) == 2  # recent ids are remembered until they settle


def test_rebuild_equals_the_live_rollups(company):
    for minor, account, currency in (
        (500_00, "revenue:store:SH-001:CNY", "CNY"),
        (70_00, "revenue:web:IN:INR", "INR"),
        (-100_00, "revenue:store:SH-001:CNY", "CNY"),
        (9_99, "revenue:store:MU-001:INR", "INR"),
    ):
        company(account, minor, currency)
        catch_up(live=True)  # a catch-up after each posting, as the sales events run it
    catch_up()  # and the job's run (it also counts store openings)
    live = _rows()
    assert rebuild() == 4
    assert _rows() == live


def test_stores_opened_and_open_against_plan(company):
    catch_up()
    opened = METRICS["stores_opened"]
    open_ = METRICS["stores_open"]
    year = (date(2016, 1, 1), date(2016, 12, 31))
    assert trend(opened, "company", *year).figure.value == 3
    assert trend(opened, "market:CN", date(2016, 2, 1), date(2016, 12, 31)).figure.value == 1
    level = trend(open_, "company", date(2016, 5, 1), date(2016, 12, 31))
    assert (level.baseline, level.figure.value) == (2, 3)


def test_drill_down_by_market_and_store(company):
    company("revenue:store:SH-001:CNY", 300_00, "CNY")
    company("revenue:store:BJ-001:CNY", 100_00, "CNY")
    company("revenue:store:MU-001:INR", 50_00, "INR")
    catch_up()
    today = timezone.now().date()
    week = (today - timedelta(days=6), today)
    rows = breakdown(METRICS["revenue"], "store", *week)
    assert [(r.name, r.figure.value, r.figure.currency) for r in rows] == [
        ("SH-001", Decimal("300.00"), "CNY"),
        ("BJ-001", Decimal("100.00"), "CNY"),
        ("MU-001", Decimal("50.00"), "INR"),
    ]
    assert [r.name for r in breakdown(METRICS["revenue"], "store", *week, only={"BJ-001"})] == ["BJ-001"]
    assert [r.name for r in breakdown(METRICS["revenue"], "market", *week)] == ["CN", "IN"]


def test_a_figure_in_its_own_currency_names_no_rate_and_needs_none(company):
    """India's revenue in rupees was shown with "1 INR = 0.1021 CNY" beside it though no rate was
    used, and with no INR rate entered it would have had no figure at all."""
    from millet.insights.models import ExchangeRate

    company("revenue:store:MU-001:INR", 50_00, "INR")
    catch_up()
    today = timezone.now().date()
    (india,) = breakdown(METRICS["revenue"], "market", today, today)
    assert (india.figure.value, india.figure.currency, india.figure.rates) == (Decimal("50.00"), "INR", ())
    ExchangeRate.objects.all().delete()
    (india,) = breakdown(METRICS["revenue"], "market", today, today)
    assert (india.figure.value, india.figure.missing) == (Decimal("50.00"), ())
    in_yuan = trend(METRICS["revenue"], "company", today, today, currency="CNY").figure
    assert (in_yuan.value, in_yuan.missing) == (None, ("INR",))  # converting still needs the rate


def test_a_back_dated_posting_counts_on_its_business_day(company):
    catch_up()  # the rollups are already live when the store posts last year's takings
    takings_day = date(2016, 3, 14)
    company("revenue:store:SH-001:CNY", 1_234_00, "CNY", booked_on=takings_day)
    company("revenue:store:SH-001:CNY", 100, "CNY")
    assert catch_up() == 2
    revenue = METRICS["revenue"]
    assert trend(revenue, "store:SH-001", takings_day, takings_day).figure.value == Decimal("1234.00")
    today = timezone.now().date()
    assert trend(revenue, "store:SH-001", today, today).figure.value == Decimal("1.00")
    live = _rows()
    rebuild()
    assert _rows() == live


def test_a_posting_that_commits_late_is_taken_by_the_job(company):
    company("revenue:store:SH-001:CNY", 100, "CNY")
    company("revenue:store:SH-001:CNY", 200, "CNY")
    older, newer = revenue_postings(0)
    # A live catch-up applied the newer posting while the older one was still committing:
    Watermark.objects.create(name="ledger", last_id=older.transfer_id - 1, taken=[newer.transfer_id])
    assert catch_up(live=True) == 0  # the live path looks only past the newest applied
    assert catch_up() == 1  # the job rereads the settling window and takes the older one
    today = timezone.now().date()
    assert trend(METRICS["revenue"], "store:SH-001", today, today).figure.value == Decimal("1.00")


def test_a_sale_is_rolled_up_when_it_commits(world, django_capture_on_commit_callbacks):
    from millet.accounts.actor import actor_for_user
    from millet.sales import services as sales

    world.receive("MI6-64", "WH-CN-SH", 2)
    buyer = world.users["alice"]
    with django_capture_on_commit_callbacks(execute=True):
        order = sales.place_order(
            actor_for_user(buyer), market="CN", lines=[sales.LineRequest("MI6-64", 1)], payment_token="tok_ok"
        )
        sales.fulfil_order(actor_for_user(world.users["staff"]), order.number)
    today = timezone.now().date()
    figure = trend(METRICS["revenue"], "channel:web", today, today).figure
    assert figure.value > 0 and figure.currency == "CNY"
    assert trend(METRICS["orders"], "market:CN", today, today).figure.value == 1


def test_a_deferred_catch_up_rolls_nothing_up_per_sale_and_everything_at_the_end(
    world, django_capture_on_commit_callbacks
):
    """Bulk work (the demo's orders) defers the per-sale catch-up; the block's end takes them all."""
    from millet.accounts.actor import actor_for_user
    from millet.insights.services import catch_up_deferred
    from millet.sales import services as sales

    world.receive("MI6-64", "WH-CN-SH", 3)
    today = timezone.now().date()

    def sell() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            buyer = actor_for_user(world.users["alice"])
            order = sales.place_order(
                buyer, market="CN", lines=[sales.LineRequest("MI6-64", 1)], payment_token="tok_ok"
            )
            sales.fulfil_order(actor_for_user(world.users["staff"]), order.number)

    def orders() -> Decimal:
        return trend(METRICS["orders"], "market:CN", today, today).figure.value

    with catch_up_deferred():
        sell()
        sell()
        assert orders() == 0
    assert orders() == 2
    sell()  # and the next sale is rolled up when it commits again
    assert orders() == 3
