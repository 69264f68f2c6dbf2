"""Figures read from the daily rollups only: a metric over a period in one scope, its daily series,
and the drill-down by market, channel or store. No order or transfer is read here.

Money comes back in one currency: a scope's own when it has one (a store, a market), else the
reporting currency; consolidated at the rates in force on the period's last day, which the figure
names. Counts are plain Decimals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from operator import itemgetter

from django.db.models import Q, Subquery, Sum

from millet.core.errors import Unprocessable
from millet.insights.metrics import FLOW, GAUGE, LEVEL, METRICS, PERCENT, RATIO, Metric, member_scopes
from millet.insights.models import Rollup
from millet.insights.services.rates import RateBook, RateUsed, conversion, reporting_currency
from millet.regions.money import from_minor, quantize

TENTH = Decimal("0.1")  # a percentage's precision
Amounts = dict[str, Decimal]  # currency ("" for counts) -> amount


@dataclass(frozen=True)
class Figure:
    """``value`` of ``metric`` in ``currency`` ("" for counts); None when a rate is ``missing`` or a
    ratio has nothing to divide by."""

    metric: Metric
    scope: str
    value: Decimal | None
    currency: str
    rates: tuple[RateUsed, ...] = ()
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Trend:
    """A goal's figure: ``actual`` at ``end``, ``baseline`` just before ``start`` (0 for flows) and
    ``series`` (day, figure so far) for every day with a rollup in the period."""

    figure: Figure
    baseline: Decimal
    series: list[tuple[date, Decimal]]


def get_metric(key: str) -> Metric:
    try:
        return METRICS[key]
    except KeyError:
        raise Unprocessable(f"unknown metric {key!r}", code="unknown_metric") from None


def _as_decimal(amount: int, currency: str) -> Decimal:
    return from_minor(amount, currency) if currency else Decimal(amount)


def _series(metric: Metric) -> list[str]:
    return [metric.series] + ([metric.per] if metric.per else [])


def _rows(metric: Metric, scopes: dict, start: date | None, end: date):
    rows = Rollup.objects.filter(series__in=_series(metric), day__lte=end, **scopes)
    if start is not None:
        rows = rows.filter(day__gte=start)
    return rows


class _Value:
    """Folds rollup amounts into one figure, the metric's way, in ``currency``."""

    def __init__(
        self, metric: Metric, currency: str, on: date, currencies: set[str], book: RateBook | None = None
    ) -> None:
        self.metric, self.currency = metric, currency
        self.conv = conversion(currencies - {""}, currency, on, book=book) if metric.is_money else None

    def of(self, amounts: dict[str, Amounts]) -> Decimal | None:
        """``amounts``: series -> currency -> Decimal."""
        main = amounts.get(self.metric.series, {})
        value = self.conv.total(main) if self.conv is not None else sum(main.values(), Decimal(0))
        if not self.metric.per or value is None:
            return value
        per = sum(amounts.get(self.metric.per, {}).values(), Decimal(0))
        if not per:
            return None
        if self.metric.unit == PERCENT:
            return (value * 100 / per).quantize(TENTH, rounding=ROUND_HALF_UP)
        if self.metric.is_money:
            return quantize(value / per, self.currency)
        return (value * self.metric.scale / per).quantize(TENTH, rounding=ROUND_HALF_UP)

    def figure(self, scope: str, value: Decimal | None) -> Figure:
        if self.conv is None:
            return Figure(self.metric, scope, value, "")
        return Figure(self.metric, scope, value, self.currency, self.conv.rates, self.conv.missing)


def _currency_for(metric: Metric, currencies: set[str], wanted: str | None) -> str:
    if not metric.is_money:
        return ""
    if wanted:
        return wanted
    own = currencies - {""}
    return own.pop() if len(own) == 1 else reporting_currency()


def _history(metric: Metric, start: date) -> date | None:
    """The first day of rollups a figure from ``start`` needs: all history for a running total or a
    snapshot (None), the period itself for a flow or a ratio."""
    return start if metric.shape in (FLOW, RATIO) else None


Row = tuple[date, str, str, int]  # day, series, currency, amount


def trend(metric: Metric, scope: str, start: date, end: date, *, currency: str | None = None) -> Trend:
    """``metric`` in ``scope`` from ``start`` to ``end`` (both included), day by day (one query for
    the rollups, one for the rates). Product lines joined by ``+`` add up (``member_scopes``)."""
    rows = list(
        _rows(metric, {"scope__in": member_scopes(scope)}, _history(metric, start), end)
        .order_by("day")
        .values_list("day", "series", "currency", "amount")
    )
    return _fold(metric, scope, start, end, rows, currency, None)


@dataclass(frozen=True)
class TrendQuestion:
    """One ``trend`` asked of ``trends``: ``metric`` in ``scope`` from ``start`` to ``end``, in
    ``currency`` (None: the scope's own, else the reporting currency)."""

    metric: Metric
    scope: str
    start: date
    end: date
    currency: str | None = None


