"""The insights API's request and response types (names unique across the whole API)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints, conint

from millet.insights import services

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class InsightMetricOut(Schema):
    key: str
    label: str
    unit: str
    shape: str
    definition: str
    scopes: list[str]


class InsightRateOut(Schema):
    currency: str
    rate: Decimal
    valid_from: date | None


class InsightFigureOut(Schema):
    """``value`` in ``currency`` ("" for counts); null when a rate is ``missing``."""

    metric: str
    scope: str
    value: Decimal | None
    currency: str
    rates: list[InsightRateOut]
    missing: list[str]

    @staticmethod
    def of(figure: services.Figure) -> InsightFigureOut:
        return InsightFigureOut(
            metric=figure.metric.key,
            scope=figure.scope,
            value=figure.value,
            currency=figure.currency,
            rates=[
                InsightRateOut(currency=r.currency, rate=r.rate, valid_from=r.valid_from)
                for r in figure.rates
            ],
            missing=list(figure.missing),
        )


class InsightGoalOut(Schema):
    id: int
    title: str
    metric: str
    scope: str
    target: Decimal
    currency: str
    starts_on: date
    due_on: date
    owner: str
    source: str
    as_of: date
    actual: InsightFigureOut
    expected: Decimal | None = Field(description="Where the straight line from start to due date is today")
    status: Literal["ahead", "on_track", "behind"] | None
    reached: bool


class InsightGoalIn(Schema):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=160)]
    metric: Annotated[str, StringConstraints(max_length=32)]
    scope_kind: Literal["company", "market", "channel", "store", "product_line", "campaign"] = "company"
    scope_value: Annotated[str, StringConstraints(max_length=64)] = ""
    target: Annotated[Decimal, Field(gt=0, max_digits=24, decimal_places=2)]
    currency: Currency | Literal[""] = ""
    starts_on: date
    due_on: date
    owner_id: conint(gt=0, le=2**63 - 1)
    source: Annotated[str, StringConstraints(max_length=255)] = ""


class InsightRateIn(Schema):
    currency: Currency
    valid_from: date
    rate: Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=10)]
    note: Annotated[str, StringConstraints(max_length=160)] = ""


class InsightDrillDownQuery(Schema):
    metric: Annotated[str, StringConstraints(max_length=32)] = "revenue"
    by: Literal["market", "channel", "store", "product_line", "campaign", "model", "firmware", "batch"] = (
        "market"
    )
    start: date
    end: date


class InsightBreakdownOut(Schema):
    name: str
    figure: InsightFigureOut


GoalId = conint(gt=0, le=2**63 - 1)
