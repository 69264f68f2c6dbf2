from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.finance import services as shared_accounts
from millet.finance.models import LedgerAccount, LedgerTransfer, Payment
from millet.finance.services import (
    PostPending,
    TransferSpec,
    balance,
    create_transfers,
    ensure_account,
    expire_pending_transfers,
    post_pending,
    total_balance_check,
    void_pending,
)
from millet.finance.services.ledger_storage import ONE_STATEMENT_TRANSFERS


def spec(debit="cash:CNY", credit="sales:CNY", amount=100, **kw) -> TransferSpec:
    return TransferSpec(
        debit=debit, credit=credit, amount=amount, currency=kw.pop("currency", "CNY"), code="test", **kw
    )


def test_transfer_moves_posted_balances(accounts):
    (t,) = create_transfers([spec(amount=1250, reference="SO-1")])
    assert t.pk and t.kind == LedgerTransfer.Kind.SINGLE and t.reference == "SO-1"
    assert balance("cash:CNY").debits_posted == 1250
    assert balance("sales:CNY").credits_posted == 1250
    assert total_balance_check() == 0


def test_linked_batch_shares_one_batch_and_one_update_per_account(accounts, django_assert_max_num_queries):
    specs = [spec(amount=n) for n in range(1, 21)]
    # lookups + 2 account UPDATEs + 1 bulk INSERT (+ savepoint bookkeeping), not one per transfer
    with django_assert_max_num_queries(8):
        transfers = create_transfers(specs)
    assert [t.amount for t in transfers] == list(range(1, 21))
    assert len({t.batch for t in transfers}) == 1
    assert balance("cash:CNY").debits_posted == sum(range(1, 21))


@pytest.mark.parametrize(
    ("bad", "error", "code"),
    [
        (spec(debit="nope:CNY"), NotFound, "unknown_account"),
        (spec(credit="cash:EUR"), Unprocessable, "currency_mismatch"),
        (spec(debit="cash:EUR", credit="sales:CNY", currency="EUR"), Unprocessable, "currency_mismatch"),
        (spec(amount=0), Unprocessable, "invalid_amount"),
        (spec(amount=-5), Unprocessable, "invalid_amount"),
        (spec(amount=True), Unprocessable, "invalid_amount"),
        (spec(amount=1.5), Unprocessable, "invalid_amount"),
        (spec(credit="cash:CNY"), Unprocessable, "same_account"),
        (spec(pending_timeout_seconds=60), Unprocessable, "invalid_timeout"),
        (spec("wallet:CNY"), Conflict, "exceeds_balance_limit"),
    ],
)
def test_bad_batches_write_nothing(accounts, snapshot, bad, error, code):
    before = snapshot()
    with pytest.raises(error) as excinfo:
        create_transfers([spec(amount=7, idempotency_key="good-leg"), bad])
    assert excinfo.value.code == code
    assert snapshot() == before


def test_limit_is_checked_on_the_batch_net_effect(accounts):
    """Funding and spending a wallet in one linked batch is fine; spending more than funded is not."""
    create_transfers([spec("cash:CNY", "wallet:CNY", 500), spec("wallet:CNY", "sales:CNY", 500)])
    assert balance("wallet:CNY").debits_posted == balance("wallet:CNY").credits_posted == 500
    with pytest.raises(Conflict):
        create_transfers([spec("cash:CNY", "wallet:CNY", 100), spec("wallet:CNY", "sales:CNY", 101)])


def test_credit_limit(accounts):
    ensure_account("inventory:CNY", "CNY", "asset", credits_must_not_exceed_debits=True)
    with pytest.raises(Conflict, match="inventory"):
        create_transfers([spec("sales:CNY", "inventory:CNY", 1)])
    create_transfers([spec("inventory:CNY", "sales:CNY", 3), spec("sales:CNY", "inventory:CNY", 3)])


def test_idempotent_replay_returns_first_and_changes_nothing(accounts, snapshot):
    (first,) = create_transfers([spec(amount=300, idempotency_key="k1")])
    before = snapshot()
    (again,) = create_transfers([spec(amount=300, idempotency_key="k1")])
    assert again.pk == first.pk
    assert snapshot() == before
    with pytest.raises(Conflict) as excinfo:
        create_transfers([spec(amount=301, idempotency_key="k1")])
    assert excinfo.value.code == "idempotency_key_reused"
    assert snapshot() == before


def test_duplicate_key_within_a_batch_is_refused(accounts, snapshot):
    before = snapshot()
    with pytest.raises(Unprocessable):
        create_transfers([spec(idempotency_key="dup"), spec(idempotency_key="dup")])
    assert snapshot() == before


