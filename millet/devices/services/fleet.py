"""Fleet views for staff: who is connected now, activations per day, failures per production batch."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.core.errors import Unprocessable
from millet.devices.models import Device


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
