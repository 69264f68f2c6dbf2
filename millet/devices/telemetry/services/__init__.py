"""Telemetry reads for charts and the API, ingestion counters, and wiping a device's history.

History is downsampled in the database: one row per time bucket (min, avg, max, count) so a chart of
a month at 10-second resolution never ships the raw points. Only numbers (and booleans, as 0/1) have
a meaningful average; other property types are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Count, Max

from millet.accounts.actor import Actor
from millet.core.errors import Unprocessable
from millet.core.replicas import read_connection, replica_reads
from millet.devices.telemetry import storage
from millet.devices.telemetry.models import IngestCounter, TelemetryMessage

PROP_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_BUCKETS = 10_000


@dataclass(frozen=True)
class Bucket:
    start: datetime
    min: float
    avg: float
    max: float
    count: int


@dataclass(frozen=True)
class Point:
    seq: int
    ts: datetime
    kind: str
    body: dict


def _check_window(prop: str, start: datetime, end: datetime, bucket_seconds: int) -> None:
    if not PROP_RE.match(prop or ""):
        raise Unprocessable("prop must be a property key (letters, digits, _ . : -)", code="invalid_prop")
    if start.tzinfo is None or end.tzinfo is None:
        raise Unprocessable("start and end need a time zone", code="naive_datetime")
    if end <= start:
        raise Unprocessable("end must be after start", code="empty_window")
    if bucket_seconds < 1:
        raise Unprocessable("bucket_seconds must be at least 1", code="invalid_bucket")
    if (end - start).total_seconds() / bucket_seconds > MAX_BUCKETS:
        raise Unprocessable(
            f"at most {MAX_BUCKETS} buckets per query: widen the bucket", code="too_many_buckets"
        )


def telemetry_history(
    device_id: str, prop: str, start: datetime, end: datetime, bucket_seconds: int
) -> list[Bucket]:
    """Min/avg/max/count of one property per ``bucket_seconds`` bucket in [start, end).

    History for charts can stand a replica's lag: it reads from one when the work allows
    (:func:`millet.core.replicas.replica_reads`)."""
    _check_window(prop, start, end, bucket_seconds)
    db = read_connection("telemetry")
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(
                """
                SELECT floor(extract(epoch FROM ts) / %(b)s) * %(b)s AS bucket,
                       min(v), avg(v), max(v), count(*)
                FROM (SELECT ts, CASE jsonb_typeof(body -> %(p)s)
                                   WHEN 'number' THEN (body ->> %(p)s)::float8
                                   WHEN 'boolean' THEN ((body ->> %(p)s)::boolean)::int::float8 END AS v
                      FROM telemetry_message
                      WHERE device_id = %(d)s AND kind = 't' AND ts >= %(s)s AND ts < %(e)s) points
                WHERE v IS NOT NULL GROUP BY bucket ORDER BY bucket
                """,
                {"b": bucket_seconds, "p": prop, "d": device_id, "s": start, "e": end},
            )
        else:
            adapt = db.ops.adapt_datetimefield_value
            path = f'$."{prop}"'
            cursor.execute(
                """
                SELECT (CAST(strftime('%%s', ts) AS INTEGER) / %s) * %s AS bucket,
                       min(v), avg(v), max(v), count(*)
                FROM (SELECT ts, CASE json_type(body, %s)
                                   WHEN 'integer' THEN json_extract(body, %s) * 1.0
                                   WHEN 'real' THEN json_extract(body, %s)
                                   WHEN 'true' THEN 1.0 WHEN 'false' THEN 0.0 END AS v
                      FROM telemetry_message
                      WHERE device_id = %s AND kind = 't' AND ts >= %s AND ts < %s) points
                WHERE v IS NOT NULL GROUP BY bucket ORDER BY bucket
                """,
                [bucket_seconds, bucket_seconds, path, path, path, device_id, adapt(start), adapt(end)],
            )
        return [
            Bucket(datetime.fromtimestamp(float(b), tz=UTC), float(lo), float(avg), float(hi), int(n))
            for b, lo, avg, hi, n in cursor.fetchall()
        ]


def latest_telemetry(device_id: str, limit: int = 50) -> list[Point]:
    """The device's most recent messages (telemetry and events), newest first."""
    limit = max(1, min(int(limit), 1000))
    rows = (
        TelemetryMessage.objects.filter(device_id=device_id)
        .order_by("-ts", "-seq")
        .values_list("seq", "ts", "kind", "body")[:limit]
    )
    return [Point(seq, ts, kind, body) for seq, ts, kind, body in rows]


@replica_reads
def history_for_viewer(
    actor: Actor, device_id: str, prop: str, start: datetime, end: datetime, bucket_seconds: int
) -> list[Bucket]:
    """The history API's entry: only people who may see the device (owner, shares, staff) get it."""
    from millet.devices.services.ownership import device_for_viewer

    device_for_viewer(actor, device_id)
    return telemetry_history(device_id, prop, start, end, bucket_seconds)


def latest_for_viewer(actor: Actor, device_id: str, limit: int = 50) -> list[Point]:
    from millet.devices.services.ownership import device_for_viewer

    device_for_viewer(actor, device_id)
    return latest_telemetry(device_id, limit)


def events_between(
    device_id: str, start: datetime, end: datetime, *, limit: int
) -> list[tuple[datetime, str]]:
    """The events the device itself reported in ``[start, end)`` by its clock, oldest first: (at, name)."""
    rows = (
        TelemetryMessage.objects.filter(device_id=device_id, kind="e", ts__gte=start, ts__lt=end)
        .order_by("ts", "seq")
        .values_list("ts", "body")[:limit]
    )
    return [(ts, str((body or {}).get("event", ""))) for ts, body in rows]


def reports_since(device_id: str, moment: datetime) -> tuple[int, datetime | None]:
    """How many messages (telemetry or events) the device sent after ``moment``, and the newest one's time."""
    later = TelemetryMessage.objects.filter(device_id=device_id, ts__gt=moment).aggregate(
        count=Count("seq"), last=Max("ts")
    )
    return later["count"], later["last"]


def ingest_stats() -> dict[str, int]:
    """Messages stored, de-duplicated and dropped (by reason) since the database was created."""
    return dict(IngestCounter.objects.order_by("reason").values_list("reason", "count"))


def ingest_stats_for(actor: Actor) -> dict[str, int]:
    actor.require_staff()
    return ingest_stats()


def delete_history(device_id: str) -> int:
    """Wipe a device's stored telemetry (unbinding on return or resale: the owner's data goes)."""
    return storage.delete_device_rows([device_id])


def on_device_data_wiped(sender, *, device_id: str, **kwargs) -> None:
    delete_history(device_id)
