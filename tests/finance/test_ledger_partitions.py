"""Ledger transfers on PostgreSQL: partitioned by month on created_at, with their unique rules
(an idempotency key once, a pending transfer resolved once) kept in unpartitioned claim tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from millet.core.errors import Conflict
from millet.core.partitions import ensure_partitions
from millet.finance.models import LedgerKey, LedgerResolution, LedgerTransfer
from millet.finance.services import (
    TransferSpec,
    create_transfers,
    post_pending,
    revenue_between,
    void_pending,
)
from millet.finance.services.ledger import PostPending, VoidPending
from millet.finance.services.ledger_storage import ONE_STATEMENT_TRANSFERS, TRANSFER_PARTITIONS
from millet.finance.services.reporting import POSTED_KINDS
from tests import partitioning

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
TABLE = TRANSFER_PARTITIONS.table


def spec(amount=100, **kw) -> TransferSpec:
    return TransferSpec(
        debit="cash:CNY", credit="sales:CNY", amount=amount, currency="CNY", code="test", **kw
    )


def next_month_clock():
    """The ledger's write clock (``ledger_storage``) set to midday on the first of next month."""
    return mock.patch(
        "millet.finance.services.ledger_storage.timezone.now",
        return_value=partitioning.next_month(TRANSFER_PARTITIONS),
    )


def test_transfers_are_range_partitioned_and_nothing_references_them(require_postgres):
    today = timezone.now().date()
    assert partitioning.strategy(TABLE) == "r"
    assert partitioning.primary_key(TABLE) == ["id", "created_at"]
    expected = {TRANSFER_PARTITIONS.partition_name(start) for start in TRANSFER_PARTITIONS.periods(today)}
    assert expected | {f"{TABLE}_default"} <= partitioning.partitions(TABLE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE confrelid = to_regclass(%s)", [TABLE])
        assert cursor.fetchall() == []
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s)", [TABLE])
        assert ("finance_transfer_immutable",) in cursor.fetchall()


@pytest.mark.parametrize("size", [1, ONE_STATEMENT_TRANSFERS + 1], ids=["one statement", "copy"])
def test_a_keyed_transfer_of_next_month_lands_in_its_partition_and_replays(require_postgres, accounts, size):
    keys = [f"next-month-{n}" for n in range(size)]
    with next_month_clock():
        stored = create_transfers([spec(idempotency_key=key) for key in keys])
    month = f"{TABLE}_{partitioning.next_month(TRANSFER_PARTITIONS):%Y%m}"
    assert {partitioning.partition_of(TABLE, t.pk) for t in stored} == {month}
    assert LedgerKey.objects.get(idempotency_key=keys[0]).transfer_id == stored[0].pk
    (again,) = create_transfers([spec(idempotency_key=keys[0])])  # today's clock, next month's row
    assert again.pk == stored[0].pk
    with pytest.raises(Conflict) as refused:
        create_transfers([spec(amount=101, idempotency_key=keys[0])])
    assert refused.value.code == "idempotency_key_reused"
    assert LedgerTransfer.objects.filter(idempotency_key=keys[0]).count() == 1


def test_the_database_refuses_a_key_twice_when_the_service_does_not_see_the_first(require_postgres, accounts):
    """The race the claim table closes: two writers that both read "no such key" before either commits."""
    create_transfers([spec(idempotency_key="raced")])
    with (
        mock.patch("millet.finance.services.ledger._stored_by_key", return_value={}),
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):
        create_transfers([spec(idempotency_key="raced")])
    assert LedgerTransfer.objects.filter(idempotency_key="raced").count() == 1


def test_a_pending_transfer_is_resolved_once_even_across_months(require_postgres, accounts):
    (hold,) = create_transfers([spec(pending=True)])
    with next_month_clock():
        posted = post_pending(hold.pk)
    assert LedgerResolution.objects.get(pending_id=hold.pk).transfer_id == posted.pk
    assert partitioning.partition_of(TABLE, posted.pk) != partitioning.partition_of(TABLE, hold.pk)
    with pytest.raises(Conflict) as refused:
        void_pending(hold.pk)
    assert refused.value.code == "pending_already_resolved"
    with (
        mock.patch("millet.finance.services.ledger._lock_pendings", wraps=_blind_locks),
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):
        void_pending(hold.pk)


def _blind_locks(entries):
    """``_lock_pendings`` that forgets which pending transfers are resolved (a service bug)."""
    ids = [e.pending_id for e in entries if isinstance(e, PostPending | VoidPending)]
    return {t.pk: t for t in LedgerTransfer.objects.filter(pk__in=ids)}, set()


def test_a_days_revenue_reads_only_that_days_month(require_postgres, accounts):
    """``revenue_between`` for a store's day (the stores' and insights' read) prunes other months."""
    old = timezone.now().date() - timedelta(days=150)
    ensure_partitions(TRANSFER_PARTITIONS, connection, old)
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    create_transfers([spec(amount=250)])
    assert revenue_between(["sales:CNY"], day, day + timedelta(days=1)) == {"sales:CNY": 250}
    query = LedgerTransfer.objects.filter(
        kind__in=POSTED_KINDS, created_at__gte=day, created_at__lt=day + timedelta(days=1)
    ).filter(credit_account__code__in=["sales:CNY"])
    sql, params = query.query.sql_with_params()
    scanned = partitioning.scanned(sql, list(params))
    assert TRANSFER_PARTITIONS.partition_name(TRANSFER_PARTITIONS.start_of(old)) not in scanned
    assert {name for name in scanned if name.startswith(TABLE)} == {
        TRANSFER_PARTITIONS.partition_name(TRANSFER_PARTITIONS.start_of(day.date()))
    }
