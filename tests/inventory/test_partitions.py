"""Stock movements on PostgreSQL: partitioned by month on created_at, kept ahead by the maintenance job."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from millet.core import partitions
from millet.inventory.models import StockMovement
from millet.inventory.services.stock import MOVEMENT_PARTITIONS
from tests import partitioning

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
TABLE = MOVEMENT_PARTITIONS.table


def test_the_journal_is_range_partitioned_with_this_month_the_next_two_and_a_default(require_postgres):
    today = timezone.now().date()
    assert partitioning.strategy(TABLE) == "r"
    assert partitioning.primary_key(TABLE) == ["id", "created_at"]
    expected = {MOVEMENT_PARTITIONS.partition_name(start) for start in MOVEMENT_PARTITIONS.periods(today)}
    assert len(expected) == 3
    assert expected | {f"{TABLE}_default"} <= partitioning.partitions(TABLE)


def test_a_movement_of_next_month_lands_in_its_partition_and_ids_go_on(require_postgres, world):
    world.receive("CABLE-C", "WH-CN-SH", 3)
    first = StockMovement.objects.latest("id")
    assert partitioning.partition_of(TABLE, first.pk) == MOVEMENT_PARTITIONS.partition_name(
        MOVEMENT_PARTITIONS.start_of(first.created_at.date())
    )
    later = partitioning.next_month(MOVEMENT_PARTITIONS)
    StockMovement.objects.filter(pk=first.pk).update(created_at=later)
    assert partitioning.partition_of(TABLE, first.pk) == f"{TABLE}_{later:%Y%m}"
    world.receive("CABLE-C", "WH-CN-SH", 1)
    assert StockMovement.objects.latest("id").pk > first.pk


def test_the_job_creates_months_ahead_and_leaves_a_month_whose_rows_are_in_the_default(
    require_postgres, world, caplog
):
    world.receive("CABLE-C", "WH-CN-SH", 1)
    moved = StockMovement.objects.latest("id")
    far = timezone.now() + timedelta(days=200)  # past the months created ahead: the default partition
    StockMovement.objects.filter(pk=moved.pk).update(created_at=far)
    assert partitioning.partition_of(TABLE, moved.pk) == f"{TABLE}_default"
    around = MOVEMENT_PARTITIONS.shift(MOVEMENT_PARTITIONS.start_of(far.date()), -2)  # far's month is due
    with caplog.at_level(logging.WARNING, logger="millet.core.partitions"):
        created = partitions.ensure_all(connection, around)
    names = partitioning.partitions(TABLE)
    assert MOVEMENT_PARTITIONS.partition_name(MOVEMENT_PARTITIONS.start_of(around)) in names
    assert MOVEMENT_PARTITIONS.partition_name(MOVEMENT_PARTITIONS.start_of(far.date())) not in names
    assert created >= 1
    assert f"{TABLE}_default" in caplog.text
    assert StockMovement.objects.get(pk=moved.pk).created_at == far


def test_a_read_since_a_day_scans_only_the_months_it_can_touch(require_postgres):
    """The replenishment read (``levels._suggestions``): sales since 30 days ago."""
    today = timezone.now().date()
    partitions.ensure_partitions(MOVEMENT_PARTITIONS, connection, today - timedelta(days=150))
    since = timezone.now() - timedelta(days=1)
    sql, params = StockMovement.objects.filter(reason="sale", created_at__gte=since).query.sql_with_params()
    scanned = partitioning.scanned(sql, list(params))
    old = MOVEMENT_PARTITIONS.partition_name(MOVEMENT_PARTITIONS.start_of(today - timedelta(days=150)))
    assert old in partitioning.partitions(TABLE)
    assert old not in scanned
    assert MOVEMENT_PARTITIONS.partition_name(MOVEMENT_PARTITIONS.start_of(today)) in scanned
