"""The hot gateway and customer-funds accounts split into sub-accounts (issue 14): each payment books
to the one its reference picks, and every reader of the parent code (balance, account detail, trial
balance, journal, transfer list) sees the whole account, exactly."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from millet.accounts.actor import SYSTEM
from millet.finance.models import LedgerAccount
from millet.finance.services import (
    Posting,
    account_detail,
    authorize_payment,
    balance,
    balances,
    capture_payment,
    journal,
    list_transfers,
    refund_payment,
    total_balance_check,
    trial_balance,
    web_revenue_account,
)
from millet.finance.services.chart import sub_account_for

REFERENCES = [f"CN261129-{n:08X}" for n in range(24)]


def pay(reference: str, amount: str = "10.00"):
    return authorize_payment(
        reference=reference, amount=Decimal(amount), currency="CNY", payment_token="tok_ok"
    )


def revenue(amount: str = "10.00") -> list[Posting]:
    account = web_revenue_account("CN", "CNY")
    return [Posting(account.code, account.kind, Decimal(amount), "revenue")]


def test_payments_spread_over_sub_accounts_and_the_parent_sums_them(currencies, settings):
    settings.MILLET_LEDGER_SUB_ACCOUNTS = 4
    for reference in REFERENCES:
        pay(reference)
    subs = {sub_account_for(r) for r in REFERENCES}
    assert len(subs) > 1  # the load really spreads
    rows = LedgerAccount.objects.filter(code__startswith="customer-funds:CNY")
    assert {r.code for r in rows} == {"customer-funds:CNY"} | {f"customer-funds:CNY#{s}" for s in subs if s}
    assert sum(r.credits_pending for r in rows) == 1000 * len(REFERENCES)
    assert balance("customer-funds:CNY").credits_pending == 1000 * len(REFERENCES)
    assert balance("gateway:test:CNY").debits_pending == 1000 * len(REFERENCES)
    assert balances(["gateway:test:CNY"])["gateway:test:CNY"].debits_pending == 1000 * len(REFERENCES)
    assert account_detail(SYSTEM, "customer-funds:CNY").credits_pending == 1000 * len(REFERENCES)
    one = next(s for s in subs if s)  # a sub-account read by its own code is itself alone
    own = sum(1000 for r in REFERENCES if sub_account_for(r) == one)
    assert balance(f"customer-funds:CNY#{one}").credits_pending == own


def test_capture_and_refund_leave_every_sub_account_within_its_limit(currencies, settings):
    settings.MILLET_LEDGER_SUB_ACCOUNTS = 4
    payments = [pay(reference) for reference in REFERENCES]
    for payment in payments:
        capture_payment(payment.pk, postings=revenue())
    refund_payment(payments[0].pk, postings=revenue("4.00"))
    funds = LedgerAccount.objects.filter(code__startswith="customer-funds:CNY")
    assert all(a.debits_posted == a.credits_posted and a.credits_pending == 0 for a in funds)
    gateway = balance("gateway:test:CNY")
    assert gateway.debits_posted - gateway.credits_posted == 1000 * len(REFERENCES) - 400
    assert total_balance_check() == 0


def test_a_payment_authorised_before_a_resplit_is_captured_from_its_own_account(currencies, settings):
    settings.MILLET_LEDGER_SUB_ACCOUNTS = 1
    payments = [pay(reference) for reference in REFERENCES[:6]]
    settings.MILLET_LEDGER_SUB_ACCOUNTS = 8  # now most references pick a sub-account the money is not in
    for payment in payments:
        capture_payment(payment.pk, postings=revenue())
    assert balance("customer-funds:CNY").credits_pending == 0
    assert total_balance_check() == 0


def test_trial_balance_journal_and_transfer_list_read_the_parent_whole(currencies, settings):
    settings.MILLET_LEDGER_SUB_ACCOUNTS = 4
    start = timezone.now() - timedelta(seconds=1)
    for reference in REFERENCES:
        capture_payment(pay(reference).pk, postings=revenue())
    report = trial_balance()
    codes = [row.code for row in report.rows]
    assert not [code for code in codes if "#" in code]
    (gateway,) = [row for row in report.rows if row.code == "gateway:test:CNY"]
    assert gateway.debits == 1000 * len(REFERENCES) and gateway.credits == 0
    (funds,) = [row for row in report.rows if row.code == "customer-funds:CNY"]
    assert funds.debits == funds.credits == 1000 * len(REFERENCES)
    assert report.totals()["CNY"][0] == report.totals()["CNY"][1]
    posted = list(journal(start, timezone.now() + timedelta(seconds=1), account="customer-funds:CNY"))
    assert len(posted) == 2 * len(REFERENCES)  # each payment's posted hold and its move to revenue
    listed = list_transfers(SYSTEM, account="gateway:test:CNY")
    assert listed.count() == 2 * len(REFERENCES)  # the pending hold and its posting, per payment
