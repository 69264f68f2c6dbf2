"""Real concurrency on PostgreSQL: threads with their own connections racing on the same rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from millet.core.errors import DomainError
from millet.finance.models import LedgerAccount, LedgerTransfer, Payment
from millet.finance.services import (
    Posting,
    TransferSpec,
    authorize_payment,
    balance,
    capture_payment,
    create_transfers,
    ensure_account,
    post_pending,
    refund_payment,
    total_balance_check,
    void_pending,
    web_revenue_account,
)
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_refunds_never_over_refund(require_postgres, currencies):
    revenue = web_revenue_account("CN", "CNY")
    payment = authorize_payment(
        reference="SO-1", amount=Decimal("100.00"), currency="CNY", payment_token="tok_ok"
    )
    capture_payment(payment.pk, postings=[Posting(revenue.code, revenue.kind, Decimal("100.00"), "revenue")])
    part = [Posting(revenue.code, revenue.kind, Decimal("30.00"), "refund")]

    results = race(8, lambda i: refund_payment(payment.pk, postings=part))

    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 5 and {r.code for r in refused} == {"refund_exceeds_captured"}
    payment.refresh_from_db()
    assert payment.refunded == Decimal("90.00") and payment.status == Payment.Status.PARTIALLY_REFUNDED
    assert balance(revenue.code).debits_posted == 9000
    assert LedgerTransfer.objects.filter(code="refund").count() == 3
    assert total_balance_check() == 0


def test_concurrent_spending_respects_the_limit(require_postgres, currencies):
    ensure_account("cash:CNY", "CNY", "asset")
    ensure_account("wallet:CNY", "CNY", "liability", debits_must_not_exceed_credits=True)
    ensure_account("shop:CNY", "CNY", "revenue")
    create_transfers([TransferSpec("cash:CNY", "wallet:CNY", 1000, "CNY", "topup")])

    results = race(
        10, lambda i: create_transfers([TransferSpec("wallet:CNY", "shop:CNY", 150, "CNY", "spend")])
    )

    assert sum(not isinstance(r, DomainError) for r in results) == 6
    wallet = balance("wallet:CNY")
    assert (wallet.debits_posted, wallet.credits_posted) == (900, 1000)
    assert LedgerTransfer.objects.filter(code="spend").count() == 6


def test_opposite_transfers_do_not_deadlock(require_postgres, currencies):
    for code in ("a:CNY", "b:CNY", "c:CNY"):
        ensure_account(code, "CNY", "asset")
    pairs = [("a:CNY", "b:CNY"), ("b:CNY", "c:CNY"), ("c:CNY", "a:CNY")]

    def work(i: int):
        specs = [TransferSpec(d, c, 1, "CNY", "shuffle") for d, c in (pairs[i % 3 :] + pairs[: i % 3])]
        return create_transfers(specs if i % 2 else specs[::-1])

    results = race(12, work)

    assert not [r for r in results if isinstance(r, DomainError)]
    assert LedgerTransfer.objects.count() == 36 and total_balance_check() == 0


def test_a_pending_transfer_resolves_once(require_postgres, currencies):
    ensure_account("cash:CNY", "CNY", "asset")
    ensure_account("shop:CNY", "CNY", "revenue")
    (hold,) = create_transfers([TransferSpec("cash:CNY", "shop:CNY", 500, "CNY", "hold", pending=True)])

    results = race(8, lambda i: post_pending(hold.pk) if i % 2 else void_pending(hold.pk))

    assert sum(not isinstance(r, DomainError) for r in results) == 1
    assert {r.code for r in results if isinstance(r, DomainError)} == {"pending_already_resolved"}
    cash = balance("cash:CNY")
    assert cash.debits_pending == 0 and cash.debits_posted in (0, 500)


def test_same_idempotency_key_commits_once(require_postgres, currencies):
    ensure_account("cash:CNY", "CNY", "asset")
    ensure_account("shop:CNY", "CNY", "revenue")
    spec = TransferSpec("cash:CNY", "shop:CNY", 42, "CNY", "sale", idempotency_key="once")

    results = race(8, lambda i: create_transfers([spec])[0].pk)

    assert len(set(results)) == 1 and isinstance(results[0], int)
    assert balance("shop:CNY").credits_posted == 42


def test_ensure_account_races_to_one_row(require_postgres, currencies):
    results = race(8, lambda i: ensure_account("new:CNY", "CNY", "asset").pk)
    assert len(set(results)) == 1
    assert LedgerAccount.objects.filter(code="new:CNY").count() == 1
