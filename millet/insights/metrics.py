"""Every metric the insights pages show, defined once: its unit, its shape, and in words what it
means and where it comes from. No tables and no actor: the registry is pure rules.

A metric reads one or two rollup *series* (``services.rollups`` keeps them per scope and UTC day):

- ``revenue``: signed minor units posted to the revenue accounts (``finance.revenue_postings``):
  a sale's net revenue credited to ``revenue:store:{STORE}:{CUR}`` or ``revenue:web:{MARKET}:{CUR}``,
  less refunds debited from them. Tax is never revenue (it goes to ``tax:*``).
- ``orders``: how many sales were credited to a revenue account (one per order paid or captured,
  or one per daily takings batch a store posts).
- ``returns``: how many refunds were debited from a revenue account (one per refund, whole or part).
- ``stores_opened``: active stores by the day they opened (``stores.store_openings``).
- ``devices_connected``: devices online when the day's snapshot was taken (``devices.connected_now``).
- ``devices_activated``: devices activated per day (``devices.activations_per_day``).
- ``interest_income``, ``fee_income``, ``premiums``, ``finance_income`` (the three added),
  ``charge_offs`` and ``credit_book`` (net principal lent): the ledger's lending and insurance
  postings (``finance.finance_postings``); ``credit_approved`` and ``credit_decided``: credit
  decisions per day (``lending.credit_decisions``); ``credit_past_due_30``: the daily snapshot of
  principal more than 30 days past due (``lending.past_due``). See ``services.finance_series``.
- ``devices_connected`` also per ``model:{URN}`` and ``firmware:{URN}@{VERSION}``, in the same
  snapshot (``devices.online_by_model_and_firmware``).
- ``batch_units_sold`` and ``batch_units_failed``: connected units sold per production batch and
  day of sale, and how many of them have failed since (``services.device_series``).
- ``line_revenue``, ``line_units``: net revenue and units of the SKUs sold, per product line (the
  catalog's category of the SKU) and UTC day (``sales.sku_sales``).
- ``flash_won``, ``flash_paid``, ``flash_sold_out``, ``flash_sellout_ms``: per flash-sale campaign,
  on the day it started (``flashsale.campaign_outcomes``).
- ``stock_on_hand``, ``stock_sold_28d``, ``stock_outs``: the job's daily snapshot of stock
  (``inventory.stock_by_location``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

COMPANY, MARKET, CHANNEL, STORE = "company", "market", "channel", "store"
PRODUCT_LINE, CAMPAIGN = "product_line", "campaign"  # a catalog category; a flash-sale campaign's code
SCOPE_KINDS = (COMPANY, MARKET, CHANNEL, STORE, PRODUCT_LINE, CAMPAIGN)
# What the back office calls each kind of scope a goal is set in.
SCOPE_KIND_LABELS: dict[str, Promise] = {
    COMPANY: _("Whole company"),
    MARKET: _("Market"),
    CHANNEL: _("Channel"),
    STORE: pgettext_lazy("breakdown by", "Store"),  # a Mi Home store, as the breakdown names it
    PRODUCT_LINE: _("Product line"),
    CAMPAIGN: _("Flash-sale campaign"),
}
CHANNELS = ("store", "web")  # Mi Home stores and the web store (revenue accounts' second part)
# The device cloud's scopes: a model (its URN), a model's firmware (URN@version), a production
# batch. For the drill-down only; a goal is set in one of SCOPE_KINDS.
MODEL, FIRMWARE, BATCH = "model", "firmware", "batch"
DEVICE_SCOPE_KINDS = (MODEL, FIRMWARE, BATCH)

MONEY, COUNT, PERCENT = "money", "count", "percent"
DAYS, SECONDS = "days", "seconds"  # a ratio of counts, to one decimal
# How a metric turns daily rollups into one figure for a period:
FLOW = "flow"  # the sum of the days in the period
LEVEL = "level"  # the sum of every day up to the period's end (a running total)
GAUGE = "gauge"  # the last snapshot on or before the period's end
RATIO = "ratio"  # one flow divided by another over the period


@dataclass(frozen=True)
class Metric:
    key: str
    label: str | Promise
    unit: str  # MONEY, COUNT, PERCENT (a ratio of two counts, times 100, to one decimal), DAYS or SECONDS
    shape: str  # FLOW, LEVEL, GAUGE or RATIO
    series: str  # the rollup series read (the numerator of a ratio)
    definition: str | Promise
    scopes: tuple[str, ...]
    per: str = ""  # a ratio's denominator series (a GAUGE with one divides its two snapshots)
    scale: Decimal = Decimal(1)  # a ratio in DAYS or SECONDS is series * scale / per

    @property
    def is_money(self) -> bool:
        return self.unit == MONEY


_SALES_SCOPES = (COMPANY, MARKET, CHANNEL, STORE)
_FINANCE_SCOPES = (COMPANY, MARKET)
METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric(
            "revenue",
            _("Revenue"),
            MONEY,
            FLOW,
            "revenue",
            _("Net revenue booked on the ledger, after refunds and without tax, in stores and on the web."),
            _SALES_SCOPES,
        ),
        Metric(
            "orders",
            _("Orders"),
            COUNT,
            FLOW,
            "orders",
            _("Sales booked on the ledger: one for each order paid, or each daily takings a store posts."),
            _SALES_SCOPES,
        ),
        Metric(
            "average_order_value",
            _("Average order value"),
            MONEY,
            RATIO,
            "revenue",
            _("Net revenue divided by the number of orders in the period."),
            _SALES_SCOPES,
            per="orders",
        ),
        Metric(
            "returns",
            _("Returns"),
            COUNT,
            FLOW,
            "returns",
            _("Refunds booked on the ledger: one for each refund of a sale, whole or in part."),
            _SALES_SCOPES,
        ),
        Metric(
            "return_rate",
            _("Return rate"),
            PERCENT,
            RATIO,
            "returns",
            _("Refunds booked in the period per 100 sales booked in it."),
            _SALES_SCOPES,
            per="orders",
        ),
        Metric(
            "stores_opened",
            _("Stores opened"),
            COUNT,
            FLOW,
            "stores_opened",
            _("Mi Home stores that opened in the period and still trade."),
            (COMPANY, MARKET),
        ),
        Metric(
            "stores_open",
            _("Stores open"),
            COUNT,
            LEVEL,
            "stores_opened",
            _("Mi Home stores trading at the end of the period."),
            (COMPANY, MARKET),
        ),
        Metric(
            "devices_connected",
            _("Devices connected"),
            COUNT,
            GAUGE,
            "devices_connected",
            _("Devices online in the device cloud at the last daily snapshot of the period."),
            (COMPANY, MODEL, FIRMWARE),
        ),
        Metric(
            "devices_activated",
            _("Devices activated"),
            COUNT,
            FLOW,
            "devices_activated",
            _("Devices their owners activated in the device cloud in the period (first pairing)."),
            (COMPANY,),
        ),
        # Internet finance (``services.finance_series``): lending and insurance, from the ledger.
        Metric(
            "interest_income",
            _("Interest income"),
            MONEY,
            FLOW,
            "interest_income",
            _("Interest borrowers paid on their instant loans, as booked on the ledger."),
            _FINANCE_SCOPES,
        ),
        Metric(
            "fee_income",
            _("Fee income"),
            MONEY,
            FLOW,
            "fee_income",
            _("Late fees charged on loans, less fees waived when a loan was cancelled."),
            _FINANCE_SCOPES,
        ),
        Metric(
            "insurance_premiums",
            _("Insurance premiums"),
            MONEY,
            FLOW,
            "premiums",
            _("Device protection premiums sold, less the unused premium refunded when a unit was returned."),
            _FINANCE_SCOPES,
        ),
        Metric(
            "finance_income",
            _("Internet finance income"),
            MONEY,
            FLOW,
            "finance_income",
            _("Interest income, fee income and insurance premiums together."),
            _FINANCE_SCOPES,
        ),
        Metric(
            "credit_book",
            _("Credit book outstanding"),
            MONEY,
            LEVEL,
            "credit_book",
            _("Loan principal owed at the end of the period: lent, less repaid, refunded or charged off."),
            _FINANCE_SCOPES,
        ),
        Metric(
            "credit_past_due_30",
            _("30+ days past due"),
            MONEY,
            GAUGE,
            "credit_past_due_30",
            _("Principal still owed on active loans more than 30 days past due, at the last daily snapshot."),
            _FINANCE_SCOPES,
        ),
        Metric(
            "charge_offs",
            _("Charge-offs"),
            MONEY,
            FLOW,
            "charge_offs",
            _("Principal and fees written off as lost, less what returns later recovered."),
            _FINANCE_SCOPES,
        ),
        Metric(
            "credit_approval_rate",
            _("Credit approval rate"),
            PERCENT,
            RATIO,
            "credit_approved",
            _("Credit applications approved per 100 decided (approved or declined) in the period."),
            _FINANCE_SCOPES,
            per="credit_decided",
        ),
        Metric(
            "batch_failure_rate",
            _("Failure rate per batch"),
            PERCENT,
            RATIO,
            "batch_units_failed",
            _(
                "Connected units sold in the period that have since come back as defective or had a"
                " breakdown claim accepted, per 100 units sold in the period, by production batch."
            ),
            (COMPANY, BATCH),
            per="batch_units_sold",
        ),
        # Retail: product lines, flash sales, stock (issue 13).
        Metric(
            "product_line_revenue",
            _("Revenue by product line"),
            MONEY,
            FLOW,
            "line_revenue",
            _(
                "Net revenue of the goods handed over, without tax or shipping, less the net refunded"
                " for units taken back, by the product line (catalog category) of each SKU."
            ),
            (COMPANY, PRODUCT_LINE),
        ),
        Metric(
            "units_sold",
            _("Units sold"),
            COUNT,
            FLOW,
            "line_units",
            _("Units handed over to buyers (shipped, collected or sold at a till) less units taken back."),
            (COMPANY, PRODUCT_LINE),
        ),
        Metric(
            "flash_sellout_time",
            _("Flash-sale time to sell out"),
            SECONDS,
            RATIO,
            "flash_sellout_ms",
            _(
                "Seconds from a flash sale's start until its last unit was claimed, on average over"
                " the campaigns that sold out, by the day they started."
            ),
            (COMPANY, MARKET, CAMPAIGN),
            per="flash_sold_out",
            scale=Decimal("0.001"),
        ),
        Metric(
            "flash_paid_rate",
            _("Flash-sale paid rate"),
            PERCENT,
            RATIO,
            "flash_paid",
            _(
                "Claims paid per 100 units won in flash sales (a unit given again after an unpaid"
                " claim is won again), by the day the campaign started."
            ),
            (COMPANY, MARKET, CAMPAIGN),
            per="flash_won",
        ),
        Metric(
            "stock_cover",
            _("Stock cover"),
            DAYS,
            GAUGE,
            "stock_on_hand",
            _(
                "Days the stock on hand lasts at the pace of the last 28 days: units on hand divided"
                " by the units sold per day over the 28 days before the last daily snapshot."
            ),
            (COMPANY, STORE),
            per="stock_sold_28d",
            scale=Decimal(28),
        ),
        Metric(
            "stock_outs",
            _("Stock-outs"),
            COUNT,
            GAUGE,
            "stock_outs",
            _(
                "Pairs of SKU and stock location with nothing available (none left, or every unit"
                " reserved) at the last daily snapshot of the period."
            ),
            (COMPANY, STORE),
        ),
    )
}


def parse_scope(scope: str) -> tuple[str, str]:
    """``"market:CN"`` -> ``("market", "CN")``; ``"company"`` -> ``("company", "")``; ValueError else."""
    kind, _sep, value = scope.partition(":")
    if kind not in SCOPE_KINDS + DEVICE_SCOPE_KINDS or (kind == COMPANY) != (value == ""):
        raise ValueError(f"unknown scope {scope!r}")
    if kind == CHANNEL and value not in CHANNELS:
        raise ValueError(f"unknown channel {value!r}")
    return kind, value


def scope_key(kind: str, value: str = "") -> str:
    return kind if kind == COMPANY else f"{kind}:{value}"


LINES_JOINED = "+"  # product lines taken together in one goal: ``product_line:router+tv``


def member_scopes(scope: str) -> tuple[str, ...]:
    """The rollup scopes a goal's scope adds up: each line of ``product_line:router+tv`` (the
    letter's "Mi Ecosystem products, smart TVs and smart routers" are several catalog categories);
    any other scope is its own."""
    kind, _sep, value = scope.partition(":")
    if kind == PRODUCT_LINE and LINES_JOINED in value:
        return tuple(scope_key(PRODUCT_LINE, line) for line in value.split(LINES_JOINED))
    return (scope,)