def test_pending_post_partial_and_void(accounts):
    (hold,) = create_transfers([spec(amount=1000, pending=True)])
    cash = balance("cash:CNY")
    assert (cash.debits_pending, cash.debits_posted) == (1000, 0)
    post = post_pending(hold.pk, amount=600)
    assert post.kind == LedgerTransfer.Kind.POST_PENDING and post.pending_id == hold.pk and post.amount == 600
    cash, sales = balance("cash:CNY"), balance("sales:CNY")
    assert (cash.debits_pending, cash.debits_posted, sales.credits_pending, sales.credits_posted) == (
        0,
        600,
        0,
        600,
    )
    with pytest.raises(Conflict) as excinfo:
        void_pending(hold.pk)
    assert excinfo.value.code == "pending_already_resolved"

    (hold2,) = create_transfers([spec(amount=50, pending=True)])
    void = void_pending(hold2.pk)
    assert void.amount == 50 and balance("cash:CNY").debits_pending == 0
    with pytest.raises(Conflict):
        post_pending(hold2.pk)
    assert total_balance_check() == 0


def test_post_more_than_pending_or_non_pending_is_refused(accounts, snapshot):
    (hold,) = create_transfers([spec(amount=10, pending=True)])
    (single,) = create_transfers([spec(amount=10)])
    before = snapshot()
    with pytest.raises(Unprocessable) as excinfo:
        post_pending(hold.pk, amount=11)
    assert excinfo.value.code == "exceeds_pending_amount"
    with pytest.raises(Unprocessable):
        post_pending(single.pk)
    with pytest.raises(NotFound):
        void_pending(999_999)
    with pytest.raises(Conflict):
        create_transfers([PostPending(hold.pk), PostPending(hold.pk, idempotency_key="x")])
    assert snapshot() == before


def test_resolution_replay_by_key(accounts):
    (hold,) = create_transfers([spec(amount=10, pending=True)])
    first = post_pending(hold.pk, idempotency_key="post-1")
    assert post_pending(hold.pk, idempotency_key="post-1").pk == first.pk
    with pytest.raises(Conflict):
        post_pending(hold.pk, amount=5, idempotency_key="post-1")


def test_pending_counts_against_limits(accounts):
    create_transfers([spec("cash:CNY", "wallet:CNY", 100)])
    create_transfers([spec("wallet:CNY", "sales:CNY", 80, pending=True)])
    with pytest.raises(Conflict):
        create_transfers([spec("wallet:CNY", "sales:CNY", 21)])
    create_transfers([spec("wallet:CNY", "sales:CNY", 20)])


def test_expired_pending_can_only_be_voided_and_the_job_voids_it(accounts):
    (hold,) = create_transfers([spec(amount=10, pending=True, pending_timeout_seconds=60)])
    (keep,) = create_transfers([spec(amount=5, pending=True, pending_timeout_seconds=3600)])
    later = timezone.now() + timedelta(seconds=120)
    assert expire_pending_transfers(now=later) == 1
    assert LedgerTransfer.objects.get(pending=hold).kind == LedgerTransfer.Kind.VOID_PENDING
    assert balance("cash:CNY").debits_pending == 5
    assert expire_pending_transfers(now=later) == 0
    assert not LedgerTransfer.objects.filter(pending=keep).exists()


def test_posting_an_expired_pending_is_refused(accounts, snapshot):
    (hold,) = create_transfers([spec(amount=10, pending=True, pending_timeout_seconds=1)])
    before = snapshot()
    later = timezone.now() + timedelta(seconds=5)
    with (
        mock.patch("millet.finance.services.ledger.timezone.now", return_value=later),
        pytest.raises(Conflict) as excinfo,
    ):
        post_pending(hold.pk)
    assert excinfo.value.code == "pending_expired"
    assert snapshot() == before
    assert void_pending(hold.pk).kind == LedgerTransfer.Kind.VOID_PENDING


def test_ensure_account_is_get_or_create_and_refuses_disagreement(accounts):
    again = ensure_account("cash:CNY", "CNY", "asset")
    assert again.pk == accounts["cash"].pk
    with pytest.raises(Conflict) as excinfo:
        ensure_account("cash:CNY", "CNY", "liability")
    assert excinfo.value.code == "account_mismatch"
    with pytest.raises(Unprocessable):
        ensure_account("x:XXX", "XXX", "asset")
    with pytest.raises(Unprocessable):
        ensure_account("x:CNY", "CNY", "nonsense")
    assert LedgerAccount.objects.count() == 4


