"""The flashsale API's request and response types (names unique across the whole API)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from ninja import Field, Schema

from millet.core.types import IsoDateTime, Money, PaymentToken, WholeNumber
from millet.flashsale import services

CODE_PATTERN = r"[A-Za-z0-9_-]{1,32}"  # a campaign's code (also matched by the gate's fast path)
Code = Annotated[str, Field(min_length=1, max_length=32, pattern=f"^{CODE_PATTERN}$")]


GateId = Annotated[str, Field(min_length=1, max_length=40)]


class CampaignIn(Schema):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=128)]
    sku: Annotated[str, Field(min_length=1, max_length=32)]
    market: Annotated[str, Field(min_length=2, max_length=2)]
    location: Annotated[str, Field(min_length=1, max_length=32)]
    price: Annotated[Money, Field(gt=0)]
    units: Annotated[WholeNumber, Field(gt=0, le=services.MAX_UNITS)]
    per_customer_limit: Annotated[WholeNumber, Field(gt=0, le=services.MAX_PER_CUSTOMER)] = 1
    starts_at: IsoDateTime
    ends_at: IsoDateTime
    payment_window_seconds: Annotated[WholeNumber, Field(gt=0, le=services.MAX_PAYMENT_WINDOW)] = 900
    customer_rate_per_second: Annotated[WholeNumber, Field(ge=0, le=services.MAX_CUSTOMER_RATE)] = 5
    ip_rate_per_second: Annotated[WholeNumber, Field(ge=0, le=services.MAX_IP_RATE)] = 200


class CampaignOut(Schema):
    code: str
    name: str
    sku: str
    market: str
    price: Decimal
    units: int
    per_customer_limit: int
    starts_at: datetime
    ends_at: datetime
    payment_window_seconds: int


class ClaimPayIn(Schema):
    payment_token: PaymentToken


class WaitlistOut(Schema):
    status: str
    ahead: int
