"""The telemetry API's request and response types (names unique across the whole API)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema

from millet.devices.telemetry import services

DeviceId = Annotated[str, Field(min_length=1, max_length=32)]


class HistoryQuery(Schema):
    prop: Annotated[str, Field(min_length=1, max_length=64, description="Property key, e.g. power")]
    start: datetime | None = Field(None, description="Default: end minus 24 hours")
    end: datetime | None = Field(None, description="Default: now")
    bucket_seconds: Annotated[int, Field(ge=1, le=31 * 86400)] = 300


class HistoryOut(Schema):
    device_id: str
    prop: str
    bucket_seconds: int
    buckets: list[services.Bucket]
