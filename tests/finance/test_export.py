"""Accountants' exports: a trial balance at any moment ties out, and the journal of a period is
exactly what moved the balances between its two ends."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from millet.core.errors import Unprocessable
from millet.finance.models import LedgerTransfer
from millet.finance.services import (
    JOURNAL_HEADER,
    TransferSpec,
    create_transfers,
    journal,
    journal_csv,
    submit_batch,
    trial_balance,
    trial_balance_csv,
)

pytestmark = pytest.mark.django_db


def spec(debit="cash:CNY", credit="sales:CNY", amount=100, **kw) -> TransferSpec:
    return TransferSpec(
        debit=debit, credit=credit, amount=amount, currency=kw.pop("currency", "CNY"), code="test", **kw
    )


def history(accounts) -> tuple[datetime, datetime]:
    """Some transfers, a cut, some more (and a pending one that is not in the books)."""
    create_transfers([spec(amount=1000), spec(debit="cash:CNY", credit="wallet:CNY", amount=300)])
    cut = timezone.now()
    submit_batch([spec(amount=250), [spec(debit="wallet:CNY", credit="sales:CNY", amount=120)]])
    create_transfers([spec(amount=999, pending=True)])
    return cut, timezone.now() + timedelta(seconds=1)


def get(token: str, path: str):
    return Client().get(f"/api/finance{path}", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_trial_balance_now_and_at_an_earlier_moment(accounts):
    cut, _ = history(accounts)
    now = {r.code: (r.debit_balance, r.credit_balance) for r in trial_balance().rows}
    assert now == {"cash:CNY": (1550, 0), "sales:CNY": (0, 1370), "wallet:CNY": (0, 180)}
    then = {r.code: (r.debit_balance, r.credit_balance) for r in trial_balance(cut).rows}
    assert then == {"cash:CNY": (1300, 0), "sales:CNY": (0, 1000), "wallet:CNY": (0, 300)}
    for balance in (trial_balance(), trial_balance(cut)):
        debits, credits = balance.totals()["CNY"]
        assert debits == credits
    assert trial_balance(cut - timedelta(days=1)).rows == []
    assert trial_balance(currency="EUR").rows == []


def test_journal_of_a_period_bridges_the_two_trial_balances(accounts):
    cut, end = history(accounts)
    period = list(journal(cut, end))
    assert [t.amount for t in period] == [250, 120]  # the pending 999 is not in the books
    assert len(list(journal(cut, end, include_pending=True))) == 3
    assert [t.amount for t in journal(cut, end, account="wallet:CNY")] == [120]
    before = {r.code: r.debits - r.credits for r in trial_balance(cut).rows}
    after = {r.code: r.debits - r.credits for r in trial_balance(end).rows}
    for t in period:
        before[t.debit_account.code] += t.amount
        before[t.credit_account.code] -= t.amount
    assert before == after


def test_csv_exports_are_exact_decimals_that_tie_out(accounts):
    cut, end = history(accounts)
    rows = list(csv.DictReader(io.StringIO("".join(trial_balance_csv(trial_balance())))))
    assert rows[-1]["account"] == "TOTAL" and rows[-1]["debit"] == rows[-1]["credit"] == "15.50"
    assert {r["account"]: r["credit"] for r in rows}["sales:CNY"] == "13.70"
    lines = list(csv.DictReader(io.StringIO("".join(journal_csv(journal(cut, end))))))
    assert [(r["amount"], r["amount_minor"]) for r in lines] == [("2.50", "250"), ("1.20", "120")]
    assert sum(Decimal(r["amount"]) for r in lines) == Decimal("3.70")


def test_bad_periods_and_moments_are_refused(accounts):
    now = timezone.now()
    with pytest.raises(Unprocessable, match="start < end"):
        list(journal(now, now))
    with pytest.raises(Unprocessable, match="time zone"):
        trial_balance(datetime(2026, 1, 1))
    with pytest.raises(Unprocessable):
        trial_balance(currency="euro")


def test_reports_api_is_for_staff_and_speaks_json_and_csv(accounts, staff_token, customer_token):
    cut, end = history(accounts)
    start, stop = (cut.isoformat().replace("+00:00", "Z"), end.isoformat().replace("+00:00", "Z"))
    assert get(customer_token, "/reports/trial-balance").status_code == 403
    assert get(customer_token, f"/reports/journal?start={start}&end={stop}").status_code == 403
    body = get(staff_token, "/reports/trial-balance").json()
    assert body["totals"] == [{"currency": "CNY", "debit_minor": 1550, "credit_minor": 1550}]
    earlier = get(staff_token, f"/reports/trial-balance?at={start}").json()
    assert {r["account"]: r["debit"] for r in earlier["rows"]}["cash:CNY"] == "13.00"
    as_csv = get(staff_token, "/reports/trial-balance?format=csv")
    assert as_csv["Content-Type"].startswith("text/csv")
    assert b"TOTAL" in b"".join(as_csv.streaming_content)
    journal_response = get(staff_token, f"/reports/journal?start={start}&end={stop}")
    assert journal_response.status_code == 200
    text = b"".join(journal_response.streaming_content).decode()
    assert len(text.strip().splitlines()) == 3  # header + 2 posted transfers
    for bad in (
        "/reports/trial-balance?at=2026-01-01T00:00:00",  # no time zone
        "/reports/trial-balance?at=yesterday",
        "/reports/trial-balance?format=xls",
        f"/reports/journal?start={stop}&end={start}",
        "/reports/journal",
    ):
        assert get(staff_token, bad).status_code == 422, bad


def test_batch_api_reports_each_chain(accounts, staff_token, customer_token):
    def transfer(key: str, **changes) -> dict:
        return {
            "debit": "cash:CNY",
            "credit": "sales:CNY",
            "amount": "1.00",
            "currency": "CNY",
            "idempotency_key": key,
            **changes,
        }

    chains = {
        "chains": [
            [transfer("a")],
            [transfer("b", amount="-1")],
            [transfer("c", debit="wallet:CNY", amount="5.00")],
            [transfer("d", credit="wallet:CNY", amount="2.00"), transfer("e", debit="wallet:CNY")],
        ]
    }
    client = Client()
    forbidden = client.post(
        "/api/finance/transfers/batch",
        json.dumps(chains),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {customer_token}",
    )
    assert forbidden.status_code == 403 and LedgerTransfer.objects.count() == 0
    response = client.post(
        "/api/finance/transfers/batch",
        json.dumps(chains),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {staff_token}",
    )
    assert response.status_code == 200, response.content
    results = response.json()
    assert [(r["index"], r["ok"], r["error"]) for r in results] == [
        (0, True, ""),
        (1, False, "malformed_money"),
        (2, False, "exceeds_balance_limit"),
        (3, True, ""),
    ]
    assert [t["amount"] for t in results[3]["transfers"]] == ["2.00", "1.00"]
    assert LedgerTransfer.objects.count() == 3
    empty = client.post(
        "/api/finance/transfers/batch",
        json.dumps({"chains": []}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {staff_token}",
    )
    assert empty.status_code == 422


def test_export_command_writes_csv(accounts, tmp_path, capsys):
    from django.core.management import CommandError, call_command

    cut, end = history(accounts)
    out = tmp_path / "tb.csv"
    call_command("export_ledger", "trial-balance", "--out", str(out))
    assert out.read_text().splitlines()[-1].startswith("TOTAL,,,CNY,15.50,15.50")
    call_command("export_ledger", "journal", "--start", cut.isoformat(), "--end", end.isoformat())
    assert len(capsys.readouterr().out.strip().splitlines()) == 3
    with pytest.raises(CommandError, match="needs --start and --end"):
        call_command("export_ledger", "journal")
    with pytest.raises(CommandError, match="time zone"):
        call_command("export_ledger", "trial-balance", "--at", "2026-01-01T00:00:00")


def test_far_offsets_and_ancient_moments_are_handled(accounts, staff_token):
    history(accounts)
    # ISO 8601 allows UTC offsets PostgreSQL refuses; the moment itself is what counts
    assert get(staff_token, "/reports/trial-balance?at=2026-01-01T00:00:00-20:31").status_code == 200
    ancient = get(staff_token, "/reports/journal?start=0185-01-14T09:15:01Z&end=0750-02-11T21:11:01-20:31")
    assert ancient.status_code == 200
    assert b"".join(ancient.streaming_content).decode().splitlines() == [",".join(JOURNAL_HEADER)]
    assert get(staff_token, "/reports/trial-balance?at=0001-01-01T00:00:00%2B05:00").status_code == 422