def test_shared_account_codes(accounts):
    assert shared_accounts.gateway_account("test", "CNY").code == "gateway:test:CNY"
    funds = shared_accounts.customer_funds_account("INR")
    assert (funds.code, funds.kind, funds.debits_must_not_exceed_credits) == (
        "customer-funds:INR",
        "liability",
        True,
    )
    assert shared_accounts.store_revenue_account("SH-001", "CNY").code == "revenue:store:SH-001:CNY"
    assert shared_accounts.web_revenue_account("IN", "INR").kind == "revenue"
    assert shared_accounts.tax_payable_account("IN", "CGST", "INR").code == "tax:IN:CGST:INR"
    with pytest.raises(Unprocessable):
        shared_accounts.store_revenue_account("bad:code", "CNY")


def test_transfers_refuse_change_through_the_orm(accounts):
    (t,) = create_transfers([spec(amount=10)])
    t.amount = 1
    with pytest.raises(ValueError):
        t.save()
    with pytest.raises(ValueError):
        t.delete()
    with pytest.raises(ValueError), transaction.atomic():
        LedgerTransfer.objects.filter(pk=t.pk).update(amount=1)
    with pytest.raises(ValueError), transaction.atomic():
        LedgerTransfer.objects.filter(pk=t.pk).delete()
    assert LedgerTransfer.objects.get(pk=t.pk).amount == 10


def test_transfers_refuse_change_through_raw_sql(accounts):
    (t,) = create_transfers([spec(amount=10)])
    table = LedgerTransfer._meta.db_table
    statements = [f"UPDATE {table} SET amount = 1 WHERE id = %s"]
    if connection.vendor == "postgresql":  # SQLite's flush needs DELETE: see migration 0002
        statements.append(f"DELETE FROM {table} WHERE id = %s")
    for sql in statements:
        with (
            pytest.raises(IntegrityError, match="immutable"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [t.pk])
    assert LedgerTransfer.objects.get(pk=t.pk).amount == 10


def test_every_database_refuses_deleting_a_transfer_through_raw_sql(accounts):
    """SQLite too: its trigger lets only ``flush`` (the owner's reset, as TRUNCATE is on PostgreSQL)
    delete, through Millet's SQLite backend; any other DELETE is refused in the database itself."""
    (t,) = create_transfers([spec(amount=10)])
    with (
        pytest.raises(IntegrityError, match="immutable"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {LedgerTransfer._meta.db_table} WHERE id = %s", [t.pk])
    assert LedgerTransfer.objects.filter(pk=t.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_flush_still_empties_the_ledger(currencies):
    """The owner's reset keeps working on both databases (the test runner and ``demo --flush`` use it)."""
    ensure_account("cash:CNY", "CNY", "asset")
    ensure_account("sales:CNY", "CNY", "revenue")
    create_transfers([spec(amount=10)])
    call_command("flush", interactive=False, verbosity=0)
    assert not LedgerTransfer.objects.exists()


def _payment() -> Payment:
    return Payment(
        reference="SO-1", gateway="test", currency="CNY", amount=Decimal("1.00"), status="authorized"
    )


@pytest.mark.parametrize("size", [1, ONE_STATEMENT_TRANSFERS + 1], ids=["one statement", "its own insert"])
def test_a_linked_row_is_stored_naming_the_chain_first_transfer(accounts, size):
    payment = _payment()
    transfers = create_transfers([spec(amount=n) for n in range(1, size + 1)], linked_row=payment)
    stored = Payment.objects.get(pk=payment.pk)
    assert stored.authorization_id == transfers[0].pk and payment.authorization is transfers[0]
    assert (stored.amount, stored.created_at) == (Decimal("1.00"), payment.created_at)
    assert not payment._state.adding


def test_a_refused_chain_stores_no_linked_row_and_the_transaction_goes_on(accounts, snapshot):
    before = snapshot()
    with pytest.raises(Conflict) as excinfo:
        create_transfers([spec("wallet:CNY")], linked_row=_payment())
    assert excinfo.value.code == "exceeds_balance_limit" and "wallet:CNY" in excinfo.value.detail
    assert snapshot() == before  # nothing written, and the transaction still answers
    create_transfers([spec()], linked_row=_payment())
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("entry", [spec(idempotency_key="k"), PostPending(1)], ids=["keyed", "resolution"])
def test_a_linked_row_needs_a_chain_of_new_transfers(accounts, entry):
    with pytest.raises(ValueError, match="linked row"):
        create_transfers([entry], linked_row=_payment())
