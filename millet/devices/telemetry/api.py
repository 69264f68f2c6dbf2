"""HTTP routes for telemetry history (charts), the latest messages, and ingestion counters (staff)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from ninja import Query, Router

from millet.devices.telemetry import services
from millet.devices.telemetry.schemas import (
    DeviceId,
    HistoryOut,
    HistoryQuery,
)

router = Router(tags=["telemetry"])


@router.get("/devices/{device_id}/history", response=HistoryOut)
def history(request, device_id: DeviceId, q: Query[HistoryQuery]):
    """Downsampled history of one numeric property: min/avg/max/count per bucket (owner, shares, staff)."""
    end = q.end or datetime.now(UTC)
    start = q.start or end - timedelta(days=1)
    buckets = services.history_for_viewer(request.actor, device_id, q.prop, start, end, q.bucket_seconds)
    return {"device_id": device_id, "prop": q.prop, "bucket_seconds": q.bucket_seconds, "buckets": buckets}


@router.get("/devices/{device_id}/latest", response=list[services.Point])
def latest(request, device_id: DeviceId, limit: Annotated[int, Query(ge=1, le=1000)] = 50):
    """The device's most recent telemetry and events, newest first."""
    return services.latest_for_viewer(request.actor, device_id, limit)


@router.get("/ingest/stats", response=dict[str, int])
def ingest_stats(request):
    """Messages stored, de-duplicated, and dropped by reason (staff only)."""
    return services.ingest_stats_for(request.actor)
