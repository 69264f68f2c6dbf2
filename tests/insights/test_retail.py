"""Retail metrics (issue 13): revenue and units by product line, flash-sale results, stock cover and
stock-outs, each proved from orders, campaigns and stock made through the domains' services, kept by
the catch-up job idempotently, and rebuilt to the same rows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.core.errors import Unprocessable
from millet.flashsale import services as flashsale
from millet.insights.metrics import METRICS
from millet.insights.models import Rollup
from millet.insights.services import breakdown, card, catch_up, create_goal, rebuild, trend
from millet.inventory import services as inventory
from millet.sales import services as sales
from tests.flashsale.conftest import gate_mode, make_campaign, require_redis  # noqa: F401  (both gates)
from tests.flashsale.test_flashsale import claim, write_all

TENTH = Decimal("0.1")


def _rows() -> set[tuple]:
    return set(Rollup.objects.values_list("series", "scope", "day", "currency", "amount"))


def _today() -> date:
    return timezone.now().date()


def _figure(metric: str, scope: str, day: date | None = None) -> Decimal | None:
    day = day or _today()
    return trend(METRICS[metric], scope, day, day).figure.value


def _net(line) -> Decimal:
    """A line's revenue as booked: its gross total less its tax."""
    return line.total - line.tax


def _till_sale(world, *, phones: int = 0, cables: int = 0, store: str = "SH-001"):
    serials = inventory.serials_on_shelf(world.locations[store], world.skus["MI6-64"].pk, phones)
    lines = [sales.LineRequest("CABLE-C", cables)] if cables else []
    cashier = actor_for_user(world.users["cashier_sh" if store == "SH-001" else "cashier_bj"])
    return sales.pos_sale(cashier, store_code=store, serials=serials, lines=lines, payment_token="tok_ok")


def _lines(world, order) -> dict[str, object]:
    codes = {sku.pk: code for code, sku in world.skus.items()}
    return {codes[line.sku_id]: line for line in order.lines.all()}


def test_revenue_and_units_by_product_line_match_the_ledger(world):
    till = _till_sale(world, phones=1, cables=2)
    staff = actor_for_user(world.users["staff"])
    web = sales.place_order(
        actor_for_user(world.users["alice"]),
        market="CN",
        lines=[sales.LineRequest("CAM-C300", 1)],
        payment_token="tok_ok",
    )
    sales.fulfil_order(staff, web.number)
    catch_up()
    phone, cable = _lines(world, till)["MI6-64"], _lines(world, till)["CABLE-C"]
    camera = _lines(world, web)["CAM-C300"]
    assert _figure("product_line_revenue", "product_line:phone") == _net(phone)
    assert _figure("product_line_revenue", "product_line:accessory") == _net(cable)
    assert _figure("product_line_revenue", "product_line:camera") == _net(camera)
    # The till sale has no shipping: its lines are exactly what the ledger credited to the store.
    assert _figure("revenue", "store:SH-001") == _net(phone) + _net(cable)
    assert _figure("units_sold", "product_line:accessory") == 2
    assert _figure("units_sold", "company") == 4

    # One cable comes back: its net share leaves the accessories, as the refund left the ledger.
    sales.return_order(
        actor_for_user(world.users["cashier_sh"]),
        till.number,
        lines=[sales.ReturnRequest(cable.pk, 1)],
        store_code="SH-001",
    )
    catch_up()
    assert _figure("units_sold", "product_line:accessory") == 1
    accessories = _figure("product_line_revenue", "product_line:accessory")
    assert accessories < _net(cable)
    assert _figure("revenue", "store:SH-001") == _net(phone) + accessories
    assert _figure("units_sold", "company") == 3
    money = trend(METRICS["product_line_revenue"], "company", _today(), _today()).figure
    assert (money.value, money.currency) == (_net(phone) + accessories + _net(camera), "CNY")

    live = _rows()
    catch_up()  # the job again: the same rows
    assert _rows() == live
    rebuild()
    assert _rows() == live

    # The other cable too: the two refunds' shares add up to the line, to the cent.
    sales.return_order(
        actor_for_user(world.users["cashier_sh"]),
        till.number,
        lines=[sales.ReturnRequest(cable.pk, 1)],
        store_code="SH-001",
    )
    catch_up()
    assert _figure("product_line_revenue", "product_line:accessory") == 0
    assert _figure("units_sold", "product_line:accessory") == 0
    assert _figure("revenue", "store:SH-001") == _net(phone)
    live = _rows()
    rebuild()
    assert _rows() == live


def test_a_sale_after_the_watermark_is_counted_once(world):
    _till_sale(world, cables=1)
    catch_up()
    _till_sale(world, cables=3)
    catch_up()
    catch_up()
    assert _figure("units_sold", "product_line:accessory") == 4
    live = _rows()
    rebuild()
    assert _rows() == live


