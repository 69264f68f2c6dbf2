"""Payments: a gateway authorization mirrored as a pending ledger transfer, then captured into the
accounts its postings name (revenue, tax, a loan's collections, premiums), refunded in parts, or
voided.

Ledger flow (all in one currency):
- authorize: PENDING  debit gateway:{gw}:{CUR}#n  credit customer-funds:{CUR}#n
- capture:   post that pending transfer, linked with  debit its customer-funds  credit <each posting>
- refund:    debit <each posting>  credit gateway:{gw}:{CUR}#n (cash: the refunding till's drawer)
- void:      void the pending transfer
- charge:    (a till sale) debit gateway#n credit customer-funds#n, linked with the capture moves

``#n`` is the sub-account the payment's reference picks (``chart.sub_account_for``): checkouts spread
over several rows instead of queueing on one; reading the parent code adds them all up.

Every state change locks the payment row (``select_for_update``) and then updates it with a
conditional UPDATE, so concurrent captures or refunds queue and none can over-refund. The gateway is
called last inside the transaction: if it refuses, the ledger work rolls back with it.

Capturing twice is a Conflict (``payment_not_authorized``), not a silent no-op: a second capture
with other postings would otherwise look like it had booked something.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction

from millet.core.errors import Conflict, DomainError, NotFound, Unprocessable
from millet.core.idempotency import check_same_request, fingerprint
from millet.finance.models import LedgerTransfer, Payment
from millet.finance.services.chart import (
    customer_funds_account,
    gateway_account,
    lending_collections_account,
    payment_accounts,
    sub_account_for,
)
from millet.finance.services.gateways import CashGateway, GatewayResult, get_gateway
from millet.finance.services.ledger import PostPending, TransferSpec, create_transfers, void_pending
from millet.finance.services.ledger_accounts import ensure_account, get_account
from millet.regions.money import from_minor, parse_amount, to_minor

# Card networks hold an authorization for about a week; after that the reservation lapses.
AUTHORIZATION_TIMEOUT_SECONDS = 7 * 24 * 3600
Status = Payment.Status
CASH = CashGateway.name


class PaymentDeclined(DomainError):
    """The gateway refused; ``decline_reason`` is its reason (e.g. card_declined, insufficient_funds)."""

    status_code = 402
    code = "payment_declined"

    def __init__(self, decline_reason: str) -> None:
        super().__init__(f"payment declined: {decline_reason}")
        self.decline_reason = decline_reason


@dataclass(frozen=True)
class Posting:
    """One leg of a payment: where part of it goes (capture) or comes back from (refund), e.g.
    revenue or a tax. ``amount`` is in the currency's major unit, like the payment's."""

    account_code: str
    kind: str
    amount: Decimal
    code: str


def authorize_payment(
    *,
    reference: str,
    amount: Decimal,
    currency: str,
    payment_token: str,
    idempotency_key: str | None = None,
    gateway_name: str | None = None,
) -> Payment:
    """Hold ``amount`` on the customer's instrument; a decline raises 402 and books nothing.

    A declined attempt is still recorded (status declined, with the reason) so the order's history
    shows it; a replay of a keyed attempt answers as the first one did without asking the gateway.
    """
    amount = _amount(amount, currency)
    _check_reference(reference)
    # What a replay of the key must match; an unkeyed attempt (every checkout's) is never replayed.
    request = ""
    if idempotency_key is not None:
        request = fingerprint(
            "authorize_payment",
            reference=reference,
            amount=amount,
            currency=currency,
            payment_token=payment_token,
            gateway=gateway_name,
        )
        if not 0 < len(idempotency_key) <= 128:
            raise Unprocessable("idempotency key must be 1-128 characters", code="invalid_idempotency_key")
        existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replay(existing, request)
    gateway = get_gateway(gateway_name)  # None: the configured one; lending pays orders by loan
    result = gateway.authorize(
        amount=amount, currency=currency, payment_token=payment_token, reference=reference
    )
    fields = {
        "reference": reference,
        "gateway": gateway.name,
        "currency": currency,
        "amount": amount,
        "idempotency_key": idempotency_key,
        "request_fingerprint": request,
    }
    # Only a keyed attempt can collide with a concurrent twin; it needs a savepoint to recover.
    guard = transaction.atomic() if idempotency_key is not None else nullcontext()
    try:
        with guard:
            if not result.ok:
                payment = Payment.objects.create(
                    **fields,
                    status=Status.DECLINED,
                    decline_reason=result.decline_reason,
                )
            else:
                paid_in, funds = payment_accounts(gateway.name, currency, reference)
                hold = TransferSpec(
                    debit=paid_in.code,
                    credit=funds.code,
                    amount=to_minor(amount, currency),
                    currency=currency,
                    code="payment",
                    reference=reference,
                    pending=True,
                    pending_timeout_seconds=AUTHORIZATION_TIMEOUT_SECONDS,
                )
                payment = Payment(
                    **fields, status=Status.AUTHORIZED, gateway_reference=result.gateway_reference
                )
                # Every checkout's: the payment row rides in the ledger's own statement (one round
                # trip less), naming the hold as its authorization.
                create_transfers([hold], linked_row=payment)
    except IntegrityError:
        twin = Payment.objects.filter(idempotency_key=idempotency_key).first() if idempotency_key else None
        if twin is None:
            raise
        # A concurrent twin with the same key committed first: release our hold and answer as it did.
        if result.ok:
            gateway.void(gateway_reference=result.gateway_reference)
        return _replay(twin, request)
    if not result.ok:
        raise PaymentDeclined(result.decline_reason)
    return payment


def capture_payment(payment_id: int, *, postings: Sequence[Posting]) -> Payment:
    """Take the authorized money and book it to the postings, which must add up to the amount."""
    with transaction.atomic():
        payment = _locked(payment_id)
        if payment.status != Status.AUTHORIZED:
            raise Conflict(
                f"payment {payment.pk} is {payment.status}, not authorized", code="payment_not_authorized"
            )
        total = _total(postings, payment.currency)
        if total != payment.amount:
            raise Unprocessable(
                f"postings add up to {total}, the payment is {payment.amount}", code="postings_mismatch"
            )
        # The money leaves customer funds by the (sub-)account the authorization put it in.
        funds = payment.authorization.credit_account.code
        moves = _posting_transfers(postings, payment.currency, payment.reference, funds)
        create_transfers([PostPending(payment.authorization_id), *moves])  # one linked batch
        Payment.objects.filter(pk=payment.pk, status=Status.AUTHORIZED).update(
            status=Status.CAPTURED, captured=payment.amount
        )
        _require_ok(
            get_gateway(payment.gateway).capture(
                gateway_reference=payment.gateway_reference, amount=payment.amount, currency=payment.currency
            )
        )
    payment.refresh_from_db()
    return payment


def charge_payment(
    *,
    reference: str,
    amount: Decimal,
    currency: str,
    payment_token: str = "",
    postings: Sequence[Posting],
    cash_account: str | None = None,
) -> Payment:
    """Authorise and capture at once, as a card-present sale at a till does; or, given
    ``cash_account`` (a till's drawer, ``chart.till_cash_account``), take the sale in cash: the
    money lands in that account and the payment's gateway is ``cash``, so a refund leaves from it.

    The whole sale is one linked ledger batch (gateway -> customer funds -> postings), so the
    transaction locks its ledger accounts once, in id order. Authorising and then capturing inside
    one database transaction would lock them in two rounds, and two such sales racing a web
    capture on the same revenue and tax accounts could deadlock.
    """
    amount = _amount(amount, currency)
    _check_reference(reference)
    total = _total(postings, currency)
    if total != amount:
        raise Unprocessable(f"postings add up to {total}, the payment is {amount}", code="postings_mismatch")
    legs = [(_ensure(p, currency), to_minor(p.amount, currency), p.code) for p in postings]
    if cash_account is not None:
        return _charge(reference, to_minor(amount, currency), currency, cash_account, legs, gateway_name=CASH)
    return _charge(reference, to_minor(amount, currency), currency, payment_token, legs)


def collect_loan_repayment(
    *, loan_number: str, amount_minor: int, currency: str, payment_token: str
) -> Payment:
    """A borrower's repayment, charged at the configured gateway and held in lending's collections
    account (``lending:collections:{CUR}``) until lending applies it to the loan. The amount stays in
    the integer minor units lending parsed it into; only the gateway and the payment record see the
    decimal amount. A decline is a 402 and books nothing.
    """
    _check_reference(loan_number)
    collections = lending_collections_account(currency)
    return _charge(
        loan_number,
        amount_minor,
        currency,
        payment_token,
        [(collections.code, amount_minor, "loan_repayment")],
    )


def _charge(
    reference: str,
    amount_minor: int,
    currency: str,
    payment_token: str,
    legs: Sequence[tuple[str, int, str]],
    *,
    gateway_name: str | None = None,
) -> Payment:
    """Take ``amount_minor`` at the gateway and book it, in one linked batch, from the gateway through
    customer funds to each leg's (account code, minor units, transfer code). In cash the "token" is
    the till's account code, debited instead of a gateway's account."""
    amount = from_minor(amount_minor, currency)
    gateway = get_gateway(gateway_name)
    result = gateway.authorize(
        amount=amount, currency=currency, payment_token=payment_token, reference=reference
    )
    if not result.ok:
        raise PaymentDeclined(result.decline_reason)
    if gateway.name == CASH:  # into the till's drawer, named by the cash gateway's reference
        paid_in = get_account(result.gateway_reference)
        funds_account = customer_funds_account(currency, sub=sub_account_for(reference))
    else:
        paid_in, funds_account = payment_accounts(gateway.name, currency, reference)
    funds = funds_account.code
    with transaction.atomic():
        take = TransferSpec(
            debit=paid_in.code,
            credit=funds,
            amount=amount_minor,
            currency=currency,
            code="payment",
            reference=reference,
        )
        moves = [
            TransferSpec(
                debit=funds, credit=account, amount=minor, currency=currency, code=code, reference=reference
            )
            for account, minor, code in legs
        ]
        booked = create_transfers([take, *moves])
        payment = Payment.objects.create(
            reference=reference,
            gateway=gateway.name,
            currency=currency,
            amount=amount,
            captured=amount,
            status=Status.CAPTURED,
            gateway_reference=result.gateway_reference,
            authorization=booked[0],
        )
        _require_ok(
            gateway.capture(gateway_reference=result.gateway_reference, amount=amount, currency=currency)
        )
    return payment


def refund_payment(
    payment_id: int,
    *,
    postings: Sequence[Posting],
    idempotency_key: str | None = None,
    cash_account: str | None = None,
) -> Payment:
    """Give back part or all of what was captured, taking it back from the postings' accounts.

    The money goes back the way it came (the gateway's account), except cash: it is paid out of
    ``cash_account``, the drawer of the till handing the notes over, which need not be the drawer
    that took them (a return at another store). A cash payment refunded without one is 409
    ``cash_refund_needs_till``: no drawer is there to pay it (a warehouse); out of a drawer of
    another currency (another market's store) it is 409 ``cash_refund_other_currency``. Either
    refusal moves nothing.

    Idempotent by key (scoped to the payment): a replay with the same postings changes nothing.
    """
    if idempotency_key is not None and not 0 < len(idempotency_key) <= 64:
        raise Unprocessable("idempotency key must be 1-64 characters", code="invalid_idempotency_key")
    with transaction.atomic():
        payment = _locked(payment_id)
        total = _total(postings, payment.currency)
        key_prefix = f"payment:{payment.pk}:refund:{idempotency_key}:" if idempotency_key else None
        gateway_code = _money_account(payment, cash_account)
        specs = [
            TransferSpec(
                debit=_ensure(a, payment.currency),
                credit=gateway_code,
                amount=to_minor(a.amount, payment.currency),
                currency=payment.currency,
                code=a.code,
                reference=payment.reference,
                idempotency_key=f"{key_prefix}{i}" if key_prefix else None,
            )
            for i, a in enumerate(postings)
        ]
        if key_prefix and LedgerTransfer.objects.filter(idempotency_key__startswith=key_prefix).exists():
            if LedgerTransfer.objects.filter(idempotency_key__startswith=key_prefix).count() != len(specs):
                raise Conflict(
                    "idempotency key was used for a different refund", code="idempotency_key_reused"
                )
            create_transfers(specs)  # a replay: returns the stored transfers or refuses a changed one
            return payment
        if payment.status not in (Status.CAPTURED, Status.PARTIALLY_REFUNDED):
            raise Conflict(
                f"payment {payment.pk} is {payment.status}, not captured", code="payment_not_captured"
            )
        if total > payment.captured - payment.refunded:
            raise Conflict(
                f"refund {total} exceeds the {payment.captured - payment.refunded} left to refund",
                code="refund_exceeds_captured",
            )
        create_transfers(specs)
        fully = payment.refunded + total == payment.captured
        # Compare-and-set on the locked row's exact Decimal: SQL arithmetic on SQLite's NUMERIC
        # columns is binary floating point, so "refunded <= captured - total" can misjudge by a cent.
        updated = Payment.objects.filter(pk=payment.pk, refunded=payment.refunded).update(
            refunded=payment.refunded + total, status=Status.REFUNDED if fully else Status.PARTIALLY_REFUNDED
        )
        if not updated:
            raise Conflict("refund exceeds what is left to refund", code="refund_exceeds_captured")
        _require_ok(
            get_gateway(payment.gateway).refund(
                gateway_reference=payment.gateway_reference, amount=total, currency=payment.currency
            )
        )
    payment.refresh_from_db()
    return payment


def void_payment(payment_id: int) -> Payment:
    """Release an uncaptured authorization; if it already lapsed on the ledger, just record that."""
    with transaction.atomic():
        payment = _locked(payment_id)
        if payment.status != Status.AUTHORIZED:
            raise Conflict(
                f"payment {payment.pk} is {payment.status}, not authorized", code="payment_not_authorized"
            )
        try:
            void_pending(payment.authorization_id)
        except Conflict as exc:
            if exc.code != "pending_already_resolved":
                raise
        Payment.objects.filter(pk=payment.pk, status=Status.AUTHORIZED).update(status=Status.VOIDED)
        _require_ok(get_gateway(payment.gateway).void(gateway_reference=payment.gateway_reference))
    payment.refresh_from_db()
    return payment


def _money_account(payment: Payment, cash_account: str | None) -> str:
    """Where a payment's refund is paid from: a cash one out of the drawer ``cash_account``, which
    must hold the payment's currency (409 ``cash_refund_needs_till`` without a drawer,
    ``cash_refund_other_currency`` with another market's), else the gateway's sub-account its
    reference booked to (``chart.sub_account_for``)."""
    if payment.gateway == CASH:
        if cash_account is None:
            raise Conflict(
                "cash is paid back out of a till's drawer: take the return at a store's till",
                code="cash_refund_needs_till",
            )
        drawer = get_account(cash_account)
        if drawer.currency != payment.currency:
            raise Conflict(
                f"this till's drawer holds {drawer.currency}; the order was paid in {payment.currency}",
                code="cash_refund_other_currency",
            )
        return drawer.code
    return gateway_account(payment.gateway, payment.currency, sub=sub_account_for(payment.reference)).code


def settle_cash_count(
    *, cash_account: str, over_short_account: str, counted: Decimal, reference: str
) -> Decimal:
    """A till's count at the close of its day: the ledger expects the drawer's balance (posted
    debits less credits of ``cash_account``); the difference ``counted - expected`` is booked as
    one balanced transfer against ``over_short_account`` (short: debit over/short, credit the till;
    over: the reverse), so the drawer's balance then equals the count. Returns the expected amount.
    Idempotent by ``reference`` (one count per close); Unprocessable ``malformed_money`` for a
    negative or mis-scaled count."""
    account = get_account(cash_account)
    if not isinstance(counted, Decimal) or counted < 0:
        raise Unprocessable("counted cash must be a Decimal of zero or more", code="malformed_money")
    if counted:  # an empty drawer counts as zero; anything else must fit the currency
        counted = _amount(counted, account.currency)
    expected_minor = account.debits_posted - account.credits_posted
    difference = to_minor(counted, account.currency) - expected_minor
    if difference:
        over = difference > 0
        create_transfers(
            [
                TransferSpec(
                    debit=cash_account if over else over_short_account,
                    credit=over_short_account if over else cash_account,
                    amount=abs(difference),
                    currency=account.currency,
                    code="cash_over_short",
                    reference=reference,
                    idempotency_key=f"cash-count:{reference}",
                )
            ]
        )
    return from_minor(expected_minor, account.currency)


def payments_for(reference: str) -> list[Payment]:
    return list(Payment.objects.filter(reference=reference).order_by("id"))


def _check_reference(reference: str) -> None:
    if not 0 < len(reference) <= 64:
        raise Unprocessable("reference must be 1-64 characters", code="invalid_reference")


def _amount(amount: object, currency: str) -> Decimal:
    if not isinstance(amount, Decimal):
        raise Unprocessable("amounts must be Decimal", code="malformed_money")
    return parse_amount(amount, currency)


def _total(postings: Sequence[Posting], currency: str) -> Decimal:
    if not postings:
        raise Unprocessable("at least one posting is needed", code="no_postings")
    for a in postings:
        _amount(a.amount, currency)
        if not 0 < len(a.code) <= 32:
            raise Unprocessable("posting code must be 1-32 characters", code="invalid_posting")
    return sum((a.amount for a in postings), Decimal(0))


def _posting_transfers(
    postings: Sequence[Posting], currency: str, reference: str, funds: str
) -> list[TransferSpec]:
    return [
        TransferSpec(
            debit=funds,
            credit=_ensure(a, currency),
            amount=to_minor(a.amount, currency),
            currency=currency,
            code=a.code,
            reference=reference,
        )
        for a in postings
    ]


def _ensure(posting: Posting, currency: str) -> str:
    return ensure_account(posting.account_code, currency, posting.kind).code


def _locked(payment_id: int) -> Payment:
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("authorization__credit_account")
        .filter(pk=payment_id)
        .first()
    )
    if payment is None:
        raise NotFound(f"unknown payment {payment_id}", code="unknown_payment")
    return payment


def _replay(existing: Payment, request: str) -> Payment:
    check_same_request(existing.request_fingerprint, request)
    if existing.status == Status.DECLINED:
        raise PaymentDeclined(existing.decline_reason)
    return existing


def _require_ok(result: GatewayResult) -> None:
    if not result.ok:
        raise Conflict(f"the payment gateway refused: {result.decline_reason}", code="gateway_refused")
