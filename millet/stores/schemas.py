"""The stores API's request and response types (names unique across the whole API)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints, conint

from millet.core.types import IsoDate
from millet.stores import services

MarketCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


StoreCode = Annotated[str, StringConstraints(pattern=rf"^{services.STORE_CODE.pattern}$")]


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


Latitude = Annotated[Decimal, Field(ge=-90, le=90, max_digits=9, decimal_places=6)]


Longitude = Annotated[Decimal, Field(ge=-180, le=180, max_digits=9, decimal_places=6)]


UserId = conint(gt=0, le=2**63 - 1)


OpeningId = conint(gt=0, le=2**63 - 1)


class MarketFilter(Schema):
    market: MarketCode | None = None


class StoreOut(Schema):
    code: str
    name: str
    market: str
    city: str
    address: str
    opening_hours: dict
    opened_on: date | None
    open_now: bool


class StoreIn(Schema):
    code: StoreCode
    name: Text
    market: MarketCode
    city: Text
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    latitude: Latitude
    longitude: Longitude
    opening_hours: dict
    opened_on: IsoDate | None = None


class StaffOut(Schema):
    user_id: int
    username: str
    role: str


class RoleIn(Schema):
    role: Literal["cashier", "manager"]


class OpeningIn(Schema):
    market: MarketCode
    city: Text
    name: Text
    target_date: IsoDate


class SiteIn(Schema):
    code: StoreCode
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    latitude: Latitude
    longitude: Longitude
    opening_hours: dict


class AdvanceIn(Schema):
    stage: Literal["signed", "fitting_out", "opened", "dropped"]
    store_code: StoreCode | None = None
    site: SiteIn | None = None


class OpeningOut(Schema):
    id: int
    market: str
    city: str
    name: str
    target_date: date
    stage: str
    store_code: str | None


class GoalOut(Schema):
    id: int
    market: str
    description: str
    starts_on: date | None
    target_date: date
    target: int
    opened: int
    planned: int
    on_track: bool
