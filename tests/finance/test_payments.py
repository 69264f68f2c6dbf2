from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.finance.models import LedgerTransfer, Payment
from millet.finance.services import (
    PaymentDeclined,
    Posting,
    TestGateway,
    authorize_payment,
    balance,
    capture_payment,
    get_gateway,
    payments_for,
    refund_payment,
    tax_payable_account,
    total_balance_check,
    void_payment,
    web_revenue_account,
)

D = Decimal
Status = Payment.Status


def authorize(amount="118.00", token="tok_ok", **kw) -> Payment:
    return authorize_payment(
        reference=kw.pop("reference", "SO-1"), amount=D(amount), currency="INR", payment_token=token, **kw
    )


@pytest.fixture
def split(currencies):
    """An Indian web order of 118.00: 100.00 revenue, 9.00 CGST, 9.00 SGST."""
    revenue = web_revenue_account("IN", "INR")
    cgst, sgst = tax_payable_account("IN", "CGST", "INR"), tax_payable_account("IN", "SGST", "INR")

    def postings(rev="100.00", cg="9.00", sg="9.00") -> list[Posting]:
        return [
            Posting(revenue.code, revenue.kind, D(rev), "revenue"),
            Posting(cgst.code, cgst.kind, D(cg), "tax"),
            Posting(sgst.code, sgst.kind, D(sg), "tax"),
        ]

    return postings


def test_gateway_is_chosen_by_settings(settings):
    assert isinstance(get_gateway(), TestGateway)
    settings.MILLET_PAYMENT_GATEWAY = "nope"
    with pytest.raises(ImproperlyConfigured):
        get_gateway()


def test_authorize_holds_a_pending_transfer(currencies):
    payment = authorize(token="tok_ok_visa", reference="SO-9")
    assert payment.status == Status.AUTHORIZED and payment.gateway_reference.startswith("test_")
    hold = payment.authorization
    assert hold.kind == LedgerTransfer.Kind.PENDING and hold.amount == 11800 and hold.reference == "SO-9"
    assert balance("gateway:test:INR").debits_pending == 11800
    assert balance("customer-funds:INR").credits_pending == 11800
    assert payments_for("SO-9") == [payment]


@pytest.mark.parametrize(
    ("token", "reason"), [("tok_declined", "card_declined"), ("tok_insufficient", "insufficient_funds")]
)
def test_decline_is_402_and_books_nothing(currencies, token, reason):
    with pytest.raises(PaymentDeclined, match=reason) as excinfo:
        authorize(token=token)
    assert excinfo.value.status_code == 402 and excinfo.value.code == "payment_declined"
    assert not LedgerTransfer.objects.exists()
    (attempt,) = payments_for("SO-1")
    assert (attempt.status, attempt.decline_reason, attempt.authorization) == (Status.DECLINED, reason, None)


@pytest.mark.parametrize("amount", ["0", "-1", "1.001", "1000000000"])
def test_bad_authorization_amounts_write_nothing(currencies, snapshot, amount):
    before = snapshot()
    with pytest.raises(Unprocessable):
        authorize(amount=amount)
    assert snapshot() == before


def test_authorize_is_idempotent_by_key(currencies, snapshot):
    first = authorize(idempotency_key="checkout-1")
    before = snapshot()
    assert authorize(idempotency_key="checkout-1").pk == first.pk
    assert snapshot() == before
    with pytest.raises(Conflict):
        authorize(amount="1.00", idempotency_key="checkout-1")
    with pytest.raises(PaymentDeclined):
        authorize(token="tok_declined", idempotency_key="checkout-2")
    with pytest.raises(PaymentDeclined):  # the replay answers as the first attempt, without the gateway
        authorize(token="tok_declined", idempotency_key="checkout-2")
    with pytest.raises(Conflict):  # another card under the same key is another request
        authorize(token="tok_ok", idempotency_key="checkout-2")
    assert Payment.objects.count() == 2


