"""``millet demo --letter``: the year 2016 replayed at the scale of Lei Jun's letter of January 2017.

Stores post their takings to the general ledger once a day, and so does each web store: one
*daily sales summary* per store and channel (``sales.post_daily_takings``), net revenue to the
revenue account and the tax collected to the tax account, both from the clearing account the money
came in through (``gateway:tills:CNY`` for the stores' tills, ``gateway:web:{CUR}`` for the web
stores). The summaries go through the batched ledger (``finance.submit_batch``) a month at a time,
each booked on its own day (``booked_on``), so the rollups count it on that day though it is
written today. Each summary lists its sales per product line (one SKU of each line stands for the
line, ``line_skus``), so revenue and units by product line come from the same summaries as the
ledger's revenue, to the fen.

The year's shape, from the letter and Xiaomi's public 2016 figures:

- the three flagship stores (Shanghai, Beijing and Zhengzhou, open since 2015) each take more than
  100 million yuan (``FLAGSHIPS``); the other 51 open through 2016 (``opening_day``), so 54 trade
  at the year's end;
- the Indian web store books 68.5 billion rupees, US$1.03 billion at the demo's 2016 rates
  (``demo.insights.RATES``: 0.0981 and 6.4936 yuan per rupee and per dollar);
- the Chinese web store books 60 billion yuan, so the company's 2016 comes to about the 68 billion
  yuan Xiaomi reported;
- every product line but phones (``ECOSYSTEM``) takes its ``LINE_SHARES`` of each summary: 15.5
  billion yuan in the year, the letter's 15 billion from "Mi Ecosystem products, smart TVs and
  smart routers";
- days are weighted: weekends, the Mi Fan Festival (6-8 April), 618 (18 June), National Day week
  and Singles' Day (11 November) sell more, Spring Festival week less. Each store's or channel's
  year is then spread exactly over its open days in proportion, in integer minor units (no float),
  so the year totals above are exact.

The devices connected are the letter's "over 50 million" as the count on 31 December 2016
(``DEVICES_CONNECTED_2016``, ``insights.record_devices_connected``): the letter gives no other day's.

Tax rates are the 2016 ones a phone paid: 17 % VAT in China, 5 % state VAT in most Indian states
(GST came in 2017).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal

from millet.accounts.actor import SYSTEM
from millet.demo.data import PRODUCTS
from millet.insights import services as insights
from millet.sales import services as sales

YEAR_START, YEAR_END = date(2016, 1, 1), date(2016, 12, 31)
FLAGSHIPS = {  # store code -> 2016 net revenue in yuan (the letter: "above 100 million yuan")
    "CN-SH-001": 118_000_000,
    "CN-BJ-001": 111_000_000,
    "CN-ZZ-001": 104_000_000,
}
FLAGSHIPS_OPENED = date(2015, 11, 1)
STORE_YEAR = (18_000_000, 60_000_000)  # yuan a full year takes at another store, drawn per store
WEB = {"CN": ("CNY", 60_000_000_000), "IN": ("INR", 68_500_000_000)}  # market -> currency, 2016 net
TAX = {"CN": ("VAT", 17), "IN": ("VAT", 5)}  # market -> component, percent
DEVICES_CONNECTED_2016 = 50_000_000  # the letter: "over 50 million devices connected to our platform"
PHONES = "phone"
# The letter's "Mi Ecosystem products, smart TVs and smart routers": every product line but phones.
ECOSYSTEM = ("accessory", "band", "camera", "home", "laptop", "router", "speaker", "tv")
# Each product line's share of a summary's net revenue, in basis points; phones take the rest. The
# Chinese web store sells the most TVs; stores show the ecosystem off; India buys phones (no laptops
# there). With ``WEB`` and the stores, the ecosystem comes to 15.5 billion yuan at the 2016 rates,
# the letter's "15 billion yuan".
LINE_SHARES = {
    ("web", "CN"): {"tv": 1100, "home": 300, "laptop": 200, "accessory": 250, "band": 200, "router": 150}
    | {"camera": 150, "speaker": 50},
    ("store", "CN"): {"tv": 1200, "home": 800, "laptop": 300, "accessory": 500, "band": 400, "router": 300}
    | {"camera": 300, "speaker": 200},
    ("web", "IN"): {"tv": 300, "band": 250, "accessory": 250, "router": 50, "camera": 50, "home": 50}
    | {"speaker": 50},
}
MINOR = 100  # fen and paise per yuan and rupee

# Days that sell more or less than usual, in percent of an ordinary weekday.
SEASON = {
    **{date(2016, 2, 7) + timedelta(days=n): 60 for n in range(7)},  # Spring Festival week
    **{date(2016, 4, 6) + timedelta(days=n): 250 for n in range(3)},  # Mi Fan Festival
    date(2016, 6, 18): 200,  # 618
    **{date(2016, 10, 1) + timedelta(days=n): 160 for n in range(7)},  # National Day week
    date(2016, 11, 11): 400,  # Singles' Day
}
WEEKDAY = (100, 100, 100, 100, 115, 150, 150)  # Monday .. Sunday, percent

Progress = Callable[[int], None]  # days posted so far in this call


def opening_day(code: str, rng: random.Random) -> date:
    """The day a demo store opened in the letter's timeline: the flagships in November 2015, the
    others on a drawn day from February to the week before Christmas 2016."""
    if code in FLAGSHIPS:
        return FLAGSHIPS_OPENED
    return date(2016, 2, 1) + timedelta(days=rng.randint(0, 327))


def _days(start: date) -> list[date]:
    first = max(start, YEAR_START)
    return [first + timedelta(days=n) for n in range((YEAR_END - first).days + 1)]


def _weights(days: list[date], rng: random.Random) -> list[int]:
    return [WEEKDAY[d.weekday()] * SEASON.get(d, 100) * rng.randint(85, 115) for d in days]


def _spread(total_minor: int, days: list[date], rng: random.Random) -> dict[date, int]:
    """``total_minor`` spread over ``days`` by weight, in integers that add up to it exactly."""
    weights = _weights(days, rng)
    whole, running, before, spread = sum(weights), 0, 0, {}
    for day, weight in zip(days, weights, strict=True):
        running += weight
        upto = total_minor * running // whole
        spread[day] = upto - before
        before = upto
    return spread


def plan(store_openings: dict[str, date], rng: random.Random) -> dict[tuple[str, str], dict[date, int]]:
    """Net revenue in minor units per (channel, store code or market) and day of 2016.

    ``store_openings``: the Chinese stores' codes and opening days. A store that is not a flagship
    takes its drawn full-year figure pro rata to the days it was open."""
    year_days = (YEAR_END - YEAR_START).days + 1
    found: dict[tuple[str, str], dict[date, int]] = {}
    for code, opened in sorted(store_openings.items()):
        days = _days(opened)
        if not days:
            continue
        full_year = FLAGSHIPS.get(code) or rng.randint(*STORE_YEAR)
        total = full_year * MINOR if code in FLAGSHIPS else full_year * MINOR * len(days) // year_days
        found[("store", code)] = _spread(total, days, rng)
    for market, (_currency, total) in WEB.items():
        found[("web", market)] = _spread(total * MINOR, _days(YEAR_START), rng)
    return found


def _tax(net_minor: int, percent: int) -> int:
    return (net_minor * percent + 50) // 100  # half-up to the minor unit


def line_skus(sku_ids: dict[str, int]) -> dict[tuple[str, str], tuple[int, int]]:
    """(market, product line) -> (the SKU a summary books the line's sales under, its list price in
    minor units): the line's first SKU priced in the market (``data.PRODUCTS``)."""
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for _slug, _name, category, _model, _serialized, variants in PRODUCTS:
        for code, _variant, cny, inr in variants:
            for market, price in (("CN", cny), ("IN", inr)):
                if price is not None and code in sku_ids:
                    found.setdefault((market, category), (sku_ids[code], int(Decimal(price) * MINOR)))
    return found


