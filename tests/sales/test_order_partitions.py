"""Orders on PostgreSQL: partitioned by month on created_at, with the order number and the
idempotency key kept unique by ``OrderKey``, written before the order in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from millet.accounts.actor import actor_for_user
from millet.core.errors import Conflict
from millet.core.partitions import ensure_partitions
from millet.sales import services
from millet.sales.models import Order, OrderKey
from millet.sales.services.orders import ORDER_PARTITIONS
from tests import partitioning

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
TABLE = ORDER_PARTITIONS.table


def order(world, quantity: int = 1, **extra) -> Order:
    return services.place_order(
        actor_for_user(world.users["alice"]),
        market="CN",
        lines=[services.LineRequest("CABLE-C", quantity)],
        payment_token="tok_ok",
        **extra,
    )


def test_orders_are_range_partitioned_and_nothing_references_them(require_postgres):
    today = timezone.now().date()
    assert partitioning.strategy(TABLE) == "r"
    assert partitioning.primary_key(TABLE) == ["id", "created_at"]
    expected = {ORDER_PARTITIONS.partition_name(start) for start in ORDER_PARTITIONS.periods(today)}
    assert expected | {f"{TABLE}_default"} <= partitioning.partitions(TABLE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE confrelid = to_regclass(%s)", [TABLE])
        assert cursor.fetchall() == []


def test_an_order_of_next_month_lands_in_its_partition_with_its_key(require_postgres, world):
    now = order(world)
    later = order(world, placed_at=partitioning.next_month(ORDER_PARTITIONS), idempotency_key="next-1")
    assert partitioning.partition_of(TABLE, now.pk) == ORDER_PARTITIONS.partition_name(
        ORDER_PARTITIONS.start_of(now.created_at.date())
    )
    assert partitioning.partition_of(TABLE, later.pk) == f"{TABLE}_{later.created_at:%Y%m}"
    assert later.pk > now.pk
    assert OrderKey.objects.get(number=later.number).idempotency_key == "next-1"
    assert order(world, placed_at=later.created_at, idempotency_key="next-1").number == later.number
    with pytest.raises(Conflict) as refused:
        order(world, quantity=2, idempotency_key="next-1")  # another request with the same key
    assert refused.value.code == "idempotency_key_reused"
    assert Order.objects.filter(idempotency_key="next-1").count() == 1


def test_a_twin_that_missed_the_first_order_is_refused_by_the_key_table(require_postgres, world):
    """The race OrderKey closes: two requests with one key that both found no order before either wrote."""
    first = order(world, idempotency_key="twin")
    with (
        mock.patch("millet.sales.services.orders.replay_order", return_value=None),
        pytest.raises(Conflict) as refused,
    ):
        order(world, idempotency_key="twin")
    assert refused.value.code == "idempotency_key_reused"
    assert list(Order.objects.filter(idempotency_key="twin")) == [first]


def test_an_order_number_is_used_once(require_postgres, world):
    first = order(world)
    with (
        mock.patch("millet.sales.services.orders.document_number", return_value=first.number),
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):
        order(world)
    assert Order.objects.filter(number=first.number).count() == 1


def test_a_stores_orders_of_a_day_read_only_that_days_month(require_postgres, world):
    ensure_partitions(ORDER_PARTITIONS, connection, timezone.now().date() - timedelta(days=150))
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    query = Order.objects.filter(
        store_id=world.stores["SH-001"].pk, created_at__gte=day, created_at__lt=day + timedelta(days=1)
    )
    sql, params = query.query.sql_with_params()
    scanned = partitioning.scanned(sql, list(params))
    assert scanned == {ORDER_PARTITIONS.partition_name(ORDER_PARTITIONS.start_of(day.date()))}


def test_the_minutely_expire_orders_job_puts_back_a_missing_partition(require_postgres):
    """A deployment without the ingest worker still gets its partitions ahead: ``expire_orders``
    (every minute) runs ``ensure_all``."""
    ahead = ORDER_PARTITIONS.partition_name(partitioning.next_month(ORDER_PARTITIONS).date())
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {ahead}")
    assert ahead not in partitioning.partitions(TABLE)
    call_command("expire_orders")
    assert ahead in partitioning.partitions(TABLE)


def test_the_tables_every_checkout_writes_keep_only_indexes_a_read_uses(require_postgres):
    """Each index costs every checkout an entry (issue 14): no LIKE twins of columns matched whole, no
    single-column index a composite one leads with, no order-table index on the idempotency key."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
            [["sales_order", "sales_orderkey", "sales_orderline", "inventory_reservation"]],
        )
        found = cursor.fetchall()
    assert not [d for _, d in found if "pattern_ops" in d]
    order = sorted(d.split(" USING btree ")[1] for t, d in found if t == "sales_order")
    assert order == [
        "(created_at)",
        "(customer_id, created_at DESC)",
        "(fulfilled_at)",
        "(id, created_at)",
        "(number)",
        "(staff_id)",
        "(store_id, created_at DESC)",
        "(voucher_id)",
    ]
    assert any("WHERE (idempotency_key IS NOT NULL)" in d for t, d in found if t == "sales_orderkey")