def test_product_line_goals_and_the_drill_down(world, client):
    _till_sale(world, phones=2)
    _till_sale(world, cables=5)
    catch_up()
    staff = world.users["staff"]
    goal = create_goal(
        actor=actor_for_user(staff),
        title="Phones this month",
        metric="product_line_revenue",
        scope_kind="product_line",
        scope_value="phone",
        target=Decimal("100000"),
        starts_on=_today() - timedelta(days=1),
        due_on=_today() + timedelta(days=29),
        owner_id=staff.pk,
        currency="CNY",
    )
    assert card(goal).figure.value == _figure("product_line_revenue", "product_line:phone") > 0
    with pytest.raises(Unprocessable) as refused:
        create_goal(
            actor=actor_for_user(staff),
            title="Nothing",
            metric="product_line_revenue",
            scope_kind="product_line",
            scope_value="spaceships",
            target=Decimal(1),
            starts_on=_today(),
            due_on=_today() + timedelta(days=1),
            owner_id=staff.pk,
        )
    assert refused.value.code == "invalid_scope"
    rows = breakdown(METRICS["units_sold"], "product_line", _today(), _today())
    assert [(r.name, r.figure.value) for r in rows] == [("accessory", 5), ("phone", 2)]

    client.force_login(staff)
    client.cookies["django_language"] = "en"
    today = _today().isoformat()
    page = client.get(
        "/insights/", {"metric": "units_sold", "by": "product_line", "start": today, "end": today}
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert "Accessory" in body and "Phones this month" in body
    client.cookies["django_language"] = "de"
    assert (
        "Zubehör"
        in client.get(
            "/insights/", {"metric": "units_sold", "by": "product_line", "start": today, "end": today}
        ).content.decode()
    )


def _sell_out_time(code: str) -> Decimal:
    seconds = flashsale.campaign_results(SYSTEM, code).sold_out_seconds
    return Decimal(str(seconds)).quantize(TENTH, rounding=ROUND_HALF_UP)


def _pay(world, user: str, code: str, gate_id: str) -> int:
    path = f"/flashsale/campaigns/{code}/claims/{gate_id}/pay"
    return world.client(user).post(path, {"payment_token": "tok_ok"}).status_code


def test_flash_sale_time_to_sell_out_and_paid_rate(world, make_campaign):  # noqa: F811
    hot = make_campaign(2, window=60)
    slow = make_campaign(5)
    alice = claim(world, "alice", hot.code).json()["id"]
    assert claim(world, "bob", hot.code).status_code == 201  # the last unit: sold out
    claim(world, "alice", slow.code)
    write_all()
    assert _pay(world, "alice", hot.code, alice) == 200
    flashsale.expire_claims(timezone.now() + timedelta(seconds=61))  # bob's unit goes back to the pool
    staff = claim(world, "staff", hot.code).json()["id"]
    write_all()
    assert _pay(world, "staff", hot.code, staff) == 200
    catch_up()
    # The hot sale: three units won (bob's again by staff), two paid; it sold out once.
    assert _figure("flash_paid_rate", f"campaign:{hot.code}") == Decimal("66.7")
    assert _figure("flash_sellout_time", f"campaign:{hot.code}") == _sell_out_time(hot.code) > 0
    assert _figure("flash_paid_rate", f"campaign:{slow.code}") == Decimal("0.0")
    assert _figure("flash_sellout_time", f"campaign:{slow.code}") is None  # never sold out
    # The company: 2 paid of 4 won; the time to sell out is the hot sale's, the only one sold out.
    assert _figure("flash_paid_rate", "company") == Decimal("50.0")
    assert _figure("flash_sellout_time", "market:CN") == _sell_out_time(hot.code)
    rows = breakdown(METRICS["flash_paid_rate"], "campaign", _today(), _today())
    assert [(r.name, r.figure.value) for r in rows] == [
        (hot.code, Decimal("66.7")),
        (slow.code, Decimal("0.0")),
    ]

    # After the end, the unpaid claims expire and the campaigns close: the outcome is final.
    later = timezone.now() + timedelta(hours=2)
    flashsale.expire_claims(later)
    assert flashsale.close_ended_campaigns(later) == 2
    assert flashsale.get_campaign(hot.code).sold_out_at is not None  # kept on the row, either gate
    catch_up()
    assert _figure("flash_paid_rate", "company") == Decimal("50.0")
    assert _figure("flash_sellout_time", f"campaign:{hot.code}") == _sell_out_time(hot.code)
    live = _rows()
    catch_up()
    assert _rows() == live
    rebuild()
    assert _rows() == live


def test_stock_cover_and_stock_outs_from_the_daily_snapshot(world, client):
    # Shanghai holds 3 phones, 2 cameras and 20 cables; Beijing 2 phones.
    _till_sale(world, phones=1, cables=2)
    _till_sale(world, phones=2, store="BJ-001")  # Beijing's last phones: a stock-out
    catch_up()
    # Shanghai: 22 units left, 3 sold in 28 days, so 22 * 28 / 3 days of cover.
    assert _figure("stock_cover", "store:SH-001") == Decimal("205.3")
    assert _figure("stock_outs", "store:SH-001") == 0
    assert _figure("stock_outs", "store:BJ-001") == 1
    assert _figure("stock_cover", "store:BJ-001") == Decimal("0.0")
    # The company: 149 units received, 5 sold: 144 * 28 / 5.
    assert _figure("stock_cover", "company") == Decimal("806.4")
    assert _figure("stock_outs", "company") == 1
    assert _figure("stock_cover", "store:BLR-001") is None  # nothing sold there: no pace to divide by

    # The next run replaces today's snapshot (a receipt ends the stock-out), and keeps yesterday's.
    yesterday = _today() - timedelta(days=1)
    Rollup.objects.filter(series__startswith="stock_", day=_today()).update(day=yesterday)
    world.receive("MI6-64", "BJ-001", 4)
    catch_up()
    assert _figure("stock_outs", "store:BJ-001") == 0
    assert _figure("stock_outs", "store:BJ-001", yesterday) == 1
    live = _rows()
    rebuild()  # a past day's snapshot cannot be taken again: the rebuild keeps them all
    assert _rows() == live

    staff = world.users["staff"]
    create_goal(
        actor=actor_for_user(staff),
        title="Shanghai cover",
        metric="stock_cover",
        scope_kind="store",
        scope_value="SH-001",
        target=Decimal(30),
        starts_on=_today() - timedelta(days=1),
        due_on=_today() + timedelta(days=29),
        owner_id=staff.pk,
    )
    client.force_login(staff)
    client.cookies["django_language"] = "en"
    assert "205.3 days" in client.get("/insights/").content.decode()


@pytest.mark.parametrize(
    ("summed", "minor"),
    [("59370.0799999999", 5937008), ("176.10000000000002", 17610), ("0.30", 30), ("-12.0100000001", -1201)],
)
def test_a_float_tailed_database_sum_comes_back_as_the_lines_exact_minor_units(world, summed, minor):
    """The quick start's demo stopped on SQLite's sum 59370.0799999999 of 2-decimal lines."""
    from millet.sales.services.reporting import summed_minor

    assert summed_minor(Decimal(summed), "CNY") == minor


def _takings(world, day: date, **minor: int) -> sales.Takings:
    """SH-001's takings of ``day``: net revenue in fen per SKU code, 17 % VAT on each line."""
    lines = tuple(
        sales.TakingsLine(world.skus[code].pk, 1, net, (net * 17 + 50) // 100) for code, net in minor.items()
    )
    return sales.Takings("store", "SH-001", day, "VAT", lines)


def test_daily_takings_count_by_product_line_as_the_ledger_books_them(world):
    """A store's daily summary (issue 13's letter replay) books revenue per product line and on the
    ledger alike, even when it arrives after the recount's watermark passed its day."""
    catch_up()  # the watermark is now today
    past = _today() - timedelta(days=10)
    summary = _takings(world, past, **{"MI6-64": 250_000_00, "CABLE-C": 1_234_56, "CAM-C300": 9_999_99})
    assert sales.post_daily_takings([summary]) == 2  # revenue and tax, booked on their day
    assert sales.post_daily_takings([summary]) == 0  # posted once
    catch_up()
    assert _figure("revenue", "store:SH-001", past) == Decimal("261234.55")
    assert _figure("product_line_revenue", "company", past) == Decimal("261234.55")
    assert _figure("product_line_revenue", "product_line:accessory+camera", past) == Decimal("11234.55")
    assert _figure("units_sold", "product_line:phone", past) == 1
    live = _rows()
    rebuild()
    assert _rows() == live

    staff = world.users["staff"]
    goal = create_goal(
        actor=actor_for_user(staff),
        title="Cables and cameras",
        metric="product_line_revenue",
        scope_kind="product_line",
        scope_value="accessory+camera",
        target=Decimal("20000"),
        starts_on=past,
        due_on=_today() + timedelta(days=1),
        owner_id=staff.pk,
        currency="CNY",
    )
    assert card(goal).figure.value == Decimal("11234.55")
    for scope_value in ("accessory+accessory", "accessory+spaceships"):
        with pytest.raises(Unprocessable) as refused:
            create_goal(
                actor=actor_for_user(staff),
                title="Twice",
                metric="product_line_revenue",
                scope_kind="product_line",
                scope_value=scope_value,
                target=Decimal(1),
                starts_on=_today(),
                due_on=_today() + timedelta(days=1),
                owner_id=staff.pk,
            )
        assert refused.value.code == "invalid_scope"
    with pytest.raises(Unprocessable) as refused:
        sales.post_daily_takings([sales.Takings("store", "SH-001", past, "VAT", ())])
    assert refused.value.code == "invalid_takings"
