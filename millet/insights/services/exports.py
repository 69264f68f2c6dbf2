"""Every figure the page shows, as CSV: the goal cards and the drill-down. Amounts are plain decimal
strings (a dot, no grouping) beside their currency, and each money figure names the rates it used."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from millet.insights.services.figures import BreakdownRow, Figure
from millet.insights.services.goals import GoalCard

GOALS_HEADER = (
    "goal", "metric", "scope", "starts_on", "due_on", "as_of", "actual", "target", "currency",
    "expected", "status", "owner", "rates",
)  # fmt: skip
BREAKDOWN_HEADER = ("metric", "scope", "start", "end", "value", "currency", "rates")


def _rates(figure: Figure) -> str:
    used = [f"1 {r.currency} = {r.rate} (from {r.valid_from})" for r in figure.rates]
    missing = [f"no rate for {code}" for code in figure.missing]
    return "; ".join(used + missing)


def _text(value) -> str:
    return "" if value is None else str(value)


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
                c.goal.title,
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
                c.owner,
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
