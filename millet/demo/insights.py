"""The letter's goals, with the dates it gives, and the rates that consolidate them.

Lei Jun's letter of 12 January 2017 (shared/mission): 54 Mi Home stores in 2016, three of them
(Shanghai, Beijing, Zhengzhou) above 100 million yuan; 200 more stores in 2017 and 1,000 within three
years; India past US$1 billion of revenue in 2016; over 50 million connected devices; and for 2017
100 billion yuan (the translation says "profits"; the letter's Chinese original, 营收, is revenue,
which is what Millet measures); and 15 billion yuan in 2016 from "Mi Ecosystem products, smart TVs
and smart routers", revenue by product line over every line but phones (``letter.ECOSYSTEM``, joined
into one scope, ``product_line:accessory+band+...``), which ``millet demo --letter`` books through
its daily takings, per product line.

Not seeded, because no metric measures them: India's 1.35 million smartphones sold in October 2016
(units are counted per product line, not per market: the Chinese stores' phones would count too),
and the top-3 place in India (a market share, from sales Millet does not see).

Rates are the approximate year-end reference rates of the People's Bank of China (yuan per unit),
written down here because Millet fetches nothing.

Internet finance has its metrics (interest, fees, premiums and ``finance_income``, their sum) but no
seeded goal: the letter gives it no figure (internet services revenue "doubled" in 2016 over a 2015
the demo does not hold, and is mostly advertising and games, which Millet does not book), and the
demo makes no loans or policies in 2016.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_noop as _

from millet.accounts import services as accounts
from millet.accounts.actor import SYSTEM
from millet.demo.letter import ECOSYSTEM
from millet.insights import services as insights
from millet.regions.services import define_currency

EXECUTIVE_USER = "executive"  # made with the other back-office people (demo.build)
LETTER = "Lei Jun's letter to Xiaomi's staff, 12 January 2017"

RATES = (  # currency, valid from, yuan per unit
    ("USD", date(2016, 1, 1), Decimal("6.4936")),
    ("INR", date(2016, 1, 1), Decimal("0.0981")),
    ("EUR", date(2016, 1, 1), Decimal("7.0952")),
    ("USD", date(2017, 1, 1), Decimal("6.9370")),
    ("INR", date(2017, 1, 1), Decimal("0.1021")),
    ("EUR", date(2017, 1, 1), Decimal("7.3068")),
)

Y2016, Y2017 = (date(2016, 1, 1), date(2016, 12, 31)), (date(2017, 1, 1), date(2017, 12, 31))
# Titles are stored in English, as written; the executive page shows them in its language.
GOALS = (  # title, metric, scope kind, scope value, target, currency, (starts, due)
    (_("54 Mi Home stores in 2016"), "stores_open", "company", "", "54", "", Y2016),
    (_("India past US$1 billion in 2016"), "revenue", "market", "IN", "1000000000", "USD", Y2016),
    (_("Over 50 million devices connected"), "devices_connected", "company", "", "50000000", "", Y2016),
    (
        _("15 billion yuan from the ecosystem in 2016"),
        "product_line_revenue",
        "product_line",
        insights.LINES_JOINED.join(ECOSYSTEM),
        "15000000000",
        "CNY",
        Y2016,
    ),
    (_("Shanghai store above 100 million yuan"), "revenue", "store", "CN-SH-001", "100000000", "CNY", Y2016),
    (_("Beijing store above 100 million yuan"), "revenue", "store", "CN-BJ-001", "100000000", "CNY", Y2016),
    (_("Zhengzhou store above 100 million yuan"), "revenue", "store", "CN-ZZ-001", "100000000", "CNY", Y2016),
    (_("200 more Mi Home stores in 2017"), "stores_opened", "company", "", "200", "", Y2017),
    (_("100 billion yuan of revenue in 2017"), "revenue", "company", "", "100000000000", "CNY", Y2017),
    (
        _("1,000 Mi Home stores in three years"),
        "stores_open",
        "company",
        "",
        "1000",
        "",
        (date(2017, 1, 1), date(2019, 12, 31)),
    ),
)


def build_insights_demo() -> None:
    """The rates and the letter's goals, owned by the demo executive; then the rollups caught up."""
    executive_id = accounts.user_id_for(EXECUTIVE_USER)
    define_currency("USD", "US dollar", symbol="$")  # the letter counts India's year in dollars
    for currency, valid_from, rate in RATES:
        insights.set_rate(
            actor=SYSTEM, currency=currency, valid_from=valid_from, rate=rate, note="PBoC, approx."
        )
    for title, metric, kind, value, target, currency, (starts_on, due_on) in GOALS:
        insights.create_goal(
            actor=SYSTEM,
            title=title,
            metric=metric,
            scope_kind=kind,
            scope_value=value,
            target=Decimal(target),
            currency=currency,
            starts_on=starts_on,
            due_on=due_on,
            owner_id=executive_id,
            source=LETTER,
        )
    insights.catch_up()
    insights.snapshot_devices()
