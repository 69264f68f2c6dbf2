"""The inventory API's request and response types (names unique across the whole API)."""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema

from millet.core.types import IsoDate, Quantity
from millet.inventory import services

Units = Annotated[Quantity, Field(le=services.MAX_QUANTITY)]


Code = Annotated[str, Field(min_length=1, max_length=32)]


class StockOut(Schema):
    sku_id: int
    location: str
    quantity: int
    reserved: int
    available: int


class StockTransferIn(Schema):
    sku: Code
    source: Code
    destination: Code
    quantity: Units
    serials: Annotated[list[Code], Field(max_length=1000)] = []


class StockTransferOut(Schema):
    id: int
    sku_id: int
    source: str
    destination: str
    quantity: int
    status: str
    serials: list[str]


class PoLineIn(Schema):
    sku: Code
    quantity: Units


class PurchaseOrderIn(Schema):
    supplier: Annotated[str, Field(min_length=1, max_length=128)]
    location: Code
    lines: Annotated[list[PoLineIn], Field(min_length=1, max_length=200)]
    expected_on: IsoDate | None = None


class PurchaseOrderOut(Schema):
    id: int
    supplier: str
    location: str
    status: str
    lines: dict[str, dict[str, int]]


class ReceiveLineIn(Schema):
    sku: Code
    quantity: Units
    serials: Annotated[list[Code], Field(max_length=10_000)] = []


class ReceiveIn(Schema):
    lines: Annotated[list[ReceiveLineIn], Field(min_length=1, max_length=200)]
    batch: Annotated[str, Field(max_length=32)] = ""
