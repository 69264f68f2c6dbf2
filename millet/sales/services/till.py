"""A store's till through its day: opened by a cashier, scanning units into a sale, handing over
click-and-collect orders against the shopper's pickup code, and closed with a Z report that sets
the counted cash against the cash the ledger expects in the drawer. Units are taken back at the
till by ``returns.return_at_till``; a cash refund there leaves this store's drawer, on the same
day rules as a cash sale.

The day is the store's business date, in its market's time zone (Shanghai's day for a Shanghai
store, whatever the server's clock says). A store whose
day was closed takes no more till sales that date (409 ``till_day_closed``); cash needs the day
open (409 ``till_not_open``), since the drawer is counted against it at the close.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.catalog.services import sku_info, skus_by_id
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.core.integrity import created_or_found
from millet.finance import services as finance
from millet.inventory import services as inventory
from millet.regions.money import from_minor
from millet.regions.services import get_market
from millet.sales.models import Order, Return, TillDay
from millet.sales.services.fulfilment import collect_order
from millet.sales.services.orders import get_order
from millet.sales.services.stores import StoreFacts, till_store


def _zone(store: StoreFacts) -> ZoneInfo:
    return ZoneInfo(get_market(store.market).time_zone)


def business_date(store: StoreFacts) -> date:
    """Today in the store's market's time zone."""
    return timezone.localdate(timezone=_zone(store))


def _day_bounds(store: StoreFacts, day: date) -> tuple[datetime, datetime]:
    """The instants a business date starts and ends at the store (end excluded)."""
    start = datetime.combine(day, time.min, tzinfo=_zone(store))
    return start, start + timedelta(days=1)


def cash_account_code(store: StoreFacts) -> str:
    """The ledger account of the store's till drawer (``cash:till:{STORE}:{CUR}``), created if need be."""
    return finance.till_cash_account(store.code, get_market(store.market).currency).code


def today_of(store: StoreFacts, *, share_lock: bool = False) -> TillDay | None:
    """The store's till day for today, None before it is opened. ``share_lock`` holds its row
    ``FOR SHARE`` until the transaction ends (raw SQL: Django's ``select_for_update`` has no shared
    mode, and an exclusive lock would queue every sale at a store behind the one before; SQLite has
    no row locks, its one writer holds the database)."""
    today = TillDay.objects.filter(store_id=store.id, business_date=business_date(store))
    if not (share_lock and connection.features.has_select_for_update):
        return today.first()
    sql, params = today.query.sql_with_params()
    return next(iter(TillDay.objects.raw(f"{sql} FOR SHARE", params)), None)


def check_takes_sales(store: StoreFacts, *, cash: bool) -> None:
    """Refuse a till sale on a closed day (Conflict ``till_day_closed``), and cash before the day is
    opened (Conflict ``till_not_open``); a cash refund is checked as a cash sale (its notes leave
    the drawer the close counts). Must run inside the sale's transaction: the day's row is
    share-locked until the sale commits, so the close (which locks it for update) waits for the
    sales already past this check and counts their cash, and a sale checked during a close waits
    for it and is refused; sales do not wait for one another."""
    day = today_of(store, share_lock=True)
    if day is not None and day.is_closed:
        raise Conflict(
            "the till's day is closed: no more sales or cash refunds today", code="till_day_closed"
        )
    if cash and day is None:
        raise Conflict("open the till's day before taking cash", code="till_not_open")


def till_day(actor: Actor, store_code: str) -> TillDay | None:
    """Today's till day of a store the actor sells at, None before it is opened."""
    return today_of(till_store(actor, store_code))


@transaction.atomic
def open_till_day(actor: Actor, store_code: str) -> TillDay:
    """Open today's till (a second call returns the open day); Conflict ``till_day_closed`` once
    today was closed: a closed day is not reopened."""
    store = till_store(actor, store_code)
    day = today_of(store)
    if day is None:
        day = created_or_found(  # another tablet of the store may open it first: its day is the one
            lambda: TillDay.objects.create(
                store_id=store.id,
                business_date=business_date(store),
                currency=get_market(store.market).currency,
                opened_at=timezone.now(),
                opened_by_id=actor.user_id,
            ),
            lambda: today_of(store),
        )
    if day.is_closed:
        raise Conflict("today's till day is closed", code="till_day_closed")
    cash_account_code(store)  # the drawer's account exists from the first minute
    return day


@dataclass(frozen=True)
class ZReport:
    """A till day's figures: sales rung up at the store that date (count, gross total, what came in
    cash), refunds given there (all, and those paid out of the drawer in cash), and the cash in the
    drawer: what the ledger expects now (or expected at the close), what was counted and the
    difference (counted less expected)."""

    day: TillDay
    sales: int
    sales_total: Decimal
    cash_sales: Decimal
    refunds: Decimal
    cash_refunds: Decimal
    expected_cash: Decimal
    counted_cash: Decimal | None
    difference: Decimal | None