def _summary(
    channel: str, who: str, day: date, net: int, skus: dict[tuple[str, str], tuple[int, int]]
) -> sales.Takings:
    """One daily sales summary: ``net`` split over the product lines by ``LINE_SHARES`` (phones take
    what the others leave, so the lines add up to ``net`` exactly), units at list price less tax."""
    market = "CN" if channel == "store" else who
    component, percent = TAX[market]
    shares = {line: net * bp // 10_000 for line, bp in LINE_SHARES[(channel, market)].items()}
    shares = {PHONES: net - sum(shares.values()), **shares}
    lines = []
    for line, amount in shares.items():
        sku_id, price = skus[(market, line)]
        unit_net = price * 100 // (100 + percent)
        lines.append(
            sales.TakingsLine(sku_id, (amount + unit_net // 2) // unit_net, amount, _tax(amount, percent))
        )
    return sales.Takings(channel, who, day, component, tuple(lines))


def _months(days: list[date]) -> Iterator[list[date]]:
    month: list[date] = []
    for day in days:
        if month and day.month != month[0].month:
            yield month
            month = []
        month.append(day)
    if month:
        yield month


def replay_2016(
    store_openings: dict[str, date], sku_ids: dict[str, int], rng: random.Random, progress: Progress
) -> int:
    """Post every daily sales summary of 2016 through ``sales.post_daily_takings`` (and so
    ``finance.submit_batch``), a month per batch (at most 56 summaries x 31 days x 2 transfers, under
    the batch limit), and record the year's last day's devices connected (the letter's one figure);
    returns the transfers posted. ``sku_ids``: the demo's SKU ids by code.
    Idempotent: a summary already posted is skipped. Raises the first refusal as its domain error
    (none is expected: the accounts have no limits)."""
    planned = plan(store_openings, rng)
    skus = line_skus(sku_ids)
    posted = 0
    for month in _months(_days(YEAR_START)):
        posted += sales.post_daily_takings(
            [
                _summary(channel, who, day, by_day[day], skus)
                for (channel, who), by_day in planned.items()
                for day in month
                if by_day.get(day)
            ]
        )
        progress(len(month))
    insights.record_devices_connected(actor=SYSTEM, day=YEAR_END, total=DEVICES_CONNECTED_2016)
    return posted
