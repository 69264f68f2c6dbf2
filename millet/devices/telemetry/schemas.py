"""The telemetry API's request and response types (names unique across the whole API)."""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema

from millet.core.types import IsoDateTime
from millet.devices.telemetry import services

DeviceId = Annotated[str, Field(min_length=1, max_length=32)]


class HistoryQuery(Schema):
    prop: Annotated[str, Field(min_length=1, max_length=64, description="Property key, e.g. power")]
    start: IsoDateTime | None = Field(None, description="ISO 8601; default: end minus 24 hours")
    end: IsoDateTime | None = Field(None, description="ISO 8601; default: now")
    bucket_seconds: Annotated[int, Field(ge=1, le=31 * 86400)] = 300


class HistoryOut(Schema):
    device_id: str
    prop: str
    bucket_seconds: int
    buckets: list[services.Bucket]
