"""Every figure the page shows, as CSV: the goal cards and the drill-down. Amounts are plain decimal
strings (a dot, no grouping) beside their currency, and each money figure names the rates it used
(units of the reporting currency). A goal's row says whether it was reached, as its card does.

Text a person typed (a goal's title) that a spreadsheet would take for a formula (it starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is sent with a leading apostrophe, OWASP's
advice against CSV injection; amounts are written by Millet and left as they are."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from millet.insights.services.figures import BreakdownRow, Figure
from millet.insights.services.goals import GoalCard
from millet.insights.services.rates import reporting_currency

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

GOALS_HEADER = (
    "goal", "metric", "scope", "starts_on", "due_on", "as_of", "actual", "target", "currency",
    "expected", "status", "reached", "owner", "rates",
)  # fmt: skip
BREAKDOWN_HEADER = ("metric", "scope", "start", "end", "value", "currency", "rates")


def _rates(figure: Figure) -> str:
    reporting = reporting_currency()
    used = [f"1 {r.currency} = {r.rate} {reporting} (from {r.valid_from})" for r in figure.rates]
    missing = [f"no rate for {code}" for code in figure.missing]
    return "; ".join(used + missing)


def _text(value) -> str:
    return "" if value is None else str(value)


def _typed(text: str) -> str:
    """``text`` as a spreadsheet shows it, never runs it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def goals_csv(cards: Iterable[GoalCard]) -> str:
    return _csv(
        GOALS_HEADER,
        (
            (
                _typed(c.goal.title),
                c.metric.key,
                c.goal.scope,
                c.goal.starts_on,
                c.goal.due_on,
                c.as_of,
                _text(c.figure.value),
                c.goal.target,
                c.goal.currency,
                _text(c.pace and c.pace.expected.quantize(c.goal.target)),
                c.pace.status if c.pace else "",
                "true" if c.pace and c.pace.reached else "false",
                _typed(c.owner),
                _rates(c.figure),
            )
            for c in cards
        ),
    )


def breakdown_csv(rows: Iterable[BreakdownRow], *, start, end) -> str:
    return _csv(
        BREAKDOWN_HEADER,
        (
            (
                r.figure.metric.key,
                r.scope,
                start,
                end,
                _text(r.figure.value),
                r.figure.currency,
                _rates(r.figure),
            )
            for r in rows
        ),
    )
