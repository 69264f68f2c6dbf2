"""Telemetry storage and its API: de-duplication, downsampled history, who may read it, partitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from millet.core import partitions
from millet.devices.telemetry import services, storage

T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)


def rows(device_id: str, values: list[int], *, start_seq: int = 1) -> list[storage.Row]:
    return [
        storage.Row(
            device_id, "t", start_seq + i, T0 + timedelta(seconds=30 * i), T0, {"night-vision": v, "on": True}
        )
        for i, v in enumerate(values)
    ]


@pytest.fixture
def owned(fleet):
    """Alice's camera, bound to her by its first connection."""
    from millet.devices.services import set_presence

    (unit,) = fleet.sell("alice")
    set_presence(unit.device_id, True, datetime.now(UTC))
    return unit.device_id


def test_a_batch_stores_each_message_once(owned):
    batch = rows(owned, [0, 1, 1, 0])
    assert len(storage.insert_rows(batch + batch[:2])) == 4  # copies inside one batch collapse
    assert storage.insert_rows(batch[1:]) == []  # a redelivered batch stores nothing
    assert [p.seq for p in services.latest_telemetry(owned, 10)] == [4, 3, 2, 1]


def test_history_is_downsampled_per_bucket(owned):
    storage.insert_rows(rows(owned, [0, 1, 1, 0, 1, 1]))  # 30 s apart
    buckets = services.telemetry_history(owned, "night-vision", T0, T0 + timedelta(hours=1), 60)
    assert [(b.start, b.min, b.avg, b.max, b.count) for b in buckets] == [
        (T0, 0.0, 0.5, 1.0, 2),
        (T0 + timedelta(minutes=1), 0.0, 0.5, 1.0, 2),
        (T0 + timedelta(minutes=2), 1.0, 1.0, 1.0, 2),
    ]
    on = services.telemetry_history(owned, "on", T0, T0 + timedelta(hours=1), 3600)
    assert [(b.avg, b.count) for b in on] == [(1.0, 6)]  # booleans chart as 0/1


def test_the_api_shows_history_only_to_those_who_may_see_the_device(world, owned):
    storage.insert_rows(rows(owned, [0, 1]))
    query = f"prop=night-vision&start={T0.isoformat().replace('+00:00', 'Z')}&bucket_seconds=3600"
    response = world.client("alice").get(f"/telemetry/devices/{owned}/history?{query}")
    assert response.status_code == 200, response.content
    assert response.json()["buckets"][0]["count"] == 2
    assert world.client("bob").get(f"/telemetry/devices/{owned}/history?{query}").status_code == 404
    assert world.client("staff").get(f"/telemetry/devices/{owned}/latest").status_code == 200
    assert world.client("alice").get(f"/telemetry/devices/{owned}/latest?limit=1").json()[0]["seq"] == 2
    bad = world.client("alice").get(f"/telemetry/devices/{owned}/history?prop=x%27y&bucket_seconds=60")
    assert bad.status_code == 422
    tiny = world.client("alice").get(f"/telemetry/devices/{owned}/history?prop=on&bucket_seconds=1")
    assert tiny.json()["error"] == "too_many_buckets"
    assert world.client("alice").get("/telemetry/ingest/stats").status_code == 403
    assert world.client("staff").get("/telemetry/ingest/stats").json() == {}


def test_unbinding_wipes_the_devices_history(owned, commit):
    from millet.devices.events import device_data_wiped

    storage.insert_rows(rows(owned, [0, 1]))
    device_data_wiped.send(sender=None, device_id=owned)
    assert services.latest_telemetry(owned) == []


@pytest.mark.postgres
def test_rows_land_in_day_partitions(require_postgres, owned):
    partitions.ensure_partitions(storage.PARTITIONS, around=T0.date())
    storage.insert_rows(rows(owned, [0]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM telemetry_message WHERE device_id = %s", [owned])
        assert cursor.fetchone()[0] == f"telemetry_message_{T0:%Y%m%d}"


def test_dead_letters_are_counted_in_the_stats_kept_as_examples_and_pruned(world, admin_client):
    from django.urls import reverse

    from millet.devices.telemetry import deadletters
    from millet.devices.telemetry.models import DeadLetter

    topic = "millet/v1/d/dx/telemetry"
    letters = [
        deadletters.Letter("ingest", "too_deep", topic, b"[" * 5000 + b"\x00\xff", "nested 5000 deep")
    ] * 60
    deadletters.record(letters)  # a flood: exact counts, at most PER_CALL examples
    assert world.client("staff").get("/telemetry/ingest/stats").json() == {"too_deep": 60}
    assert DeadLetter.objects.count() == deadletters.PER_CALL
    example = DeadLetter.objects.first()
    assert example.size == 5002 and len(example.excerpt) == deadletters.EXCERPT_BYTES
    page = admin_client.get(reverse("admin:telemetry_deadletter_changelist"))
    assert page.status_code == 200 and "too_deep" in page.content.decode()
    assert admin_client.get(reverse("admin:telemetry_deadletter_add")).status_code == 403
    assert deadletters.prune(keep=10) == deadletters.PER_CALL - 10
    assert DeadLetter.objects.count() == 10