def trends(questions: list[TrendQuestion], *, rates: RateBook | None = None) -> list[Trend]:
    """``trend`` of each question, in order, in two queries whatever their number: one for every
    rollup row they need (each (series, scope) over the widest period asked of it), one for the
    rates (``rates``, or a new ``RateBook``). Each answer equals ``trend`` asked alone."""
    if not questions:
        return []
    # (series, scope) -> (first day needed or None for all history, last day needed)
    spans: dict[tuple[str, str], tuple[date | None, date]] = {}
    for q in questions:
        history = _history(q.metric, q.start)
        for name in _series(q.metric):
            for scope in member_scopes(q.scope):
                first, last = spans.get((name, scope), (history, q.end))
                first = None if first is None or history is None else min(first, history)
                spans[(name, scope)] = (first, max(last, q.end))
    wanted = Q()
    for (name, scope), (first, last) in spans.items():
        wanted |= Q(series=name, scope=scope, day__lte=last, **({"day__gte": first} if first else {}))
    found: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for scope, day, name, cur, amount in (
        Rollup.objects.filter(wanted)
        .order_by("day")
        .values_list("scope", "day", "series", "currency", "amount")
    ):
        found[(name, scope)].append((day, name, cur, amount))
    book = rates or RateBook()
    answers = []
    for q in questions:
        history = _history(q.metric, q.start)
        rows = sorted(
            (
                row
                for name in _series(q.metric)
                for scope in member_scopes(q.scope)
                for row in found.get((name, scope), ())
                if row[0] <= q.end and (history is None or row[0] >= history)
            ),
            key=itemgetter(0),
        )
        answers.append(_fold(q.metric, q.scope, q.start, q.end, rows, q.currency, book))
    return answers


def _fold(
    metric: Metric,
    scope: str,
    start: date,
    end: date,
    rows: list[Row],
    currency: str | None,
    book: RateBook | None,
) -> Trend:
    """The trend from ``rows``, the scope's rollups over the period (and before it, for a running
    total or a snapshot) in day order."""
    currencies = {row[2] for row in rows}
    currency = _currency_for(metric, currencies, currency)
    value = _Value(metric, currency, end, currencies, book)
    running: dict[str, Amounts] = defaultdict(lambda: defaultdict(Decimal))
    baseline = Decimal(0)
    series: list[tuple[date, Decimal]] = []
    before_start = False  # days before ``start`` were added and the baseline is not yet figured

    def figure_baseline() -> None:
        nonlocal baseline, before_start
        figure = value.of(running)
        baseline = baseline if figure is None else figure
        before_start = False

    # The figure is worked out once a day (after all of its rows), and once for all the days before
    # the period (the baseline): a long history adds sums, not conversions.
    for day, day_rows in groupby(rows, key=itemgetter(0)):
        if day >= start and before_start:
            figure_baseline()
        if metric.shape == GAUGE:
            running = defaultdict(lambda: defaultdict(Decimal))
        for _day, name, cur, amount in day_rows:
            running[name][cur] += _as_decimal(amount, cur)
        if day < start:
            before_start = True
            continue
        figure = value.of(running)
        if figure is not None:
            series.append((day, figure))
    if before_start:
        figure_baseline()
    actual = series[-1][1] if series else (baseline if metric.shape in (LEVEL, GAUGE) else value.of({}))
    if metric.shape == RATIO and not series:
        actual = None
    if metric.shape == GAUGE:  # the last snapshot on or before the end (None: a ratio of nothing)
        actual = value.of(running)
    return Trend(value.figure(scope, actual), baseline, series)


@dataclass(frozen=True)
class BreakdownRow:
    scope: str
    name: str  # the scope's value: a market code, a channel, a store code
    figure: Figure


def breakdown(
    metric: Metric,
    kind: str,
    start: date,
    end: date,
    *,
    only: set[str] | None = None,
    rates: RateBook | None = None,
) -> list[BreakdownRow]:
    """``metric`` over the period for every scope of ``kind`` (market, channel, store, product line,
    campaign, model, firmware or batch) with a rollup, largest first (a snapshot's, such as devices
    online per model, from the last snapshot on or before ``end``); ``only`` limits the scopes'
    values (a manager's stores). Each row in its
    own currency, or the reporting currency when it spans several, at the rates of ``rates`` (or a
    new ``RateBook``): two queries whatever the number of rows."""
    if kind not in metric.scopes or kind == "company":
        raise Unprocessable(f"{metric.key} has no breakdown by {kind}", code="invalid_breakdown")
    rows = _rows(metric, {"scope__startswith": f"{kind}:"}, _history(metric, start), end)
    if metric.shape == GAUGE:  # the last snapshot on or before the period's end
        rows = rows.filter(day=Subquery(rows.order_by("-day").values("day")[:1]))
    rows = rows.values("scope", "series", "currency").annotate(total=Sum("amount"))
    grouped: dict[str, dict[str, Amounts]] = defaultdict(lambda: defaultdict(lambda: defaultdict(Decimal)))
    for row in rows:
        grouped[row["scope"]][row["series"]][row["currency"]] += _as_decimal(row["total"], row["currency"])
    found, book = [], rates or RateBook()
    for scope, amounts in grouped.items():
        name = scope.partition(":")[2]
        if only is not None and name not in only:
            continue
        currencies = {c for per in amounts.values() for c in per}
        value = _Value(metric, _currency_for(metric, currencies, None), end, currencies, book)
        found.append(BreakdownRow(scope, name, value.figure(scope, value.of(amounts))))
    return sorted(found, key=lambda r: (r.figure.currency, -(r.figure.value or 0), r.name))
