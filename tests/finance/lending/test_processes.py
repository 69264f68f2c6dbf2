"""Repayments and sales refunds racing on the same loans and ledger accounts from separate
PROCESSES on PostgreSQL: nothing is lost and nothing is created.

Four spawned interpreters (``django.setup()`` each, on the test database) hit two loans at once: each
repays both loans several times with its own keys, all four replay one shared key, and each returns a
unit of both orders (refunded to the lender, paying the loan down). Afterwards the counts are exact,
every repayment and refund landed once, and the books, the schedules and the ledger agree.
"""

from __future__ import annotations

import multiprocessing
import random

import pytest
from django.db import connection

from millet.accounts.actor import SYSTEM
from millet.finance.models import Payment
from millet.finance.services import balance, balances, total_balance_check
from millet.lending import services as lending
from millet.lending.models import Loan, LoanEvent
from millet.sales.models import Return
from millet.sales.services import fulfil_order, get_order
from tests.finance.lending import workers
from tests.finance.lending.conftest import apply, placed_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PROCESSES, REPAYMENTS = 4, 3


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_repayments_and_refunds_from_processes_lose_and_create_nothing(require_postgres, credit):
    loans = {}
    for user in ("alice", "bob"):
        order = placed_order(credit, user=user, sku="CABLE-C", quantity=40)
        loan = apply(credit, order, user=user).loan
        fulfil_order(SYSTEM, order.number)
        loans[user] = (loan, order.number, get_order(SYSTEM, order.number).lines.get().pk)
    principal = {user: loan.principal_minor for user, (loan, _, _) in loans.items()}

    plans = []
    for i in range(PROCESSES):
        tasks = [
            ("repay", user, loans[user][0].number, "10.00", f"p{i}-{user}-{j}")
            for user in loans
            for j in range(REPAYMENTS)
        ]
        tasks += [("repay", "alice", loans["alice"][0].number, "10.00", "shared")]
        tasks += [("return", number, line) for _, number, line in loans.values()]
        random.Random(i).shuffle(tasks)
        plans.append(tasks)

    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    connection.close()  # the children open their own; the parent reconnects afterwards
    children = [
        ctx.Process(target=workers.run, args=(_database_url(), plan, barrier, results)) for plan in plans
    ]
    for child in children:
        child.start()
    outcomes = [item for _ in children for item in results.get(timeout=300)]
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0

    assert all(result.startswith("ok:") for _, result in outcomes), outcomes
    shared = {result for task, result in outcomes if task[-1] == "shared"}
    assert len(shared) == 1  # four processes, one key: one repayment
    assert total_balance_check() == 0
    repaid_total = 0
    for user, (loan, number, _) in loans.items():
        loan = Loan.objects.get(pk=loan.pk)
        repayments = LoanEvent.objects.filter(loan=loan, kind="repayment")
        expected = PROCESSES * REPAYMENTS + (1 if user == "alice" else 0)
        assert repayments.count() == expected
        assert sum(e.amount_minor for e in repayments) == expected * 1000
        refunds = LoanEvent.objects.filter(loan=loan, kind="refund")
        assert refunds.count() == Return.objects.filter(order__number=number).count() == PROCESSES
        assert sum(e.principal_minor for e in refunds) == sum(
            int(r.refund_amount * 100) for r in Return.objects.filter(order__number=number)
        )
        paid_principal = sum(e.principal_minor for e in repayments) + sum(e.principal_minor for e in refunds)
        book = balance(f"lending:principal:{loan.number}:CNY")
        assert book.debits_posted - book.credits_posted == loan.outstanding_principal_minor
        assert (
            loan.outstanding_principal_minor
            == principal[user] - paid_principal
            == lending.schedule_outstanding(loan)
        )
        assert Payment.objects.filter(reference=loan.number, status="captured").count() == expected
        repaid_total += expected * 1000
    collections = balances(["lending:collections:CNY"])["lending:collections:CNY"]
    assert collections.credits_posted == collections.debits_posted == repaid_total
