"""Per-store revenue from the ledger and the store ranking (the "100 million yuan club").

Revenue is read from each store's ledger revenue account (``revenue:store:{CODE}:{CUR}``), never
summed from order tables: the ledger is the books, and refunds already debit it. Stores are ranked
only against stores of the same market, which all book in the market's one currency, so no
exchange rate ever enters a comparison.

The club threshold is 100,000,000 CNY, the figure Xiaomi reported for its best Mi Home stores.
Other currencies use a fixed, round equivalent at early-2017 rates, written down here so the
badge does not drift with exchange rates; a currency absent from the table has no club.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import groupby
from zoneinfo import ZoneInfo

from millet.accounts.actor import Actor
from millet.core.errors import Forbidden, Unprocessable
from millet.finance import services as finance
from millet.finance.services import store_revenue_code
from millet.regions.money import from_minor
from millet.regions.services import get_market
from millet.stores.models import Store

CLUB_THRESHOLDS: dict[str, Decimal] = {
    "CNY": Decimal("100000000"),
    "INR": Decimal("1000000000"),  # 1 CNY ~ 9.9 INR
    "USD": Decimal("15000000"),  # 1 CNY ~ 0.145 USD
    "EUR": Decimal("14000000"),  # 1 CNY ~ 0.137 EUR
}


Period = tuple[datetime, datetime]
MAX_PERIOD_DAYS = 366 * 3


def store_period(store: Store, first: date, last: date) -> Period:
    """The store's local days ``first`` to ``last`` (both included) as ``[start, end)`` aware
    datetimes in the store's market's time zone. 422, each refusal with its own code so a page
    says which rule refused without judging the days again: ``period_backwards`` when ``last`` is
    before ``first``, ``period_too_long`` over three years, ``period_out_of_range`` for days at the
    calendar's ends whose bounds no instant names (the day after 9999-12-31; 0001-01-01's midnight
    east of UTC)."""
    if last < first:
        raise Unprocessable("the period's last day comes before its first", code="period_backwards")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise Unprocessable(f"a period is at most {MAX_PERIOD_DAYS} days", code="period_too_long")
    zone = ZoneInfo(get_market(store.market_id).time_zone)
    try:
        start = datetime.combine(first, time(), zone)
        end = datetime.combine(last + timedelta(days=1), time(), zone)
        start.astimezone(UTC), end.astimezone(UTC)  # what the database is given
    except OverflowError:
        raise Unprocessable("the period's days are out of range", code="period_out_of_range") from None
    return start, end


@dataclass(frozen=True)
class StoreRanking:
    store: Store
    revenue: Decimal
    currency: str
    rank: int
    in_100m_club: bool


@dataclass(frozen=True)
class RankingRow:
    """One line of the ranking as a given actor may see it; hidden fields are None."""

    market: str
    rank: int
    currency: str
    store_code: str | None
    store_name: str | None
    city: str | None
    revenue: Decimal | None
    in_100m_club: bool | None
    own: bool


def _net_minor(codes: list[str], period: Period | None) -> dict[str, int]:
    """Each revenue account's credits less debits, all time or over ``period``, in minor units."""
    if period is not None:
        return finance.revenue_between(codes, *period)
    found = finance.balances(codes)
    return {code: account.credits_posted - account.debits_posted for code, account in found.items()}


def _rank_market(stores: list[Store], currency: str, period: Period | None = None) -> list[StoreRanking]:
    codes = {store.pk: store_revenue_code(store.code, currency) for store in stores}
    net = _net_minor(list(codes.values()), period)
    # no account or no posting: the store has sold nothing (then)
    revenue = {store.pk: from_minor(net.get(codes[store.pk], 0), currency) for store in stores}
    ordered = sorted(stores, key=lambda s: (-revenue[s.pk], s.code))
    threshold = CLUB_THRESHOLDS.get(currency)
    rankings: list[StoreRanking] = []
    for position, store in enumerate(ordered, start=1):
        tied = rankings and rankings[-1].revenue == revenue[store.pk]
        rank = rankings[-1].rank if tied else position  # competition ranking: 1, 2, 2, 4
        in_club = threshold is not None and revenue[store.pk] >= threshold
        rankings.append(StoreRanking(store, revenue[store.pk], currency, rank, in_club))
    return rankings


def rank_stores(market: str | None = None, *, period: Period | None = None) -> list[StoreRanking]:
    """Active stores ranked by ledger revenue within each market, best first, markets by code; over
    ``period`` (``[start, end)``, aware datetimes) when given, else all time."""
    stores = Store.objects.filter(is_active=True).order_by("market_id", "code")
    if market is not None:
        get_market(market)  # an unknown market is a 404, not an empty ranking
        stores = stores.filter(market_id=market)
    rankings: list[StoreRanking] = []
    for market_code, group in groupby(stores, key=lambda s: s.market_id):
        rankings.extend(_rank_market(list(group), get_market(market_code).currency, period))
    return rankings


def ranking_for(actor: Actor, market: str | None = None, *, period: Period | None = None) -> list[RankingRow]:
    """The ranking for back-office staff and executives in full; for managers only their own stores'
    figures; all time, or over ``period`` (``[start, end)``, aware datetimes).

    A manager learns where their store stands but not who the others are or what they earn:
    other stores' rows keep only market and rank. Cashiers and customers see no ranking
    (``Forbidden``).
    """
    managed = {store_id for store_id, role in actor.store_roles.items() if role == "manager"}
    everything = actor.is_executive
    if not everything and not managed:
        raise Forbidden("the ranking is for the back office, executives and store managers")
    rows: list[RankingRow] = []
    for entry in rank_stores(market, period=period):
        own = entry.store.pk in managed
        if everything or own:
            rows.append(
                RankingRow(
                    entry.store.market_id,
                    entry.rank,
                    entry.currency,
                    entry.store.code,
                    entry.store.name,
                    entry.store.city,
                    entry.revenue,
                    entry.in_100m_club,
                    own,
                )
            )
        else:
            rows.append(
                RankingRow(
                    entry.store.market_id, entry.rank, entry.currency, None, None, None, None, None, False
                )
            )
    return rows