def z_report(actor: Actor, store_code: str) -> ZReport:
    """Today's Z report (NotFound ``till_not_open`` before the day is opened)."""
    store = till_store(actor, store_code)
    day = today_of(store)
    if day is None:
        raise NotFound("the till's day is not open", code="till_not_open")
    start, end = _day_bounds(store, day.business_date)
    sold = Order.objects.filter(
        store_id=store.id, channel=Order.Channel.POS, created_at__gte=start, created_at__lt=end
    ).aggregate(
        sold=Count("pk"),
        gross=Sum("total"),
        in_cash=Sum("total", filter=Q(cash_tendered__isnull=False)),
    )
    refunds = Return.objects.filter(
        location_id=store.location_id, created_at__gte=start, created_at__lt=end
    ).aggregate(
        total=Sum("refund_amount"),
        in_cash=Sum("refund_amount", filter=Q(order__cash_tendered__isnull=False)),  # out of the drawer
    )
    if day.is_closed:
        expected = day.expected_cash
    else:
        drawer = finance.balance(cash_account_code(store))
        expected = from_minor(drawer.debits_posted - drawer.credits_posted, day.currency)
    return ZReport(
        day=day,
        sales=sold["sold"],
        sales_total=sold["gross"] or Decimal(0),
        cash_sales=sold["in_cash"] or Decimal(0),
        refunds=refunds["total"] or Decimal(0),
        cash_refunds=refunds["in_cash"] or Decimal(0),
        expected_cash=expected,
        counted_cash=day.counted_cash,
        difference=day.difference,
    )


@transaction.atomic
def close_till_day(actor: Actor, store_code: str, *, counted_cash: Decimal) -> TillDay:
    """Close today's till with the cash counted in the drawer.

    The ledger's expected cash is the drawer account's balance; the difference is booked as cash
    over/short (``finance.settle_cash_count``: one balanced transfer), after which the drawer's
    balance is the count. Refusals, changing nothing: Conflict ``till_not_open`` (never opened
    today), ``till_day_closed`` (closed already); Unprocessable ``malformed_money`` (a negative
    count, or more decimals than the currency has).
    """
    store = till_store(actor, store_code)
    day = (
        TillDay.objects.select_for_update()
        .filter(store_id=store.id, business_date=business_date(store))
        .first()
    )
    if day is None:
        raise Conflict("the till's day was never opened", code="till_not_open")
    if day.is_closed:
        raise Conflict("today's till day is closed already", code="till_day_closed")
    currency = day.currency
    expected = finance.settle_cash_count(
        cash_account=cash_account_code(store),
        over_short_account=finance.cash_over_short_account(store.code, currency).code,
        counted=counted_cash,
        reference=f"Z:{store.code}:{day.business_date.isoformat()}",
    )
    day.expected_cash, day.counted_cash = expected, counted_cash
    day.closed_at, day.closed_by_id = timezone.now(), actor.user_id
    day.save(update_fields=["expected_cash", "counted_cash", "closed_at", "closed_by"])
    return day


@dataclass(frozen=True)
class Scan:
    """What one scan at the till names: a serialized unit on this store's shelf (``serial`` set),
    or a SKU without serial numbers typed by its code (``serial`` empty)."""

    sku_code: str
    name: str
    serial: str


def till_scan(actor: Actor, store_code: str, code: str, *, scanned: Sequence[str] = ()) -> Scan:
    """Check one scan before it joins the sale, so a wrong one is refused on the spot.

    A serial must be a unit on this store's shelf (every refusal of ``inventory.unit_at``: 404
    ``unknown_serial``, 409 ``serial_sold``, ``serial_at_another_location``, ``serial_in_transit``,
    ``serial_defective``) and not in ``scanned`` already (422 ``duplicate_serial``). A SKU code is
    taken only for SKUs without serial numbers (422 ``serial_required`` otherwise: scan the unit).
    """
    store = till_store(actor, store_code)
    code = code.strip()
    if not code:
        raise Unprocessable("scan a serial number or type a product code", code="empty_scan")
    if code in scanned:
        raise Unprocessable(f"serial {code} is already in this sale", code="duplicate_serial")
    try:
        unit = inventory.unit_at(code, store.location_id)
    except NotFound:
        try:
            info = sku_info([code])[code]
        except NotFound:
            raise NotFound(f"unknown serial {code!r}", code="unknown_serial") from None
        if info.serialized:
            raise Unprocessable(
                f"{info.code} is serialized: scan the serial number of the unit", code="serial_required"
            ) from None
        return Scan(info.code, info.name, "")
    info = skus_by_id([unit.sku_id])[unit.sku_id]
    return Scan(info.code, info.name, unit.serial)


@transaction.atomic
def hand_over(actor: Actor, number: str, *, pickup_code: str, serials: Sequence[str] = ()) -> Order:
    """Hand a click-and-collect order over at its store, only against the shopper's pickup code
    (a wrong one is 422 ``wrong_pickup_code`` and moves nothing), then as
    ``collect_order`` (every serialized unit scanned)."""
    order = get_order(actor, number)
    if order.channel != Order.Channel.CLICK_COLLECT or not hmac.compare_digest(
        order.pickup_code.encode(), pickup_code.strip().encode()
    ):
        raise Unprocessable("the pickup code does not match the order", code="wrong_pickup_code")
    return collect_order(actor, number, serials=serials)