def test_capture_books_revenue_and_tax_then_partial_and_full_refund(split):
    payment = capture_payment(authorize().pk, postings=split())
    assert (payment.status, payment.captured) == (Status.CAPTURED, D("118.00"))
    assert balance("gateway:test:INR").debits_posted == 11800
    funds = balance("customer-funds:INR")
    assert (funds.debits_posted, funds.credits_posted, funds.credits_pending) == (11800, 11800, 0)
    assert balance("revenue:web:IN:INR").credits_posted == 10000
    assert balance("tax:IN:CGST:INR").credits_posted == balance("tax:IN:SGST:INR").credits_posted == 900
    assert len({t.batch for t in LedgerTransfer.objects.exclude(kind=LedgerTransfer.Kind.PENDING)}) == 1

    payment = refund_payment(payment.pk, postings=split("50.00", "4.50", "4.50"), idempotency_key="r1")
    assert (payment.status, payment.refunded) == (Status.PARTIALLY_REFUNDED, D("59.00"))
    assert balance("revenue:web:IN:INR").debits_posted == 5000
    assert balance("gateway:test:INR").credits_posted == 5900

    payment = refund_payment(payment.pk, postings=split("50.00", "4.50", "4.50"))
    assert (payment.status, payment.refunded) == (Status.REFUNDED, D("118.00"))
    assert total_balance_check() == 0


def test_capture_needs_postings_that_add_up(split, snapshot):
    payment = authorize()
    before = snapshot()
    for bad in (split(rev="99.99"), [], split(rev="0")):
        with pytest.raises(Unprocessable):
            capture_payment(payment.pk, postings=bad)
    assert snapshot() == before


def test_capture_twice_is_a_conflict(split, snapshot):
    payment = capture_payment(authorize().pk, postings=split())
    before = snapshot()
    with pytest.raises(Conflict) as excinfo:
        capture_payment(payment.pk, postings=split())
    assert excinfo.value.code == "payment_not_authorized"
    assert snapshot() == before


def test_over_refund_is_refused_and_changes_nothing(split, snapshot):
    payment = capture_payment(authorize().pk, postings=split())
    refund_payment(payment.pk, postings=split("100.00", "0.01", "0.01")[:1])
    before = snapshot()
    with pytest.raises(Conflict) as excinfo:
        refund_payment(payment.pk, postings=split("18.00", "0.01", "0.01")[:2])
    assert excinfo.value.code == "refund_exceeds_captured"
    assert snapshot() == before


def test_refund_replay_by_key_changes_nothing(split, snapshot):
    payment = capture_payment(authorize().pk, postings=split())
    refund_payment(payment.pk, postings=split("10.00")[:1], idempotency_key="r1")
    before = snapshot()
    again = refund_payment(payment.pk, postings=split("10.00")[:1], idempotency_key="r1")
    assert again.refunded == D("10.00")
    assert snapshot() == before
    for changed in (split("11.00")[:1], split("10.00")[:2]):
        with pytest.raises(Conflict):
            refund_payment(payment.pk, postings=changed, idempotency_key="r1")
    assert snapshot() == before


def test_refund_before_capture_and_unknown_payment(split, snapshot):
    payment = authorize()
    before = snapshot()
    with pytest.raises(Conflict) as excinfo:
        refund_payment(payment.pk, postings=split("1.00")[:1])
    assert excinfo.value.code == "payment_not_captured"
    with pytest.raises(NotFound):
        refund_payment(999_999, postings=split("1.00")[:1])
    assert snapshot() == before


def test_void_releases_the_hold_only_before_capture(split):
    payment = void_payment(authorize().pk)
    assert payment.status == Status.VOIDED
    assert balance("gateway:test:INR").debits_pending == 0
    with pytest.raises(Conflict):
        void_payment(payment.pk)
    with pytest.raises(Conflict):
        capture_payment(payment.pk, postings=split())
    captured = capture_payment(authorize(reference="SO-2").pk, postings=split())
    with pytest.raises(Conflict):
        void_payment(captured.pk)


def test_an_authorization_locks_books_and_records_in_one_statement_on_postgresql(split):
    """The accounts' locks, the hold and the payment row: one round trip of a checkout (issue 14)."""
    with CaptureQueriesContext(connection) as queries:
        payment = authorize()
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if re.search(r"FOR UPDATE|INSERT INTO \"?finance_(ledgertransfer|payment)\b", q["sql"])
    ]
    assert len(writes) == (1 if connection.vendor == "postgresql" else 2)  # SQLite: transfer, payment
    assert payment.authorization.kind == LedgerTransfer.Kind.PENDING
    assert Payment.objects.get(pk=payment.pk).authorization_id == payment.authorization_id
