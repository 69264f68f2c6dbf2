"""HTTP routes for telemetry history (charts), the latest messages, and ingestion counters (staff)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from ninja import Field, Query, Router, Schema

from millet.devices.telemetry import services

router = Router(tags=["telemetry"])

DeviceId = Annotated[str, Field(min_length=1, max_length=32)]


class HistoryQuery(Schema):
    prop: Annotated[str, Field(min_length=1, max_length=64, description="Property key, e.g. power")]
    start: datetime | None = Field(None, description="Default: end minus 24 hours")
    end: datetime | None = Field(None, description="Default: now")
    bucket_seconds: Annotated[int, Field(ge=1, le=31 * 86400)] = 300


class BucketOut(Schema):
    start: datetime
    min: float
    avg: float
    max: float
    count: int


class HistoryOut(Schema):
    device_id: str
    prop: str
    bucket_seconds: int
    buckets: list[BucketOut]


class PointOut(Schema):
    seq: int
    ts: datetime
    kind: str
    body: dict


@router.get("/devices/{device_id}/history", response=HistoryOut)
def history(request, device_id: DeviceId, q: Query[HistoryQuery]):
    """Downsampled history of one numeric property: min/avg/max/count per bucket (owner, shares, staff)."""
    end = q.end or datetime.now(UTC)
    start = q.start or end - timedelta(days=1)
    buckets = services.history_for_viewer(request.actor, device_id, q.prop, start, end, q.bucket_seconds)
    return {"device_id": device_id, "prop": q.prop, "bucket_seconds": q.bucket_seconds, "buckets": buckets}


@router.get("/devices/{device_id}/latest", response=list[PointOut])
def latest(request, device_id: DeviceId, limit: Annotated[int, Query(ge=1, le=1000)] = 50):
    """The device's most recent telemetry and events, newest first."""
    return services.latest_for_viewer(request.actor, device_id, limit)


@router.get("/ingest/stats", response=dict[str, int])
def ingest_stats(request):
    """Messages stored, de-duplicated, and dropped by reason (staff only)."""
    return services.ingest_stats_for(request.actor)
