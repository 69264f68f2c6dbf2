"""Fleet views for staff: who is connected now, activations per day, failures per production batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, timedelta

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.core.errors import Unprocessable
from millet.devices.models import Device, UnitSale

CHUNK = 5_000  # serials per query (SQLite's limit of bound parameters)


def connected_now(actor: Actor) -> dict:
    """Online devices in total and grouped by model, region and firmware (all three together)."""
    actor.require_staff()
    online = Device.objects.filter(online=True, enabled=True)
    groups = (
        online.values("model_urn", "region", "firmware_version")
        .annotate(count=Count("pk"))
        .order_by("model_urn", "region", "firmware_version")
    )
    return {
        "online": online.count(),
        "devices": Device.objects.count(),
        "groups": [dict(g) for g in groups],
    }


def activations_per_day(actor: Actor, days: int = 30) -> list[tuple]:
    actor.require_staff()
    if not isinstance(days, int) or not 1 <= days <= 366:
        raise Unprocessable("days must be 1 to 366", code="invalid_days")
    since = timezone.now() - timedelta(days=days)
    rows = (
        Device.objects.filter(activated_at__gte=since)
        .annotate(day=TruncDate("activated_at"))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by("day")
    )
    return [(r["day"], r["count"]) for r in rows]


def failures_by_batch(actor: Actor) -> list[dict]:
    """Share of each batch's units with a fault (a return or a failed update): quality control's input."""
    actor.require_staff()
    rows = (
        Device.objects.values("batch", "model_urn")
        .annotate(devices=Count("pk"), failed=Count("pk", filter=Q(faults__gt=0)))
        .order_by("batch", "model_urn")
    )
    return [
        {**r, "failure_rate": round(r["failed"] / r["devices"], 4) if r["devices"] else 0.0} for r in rows
    ]


@dataclass(frozen=True)
class OnlineCount:
    model_urn: str
    firmware_version: str
    online: int  # enabled units of this model on this firmware online now (0 included)


def online_by_model_and_firmware(actor: Actor) -> list[OnlineCount]:
    """Devices online now per model and firmware version, with a 0 for every pair that has an
    enabled unit offline (so a snapshot records a model going dark). Staff only (403)."""
    actor.require_staff()
    rows = (
        Device.objects.filter(enabled=True)
        .values("model_urn", "firmware_version")
        .annotate(online=Count("pk", filter=Q(online=True)))
        .order_by("model_urn", "firmware_version")
    )
    return [OnlineCount(r["model_urn"], r["firmware_version"], r["online"]) for r in rows]


@dataclass(frozen=True)
class BatchSales:
    batch: str
    day: date  # the UTC day the units were sold (the latest sale of a unit sold twice)
    sold: int  # units of the batch sold that day
    failed: int  # of those, units named in ``failed``


def batch_sales(actor: Actor, *, failed: Collection[str]) -> list[BatchSales]:
    """Units sold per production batch and UTC day of sale, and how many of them are among the
    ``failed`` serials (quality control's failures, e.g. returned as defective or with a breakdown
    claim accepted, gathered by the caller from sales and insurance). A unit counts once, on the
    day of its latest sale (``UnitSale``: what sales told the device cloud); a sold serial with no
    factory identity has no batch and is left out. Ordered by batch, then day. Staff only (403)."""
    actor.require_staff()
    batch_of = Subquery(Device.objects.filter(serial=OuterRef("serial")).values("batch")[:1])

    def per_day(sales) -> dict[tuple[str, date], int]:
        rows = (
            sales.annotate(batch=batch_of, day=TruncDate("sold_at", tzinfo=UTC))
            .filter(batch__isnull=False)
            .values("batch", "day")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {(r["batch"], r["day"]): r["n"] for r in rows}

    sold = per_day(UnitSale.objects.all())
    failures: dict[tuple[str, date], int] = defaultdict(int)
    serials = sorted(set(failed))
    for start in range(0, len(serials), CHUNK):
        for key, n in per_day(UnitSale.objects.filter(serial__in=serials[start : start + CHUNK])).items():
            failures[key] += n
    return [BatchSales(batch, day, n, failures[(batch, day)]) for (batch, day), n in sorted(sold.items())]
