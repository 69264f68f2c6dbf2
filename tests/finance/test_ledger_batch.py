"""Batches of independent chains: each chain commits or fails whole, each gets its own result,
and a refused chain leaves the others (and the ledger's sums and limits) intact."""

from __future__ import annotations

import pytest
from django.db import connection

from millet.core.errors import Unprocessable
from millet.finance.models import LedgerTransfer
from millet.finance.services import (
    MAX_BATCH_TRANSFERS,
    PostPending,
    TransferSpec,
    VoidPending,
    balance,
    create_transfers,
    submit_batch,
    total_balance_check,
)
from tests.concurrency import race


def spec(debit="cash:CNY", credit="sales:CNY", amount=100, **kw) -> TransferSpec:
    return TransferSpec(
        debit=debit, credit=credit, amount=amount, currency=kw.pop("currency", "CNY"), code="test", **kw
    )


def fund(amount: int, **kw) -> TransferSpec:
    """Money into the wallet (a liability that cannot go negative)."""
    return spec(debit="cash:CNY", credit="wallet:CNY", amount=amount, **kw)


def spend(amount: int, **kw) -> TransferSpec:
    return spec(debit="wallet:CNY", credit="sales:CNY", amount=amount, **kw)


def wallet() -> int:
    b = balance("wallet:CNY")
    return b.credits_posted - b.debits_posted


@pytest.mark.django_db
def test_each_chain_gets_its_own_result_and_refusals_store_nothing(accounts):
    results = submit_batch(
        [
            spec(amount=500),
            [fund(100), spend(150)],  # linked: the spend breaks the wallet's limit, so neither lands
            spec(debit="nope:CNY"),
            spec(amount=-1),
            spec(credit="cash:EUR"),
            [],
            [fund(300), spend(200)],
        ]
    )
    assert [r.ok for r in results] == [True, False, False, False, False, False, True]
    assert [r.error for r in results] == [
        "",
        "exceeds_balance_limit",
        "unknown_account",
        "invalid_amount",
        "currency_mismatch",
        "empty_chain",
        "",
    ]
    assert [r.status for r in results[1:6]] == [409, 404, 422, 422, 422]
    assert "wallet:CNY" in results[1].detail
    assert LedgerTransfer.objects.count() == 3
    assert all(t.pk for r in results for t in r.transfers)
    assert results[6].transfers[0].batch == results[6].transfers[1].batch != results[0].transfers[0].batch
    assert wallet() == 100
    assert balance("cash:CNY").debits_posted == 800
    assert total_balance_check() == 0


@pytest.mark.django_db
def test_later_chains_see_the_balances_earlier_chains_left(accounts):
    results = submit_batch([fund(100), spend(80), spend(30), spend(20)])
    assert [r.error for r in results] == ["", "", "exceeds_balance_limit", ""]
    assert wallet() == 0


@pytest.mark.django_db
def test_idempotency_keys_replay_across_and_within_batches(accounts):
    (first,) = submit_batch([spec(amount=7, idempotency_key="k1")])
    again = submit_batch([spec(amount=7, idempotency_key="k1"), spec(amount=8, idempotency_key="k1")])
    assert again[0].transfers[0].pk == first.transfers[0].pk
    assert again[1].error == "idempotency_key_reused"
    twice = submit_batch([spec(amount=9, idempotency_key="k2"), spec(amount=9, idempotency_key="k2")])
    assert twice[0].ok and twice[1].ok and twice[0].transfers[0] is twice[1].transfers[0]
    dup = submit_batch([[spec(idempotency_key="k3"), spec(idempotency_key="k3")]])
    assert dup[0].error == "duplicate_idempotency_key"
    assert LedgerTransfer.objects.count() == 2
    assert balance("cash:CNY").debits_posted == 16


@pytest.mark.django_db
def test_pending_transfers_resolve_once_per_batch(accounts):
    (hold,) = create_transfers([spec(amount=50, pending=True)])
    results = submit_batch(
        [[PostPending(hold.pk, 30), spec(amount=1)], VoidPending(hold.pk), PostPending(10**9), VoidPending(0)]
    )
    assert [r.error for r in results] == [
        "",
        "pending_already_resolved",
        "unknown_transfer",
        "unknown_transfer",
    ]
    cash = balance("cash:CNY")
    assert (cash.debits_pending, cash.debits_posted) == (0, 31)
    assert total_balance_check() == 0


@pytest.mark.django_db
def test_a_batch_costs_a_few_queries_not_one_per_transfer(accounts, django_assert_max_num_queries):
    chains = [[fund(3), spend(1)] for _ in range(200)] + [spec(amount=n) for n in range(1, 201)]
    # SQLite caps the variables of one statement, so Django splits the INSERT into ~80-row parts there
    with django_assert_max_num_queries(10 if connection.vendor == "postgresql" else 20):
        results = submit_batch(chains)
    assert all(r.ok for r in results)
    assert LedgerTransfer.objects.count() == 600
    assert wallet() == 400


@pytest.mark.django_db
def test_oversized_batches_are_refused_whole(accounts):
    with pytest.raises(Unprocessable) as refused:
        submit_batch([spec()] * (MAX_BATCH_TRANSFERS + 1))
    assert refused.value.code == "batch_too_large"
    assert submit_batch([]) == []
    assert LedgerTransfer.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_never_break_a_limit(require_postgres, accounts):
    submit_batch([fund(1000)])
    outcomes = race(8, lambda i: submit_batch([spend(20) for _ in range(10)]))
    accepted = sum(r.ok for batch in outcomes for r in batch)
    refused = {r.error for batch in outcomes for r in batch if not r.ok}
    assert accepted == 50 and refused == {"exceeds_balance_limit"}
    assert wallet() == 0
    assert LedgerTransfer.objects.filter(debit_account__code="wallet:CNY").count() == 50
    assert total_balance_check() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_batches_with_one_idempotency_key_store_it_once(require_postgres, accounts):
    outcomes = race(6, lambda i: submit_batch([spec(amount=42, idempotency_key="once")]))
    assert all(batch[0].ok for batch in outcomes)
    assert len({batch[0].transfers[0].pk for batch in outcomes}) == 1
    assert LedgerTransfer.objects.filter(idempotency_key="once").count() == 1
    assert balance("cash:CNY").debits_posted == 42


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 65], ids=["one-statement", "copy"])
def test_a_back_dated_posting_keeps_its_business_day_on_every_write_path(accounts, size):
    """A store's daily takings posted later keep their ``booked_on`` whichever way PostgreSQL writes
    the batch (one statement up to 64 transfers, COPY above; ledger_storage.write_batch)."""
    from datetime import date

    results = submit_batch([spec(amount=1, booked_on=date(2016, 11, 11)) for _ in range(size)])
    ids = [transfer.pk for result in results for transfer in result.transfers]
    days = set(LedgerTransfer.objects.filter(pk__in=ids).values_list("booked_on", flat=True))
    assert len(ids) == size and days == {date(2016, 11, 11)}
