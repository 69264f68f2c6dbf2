"""What was sold, for reporting: net sales per SKU and UTC day, from the orders handed over and the
units taken back. The insights domain rolls these up by product line.

A sale counts on the day its units were handed over (``fulfilled_at``: shipped, collected or sold at a
till), when ``fulfil`` books its revenue on the ledger; a return counts on the day it was taken back,
when ``return_order`` books its refund. The amounts are the ones those bookings post to the revenue
accounts, line by line: the line's gross total less its tax, and a refund's share of both
(``sales.pricing.share_of``, per tax component, as ``sale_facts`` hands them to finance). A shipping
fee is no SKU's: it is left out. A day's takings posted as one summary (``takings``) count on their
trading day, line by line, as the ledger books them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from django.db.models import DecimalField, F, Sum
from django.db.models.functions import TruncDate

from millet.regions.money import to_minor
from millet.sales.models import DailyTakingsLine, OrderLine, ReturnLine
from millet.sales.pricing import share_of


@dataclass(frozen=True)
class SkuSales:
    """One SKU's sales on one UTC ``day`` in one ``currency``: ``units`` handed over less units taken
    back, ``minor`` their net revenue (without tax) less the net refunded, in integer minor units."""

    day: date
    sku_id: int
    currency: str
    units: int
    minor: int


def refund_net(line: OrderLine, done: int, now: int, currency: str) -> Decimal:
    """The revenue a return of units ``done+1 .. done+now`` of ``line`` takes back: its share of the
    line's gross total less its share of each tax component (what ``return_order`` books)."""
    total = share_of(line.total, done, now, line.quantity, currency)
    tax = sum(
        (share_of(Decimal(v), done, now, line.quantity, currency) for v in line.tax_components.values()),
        Decimal(0),
    )
    return total - tax


MONEY_SUM = DecimalField(max_digits=20, decimal_places=2)  # OrderLine.total and .tax have 2 decimals
CENT = Decimal("0.01")


def summed_minor(total: Decimal, currency: str) -> int:
    """Minor units of a database's sum of 2-decimal amounts. SQLite adds decimals as floats and
    Django rounds a column but not an aggregate, so a sum can arrive as 59370.0799999999; the
    amounts hold 2 decimals, so their sum does."""
    return to_minor(Decimal(total).quantize(CENT), currency)


def sku_sales(since: date | None = None) -> list[SkuSales]:
    """Net sales per SKU, UTC day and currency from ``since`` on (every day when None), in day order.

    Four queries whatever the number of orders: the lines handed over, summed per day, SKU and
    currency in the database (through the ``fulfilled_at`` index); the daily takings' lines, summed
    the same way (through their ``day`` index); the return lines since then; and the units of their
    order lines returned before them, so each refund's share is worked out as ``return_order``
    did."""
    start = None if since is None else datetime.combine(since, time.min, tzinfo=UTC)
    found: dict[tuple[date, int, str], list[int]] = defaultdict(lambda: [0, 0])
    sold = OrderLine.objects.filter(order__fulfilled_at__isnull=False)
    if start is not None:
        sold = sold.filter(order__fulfilled_at__gte=start)
    for row in (
        sold.annotate(day=TruncDate("order__fulfilled_at", tzinfo=UTC))
        .values("day", "sku_id", "order__currency")
        .annotate(units=Sum("quantity"), net=Sum(F("total") - F("tax"), output_field=MONEY_SUM))
    ):
        entry = found[(row["day"], row["sku_id"], row["order__currency"])]
        entry[0] += row["units"]
        entry[1] += summed_minor(row["net"], row["order__currency"])
    summarised = DailyTakingsLine.objects.all()
    if since is not None:
        summarised = summarised.filter(takings__day__gte=since)
    for row in summarised.values("takings__day", "sku_id", "takings__currency").annotate(
        units=Sum("units"), net=Sum("net", output_field=MONEY_SUM)
    ):
        entry = found[(row["takings__day"], row["sku_id"], row["takings__currency"])]
        entry[0] += row["units"]
        entry[1] += summed_minor(row["net"], row["takings__currency"])
    back = ReturnLine.objects.select_related("line", "ret__order").order_by("ret_id", "pk")
    if start is not None:
        back = back.filter(ret__created_at__gte=start)
    back = list(back)
    # Units of each order line returned before a return: the refund's share depends on them.
    earlier = defaultdict(list)
    for line_id, ret_id, quantity in ReturnLine.objects.filter(
        line_id__in={r.line_id for r in back}, ret_id__lt=max((r.ret_id for r in back), default=0)
    ).values_list("line_id", "ret_id", "quantity"):
        earlier[line_id].append((ret_id, quantity))
    for r in back:
        currency = r.ret.order.currency
        done = sum(q for ret_id, q in earlier[r.line_id] if ret_id < r.ret_id)
        entry = found[(r.ret.created_at.astimezone(UTC).date(), r.line.sku_id, currency)]
        entry[0] -= r.quantity
        entry[1] -= to_minor(refund_net(r.line, done, r.quantity, currency), currency)
    return [
        SkuSales(day, sku, cur, units, minor) for (day, sku, cur), (units, minor) in sorted(found.items())
    ]
