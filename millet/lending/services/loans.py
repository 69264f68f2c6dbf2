"""Consumer credit at checkout: products, the model registry, applications, loans and their money.

Ledger flows (one currency per loan; every movement one balanced, keyed ``create_transfers`` batch):
- pay the order:  the order's payment is authorised at the ``credit`` gateway (pending
  gateway:credit -> customer-funds), and the loan is disbursed in the same transaction:
  lending:principal:{LOAN} -> gateway:credit. The lender's settlement account nets to zero, so the
  loan receivable is what funded the sale.
- repayment:      the customer pays through payments (gateway -> customer-funds ->
  lending:collections), then collections -> lending:fees:{LOAN}, lending:interest, and
  lending:principal:{LOAN}.
- late fee:       lending:fees:{LOAN} -> lending:fee-income.
- return refund:  payments refund the sale to gateway:credit; the lender applies it to the loan
  (gateway:credit -> principal) and pays any surplus back to the customer (-> the payment gateway).
- charge-off:     lending:charge-offs -> principal and fees.

Concurrency: every change to a loan first locks its row (``select_for_update``), so repayments,
refunds and the daily job on one loan queue; the per-loan ledger accounts carry a balance limit, so
even a bug could not make the ledger owe a customer more than they borrowed.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from millet.accounts.actor import SYSTEM, Actor
from millet.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from millet.finance import services as finance
from millet.finance.services import TransferSpec, create_transfers
from millet.lending.credit.features import FEATURES_BY_NAME, clean_features
from millet.lending.credit.scorecard import Scorecard
from millet.lending.models import (
    Application,
    CreditModel,
    Installment,
    Loan,
    LoanEvent,
    LoanProduct,
)
from millet.lending.schedule import METHODS, build_schedule, interest_on
from millet.lending.services.gateway import TOKEN_PREFIX, LenderGateway
from millet.regions.money import currency_exponent, from_minor, parse_amount, to_minor
from millet.sales import services as sales

# Lender policy: below this probability of default approve, above the other decline, between refer
# to a risk officer. German Credit has 30% bads; these cutoffs approve its safer half or so.
APPROVE_BELOW_PD = 0.25
DECLINE_ABOVE_PD = 0.55
MAX_TERM_MONTHS = 60
Kind = LoanEvent.Kind


def business_day() -> date:
    """The lender's calendar day. Every dated step (disbursement, repayment, refund, aging) asks
    here, so a test can run a loan's whole life on one consistent calendar."""
    return timezone.localdate()


# --- roles ---------------------------------------------------------------------------------------


def is_risk_officer(actor: Actor) -> bool:
    return actor.is_staff or actor.is_risk_officer


def require_risk_officer(actor: Actor) -> None:
    if not is_risk_officer(actor):
        raise Forbidden("risk officers only")


# --- products ------------------------------------------------------------------------------------


def create_product(
    actor: Actor,
    *,
    code: str,
    name: str,
    currency: str,
    apr: Decimal,
    terms: Sequence[int],
    late_fee: Decimal,
    min_amount: Decimal,
    max_amount: Decimal,
    grace_days: int = 5,
    charge_off_days: int = 180,
) -> LoanProduct:
    actor.require_staff()
    currency_exponent(currency)  # unknown currency: 422
    if not isinstance(apr, Decimal) or not apr.is_finite() or not Decimal(0) <= apr <= Decimal("0.36"):
        raise Unprocessable("apr must be a decimal between 0 and 0.36", code="invalid_apr")
    if not terms or any(type(t) is not int or not 1 <= t <= MAX_TERM_MONTHS for t in terms):
        raise Unprocessable(f"terms must be months between 1 and {MAX_TERM_MONTHS}", code="invalid_terms")
    low, high = parse_amount(min_amount, currency), parse_amount(max_amount, currency)
    if high < low:
        raise Unprocessable("max_amount is below min_amount", code="invalid_amount_range")
    try:
        with transaction.atomic():
            return LoanProduct.objects.create(
                code=code,
                name=name,
                currency=currency,
                apr=apr,
                terms=sorted(set(terms)),
                late_fee=parse_amount(late_fee, currency, allow_zero=True),
                min_amount=low,
                max_amount=high,
                grace_days=grace_days,
                charge_off_days=charge_off_days,
            )
    except IntegrityError:
        raise Conflict(f"product {code} exists", code="product_exists") from None


def get_product(code: str) -> LoanProduct:
    product = LoanProduct.objects.filter(code=code, is_active=True).first()
    if product is None:
        raise NotFound(f"no loan product {code!r}", code="unknown_product")
    return product


def list_products(*, currency: str = "") -> QuerySet[LoanProduct]:
    products = LoanProduct.objects.filter(is_active=True).order_by("code")
    return products.filter(currency=currency) if currency else products


# --- model registry ------------------------------------------------------------------------------

_scorecards: dict[str, Scorecard] = {}  # by version: an artifact's content is its version, never edited


def register_model(artifact: Mapping[str, Any], *, metrics: Mapping[str, float] | None = None) -> CreditModel:
    """Keep a trained artifact in the database, so every worker can load the same approved version.

    Registering the same version again is a no-op that returns the stored row.
    """
    scorecard = Scorecard(dict(artifact))  # refuses a malformed or tampered artifact (422)
    if metrics is None:  # the training command's held-out figures travel inside the artifact
        validation = artifact.get("cross_validation") or {}
        metrics = {name: validation[name] for name in ("auc", "gini", "ks", "folds") if name in validation}
    model, _ = CreditModel.objects.get_or_create(
        version=scorecard.version, defaults={"artifact": dict(artifact), "metrics": dict(metrics)}
    )
    return model


def approve_model(actor: Actor, version: str) -> CreditModel:
    """Make ``version`` the one that decides; the previously approved one is retired."""
    require_risk_officer(actor)
    with transaction.atomic():
        model = CreditModel.objects.select_for_update().filter(version=version).first()
        if model is None:
            raise NotFound(f"no model version {version!r}", code="unknown_model")
        if model.status == CreditModel.Status.APPROVED:
            return model
        CreditModel.objects.filter(status=CreditModel.Status.APPROVED).update(
            status=CreditModel.Status.RETIRED
        )
        model.status = CreditModel.Status.APPROVED
        model.approved_at = timezone.now()
        model.approved_by_id = actor.user_id
        model.save(update_fields=["status", "approved_at", "approved_by"])
    return model


def list_models() -> QuerySet[CreditModel]:
    return CreditModel.objects.order_by("-registered_at", "-pk")


def scorecard_for(model: CreditModel) -> Scorecard:
    card = _scorecards.get(model.version)
    if card is None:
        card = _scorecards[model.version] = Scorecard(model.artifact)
    return card


def approved_model() -> CreditModel:
    model = CreditModel.objects.filter(status=CreditModel.Status.APPROVED).first()
    if model is None:
        raise Conflict("no credit model is approved; credit is not offered", code="no_approved_model")
    return model


# --- applications --------------------------------------------------------------------------------


def _number(prefix: str) -> str:
    return f"{prefix}{timezone.now():%y%m%d}-{secrets.token_hex(4).upper()}"


def _visible_applications(actor: Actor) -> QuerySet[Application]:
    apps = Application.objects.select_related("product", "model")
    return apps if is_risk_officer(actor) else apps.filter(customer_id=actor.user_id)


def get_application(actor: Actor, number: str) -> Application:
    found = _visible_applications(actor).filter(number=number).first()
    if found is None:
        raise NotFound(f"no application {number}", code="unknown_application")
    return found


def list_applications(actor: Actor, *, status: str = "") -> QuerySet[Application]:
    apps = _visible_applications(actor).order_by("-created_at", "-pk")
    return apps.filter(status=status) if status else apps


PLATFORM_FEATURES = ("duration_in_month", "credit_amount", "purpose", "credit_history")
PLATFORM_FEATURES += ("number_of_existing_credits_at_this_bank",)


def platform_facts(customer_id: int) -> dict[str, Any]:
    """What the platform itself knows about the applicant: their orders and their loans here."""
    buyer = Actor(user_id=customer_id)
    loans = Loan.objects.filter(customer_id=customer_id).exclude(status=Loan.Status.CANCELLED)
    return {
        "orders_fulfilled": len(sales.list_orders(buyer, status="fulfilled", limit=1000)),
        "loans_active": loans.filter(status=Loan.Status.ACTIVE).count(),
        "loans_paid_off": loans.filter(status=Loan.Status.PAID_OFF).count(),
        "loans_defaulted": loans.filter(defaulted=True).count(),
    }


def _credit_history(facts: Mapping[str, int]) -> str:
    if facts["loans_defaulted"]:
        return "delay in paying off in the past"
    if facts["loans_active"]:
        return "existing credits paid back duly till now"
    if facts["loans_paid_off"]:
        return "all credits at this bank paid back duly"
    return "no credits taken/ all credits paid back duly"


def _model_features(form: Mapping[str, Any], facts: Mapping[str, int], *, term: int, amount: Decimal) -> dict:
    """The form plus the facts the platform vouches for; the form may not state those itself."""
    if not isinstance(form, Mapping):
        raise Unprocessable("form must be an object of feature: value", code="invalid_features")
    stated = sorted(set(form) & set(PLATFORM_FEATURES))
    if stated:
        raise Unprocessable(
            f"the platform supplies {', '.join(stated)}; leave them out of the form", code="platform_feature"
        )
    features = {
        **form,
        "duration_in_month": term,
        # Whole units of the order's currency: the model's scale, with no claim to be money.
        "credit_amount": max(1, min(int(amount), FEATURES_BY_NAME["credit_amount"].maximum)),
        "purpose": "radio/television",  # consumer electronics, the data set's nearest purpose
        "credit_history": _credit_history(facts),
        # Capped at the schema's top: a loyal customer with many loans must not be refused for it.
        "number_of_existing_credits_at_this_bank": min(
            facts["loans_active"] + facts["loans_paid_off"],
            FEATURES_BY_NAME["number_of_existing_credits_at_this_bank"].maximum,
        ),
    }
    return clean_features(features)


def apply_for_credit(
    actor: Actor,
    *,
    order_number: str,
    product_code: str,
    term_months: int,
    form: Mapping[str, Any],
    method: str = "annuity",
    on: date | None = None,
) -> Application:
    """Decide an installment plan for the actor's own order awaiting payment, and if approved pay it.

    Validation happens before the model runs, so a refused request records nothing; a decision is
    recorded whatever its outcome, with the model version and the reasons that explain it.
    """
    if actor.user_id is None:
        raise Forbidden("sign in to apply for credit")
    product = get_product(product_code)
    if type(term_months) is not int or term_months not in product.terms:
        raise Unprocessable(
            f"product {product.code} offers terms {product.terms}, not {term_months!r}",
            code="term_not_offered",
        )
    if method not in METHODS:
        raise Unprocessable(f"method must be one of {list(METHODS)}", code="invalid_method")
    with transaction.atomic():
        order = sales.get_order(actor, order_number, for_update=True)
        if order.customer_id != actor.user_id:
            raise NotFound(f"no order {order_number}", code="unknown_order")
        if order.status != "placed":
            raise Conflict(f"order is {order.status}, not awaiting payment", code="not_payable")
        if order.currency != product.currency:
            raise Unprocessable(
                f"product {product.code} lends {product.currency}, the order is in {order.currency}",
                code="currency_mismatch",
            )
        if not product.min_amount <= order.total <= product.max_amount:
            raise Unprocessable(
                f"{product.code} lends {product.min_amount}-{product.max_amount}, the order is {order.total}",
                code="amount_out_of_range",
            )
        if Application.objects.filter(order=order, status=Application.Status.APPROVED).exists():
            raise Conflict("this order already has an approved loan", code="already_financed")
        facts = platform_facts(actor.user_id)
        features = _model_features(form, facts, term=term_months, amount=order.total)
        model = approved_model()
        started = time.perf_counter()
        decision = scorecard_for(model).decide(
            features, approve_below_pd=APPROVE_BELOW_PD, decline_above_pd=DECLINE_ABOVE_PD
        )
        elapsed_ms = (time.perf_counter() - started) * 1000
        status = {
            "approve": Application.Status.APPROVED,
            "decline": Application.Status.DECLINED,
            "refer": Application.Status.REFERRED,
        }[decision.outcome]
        application = Application.objects.create(
            number=_number("AP"),
            customer_id=actor.user_id,
            order=order,
            product=product,
            term_months=term_months,
            method=method,
            amount=order.total,
            currency=order.currency,
            features=features,
            platform_facts=facts,
            model=model,
            outcome=decision.outcome,
            status=status,
            probability_of_default=decision.probability_of_default,
            points=decision.points,
            reasons=[
                {"code": r.code, "feature": r.feature, "text": r.text, "points_lost": r.points_lost}
                for r in decision.reasons
            ],
            decision_ms=elapsed_ms,
            created_at=timezone.now(),
        )
        if status == Application.Status.APPROVED:
            _open_loan(application, on or business_day())
    return application


def review_application(actor: Actor, number: str, *, approve: bool, on: date | None = None) -> Application:
    """A risk officer decides a referred application; approving pays the order if it still waits."""
    require_risk_officer(actor)
    with transaction.atomic():
        application = Application.objects.select_for_update().filter(number=number).first()
        if application is None:
            raise NotFound(f"no application {number}", code="unknown_application")
        if application.status != Application.Status.REFERRED:
            raise Conflict(f"application is {application.status}, not referred", code="not_referred")
        application.status = Application.Status.APPROVED if approve else Application.Status.DECLINED
        application.reviewed_by_id = actor.user_id
        application.reviewed_at = timezone.now()
        application.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        if approve:
            order = sales.get_order(SYSTEM, application.order.number, for_update=True)
            if order.status != "placed":
                raise Conflict(f"order is {order.status}, not awaiting payment", code="not_payable")
            _open_loan(application, on or business_day())
    return application


# --- loans ---------------------------------------------------------------------------------------


def _visible_loans(actor: Actor) -> QuerySet[Loan]:
    loans = Loan.objects.select_related("product")
    return loans if actor.is_staff or actor.is_risk_officer else loans.filter(customer_id=actor.user_id)


def get_loan(actor: Actor, number: str) -> Loan:
    """The loan if it is the actor's (or they are staff/risk); 404 otherwise, so numbers cannot be probed."""
    loan = _visible_loans(actor).filter(number=number).first()
    if loan is None:
        raise NotFound(f"no loan {number}", code="unknown_loan")
    return loan


def list_loans(actor: Actor, *, status: str = "") -> QuerySet[Loan]:
    loans = _visible_loans(actor).order_by("-created_at", "-pk")
    return loans.filter(status=status) if status else loans


def installments(loan: Loan) -> list[Installment]:
    return list(loan.installments.order_by("seq"))


def _locked(number: str) -> Loan:
    loan = Loan.objects.select_for_update().select_related("product").filter(number=number).first()
    if loan is None:
        raise NotFound(f"no loan {number}", code="unknown_loan")
    return loan


def _open_loan(application: Application, on: date) -> Loan:
    """Create the loan and its schedule, pay the order by loan, and disburse: one transaction."""
    product = application.product
    principal = to_minor(application.amount, application.currency)
    loan = Loan.objects.create(
        number=_number("LN"),
        application=application,
        customer_id=application.customer_id,
        product=product,
        order_number=application.order.number,
        currency=application.currency,
        principal_minor=principal,
        apr=product.apr,
        term_months=application.term_months,
        method=application.method,
        disbursed_on=on,
        outstanding_principal_minor=principal,
    )
    Installment.objects.bulk_create(
        Installment(
            loan=loan,
            seq=row.seq,
            due_date=row.due_date,
            principal_due_minor=row.principal,
            interest_due_minor=row.interest,
        )
        for row in build_schedule(principal, product.apr, application.term_months, application.method, on)
    )
    sales.pay_order(
        SYSTEM, loan.order_number, payment_token=f"{TOKEN_PREFIX}{loan.number}", gateway=LenderGateway.name
    )
    lender = finance.gateway_account(LenderGateway.name, loan.currency).code
    _book(
        loan,
        Kind.DISBURSEMENT,
        "disburse",
        on,
        [
            (
                finance.lending_principal_account(loan.number, loan.currency).code,
                lender,
                principal,
                "loan_disbursement",
            )
        ],
        amount=principal,
        principal=principal,
    )
    return loan


def loan_funds_order(number: str, *, order_number: str, amount: Decimal, currency: str) -> bool:
    """The lender gateway's check: this active, undisbursed loan was made for exactly this order."""
    loan = Loan.objects.filter(number=number, status=Loan.Status.ACTIVE).first()
    return (
        loan is not None
        and loan.order_number == order_number
        and loan.currency == currency
        and loan.principal_minor == to_minor(amount, currency)
        and not loan.events.filter(kind=Kind.DISBURSEMENT).exists()
    )


def _book(
    loan: Loan,
    kind: str,
    key: str,
    on: date,
    moves: Sequence[tuple[str, str, int, str]],
    *,
    amount: int,
    principal: int = 0,
    interest: int = 0,
    fee: int = 0,
    surplus: int = 0,
    recovery: int = 0,
    payment_id: int | None = None,
) -> LoanEvent:
    """Book the moves (debit, credit, minor, code) as one linked, keyed batch and record the event."""
    create_transfers(
        [
            TransferSpec(
                debit=debit,
                credit=credit,
                amount=minor,
                currency=loan.currency,
                code=code,
                reference=loan.number,
                idempotency_key=f"lending:{loan.number}:{key}:{i}",
            )
            for i, (debit, credit, minor, code) in enumerate(moves)
            if minor
        ]
    )
    return LoanEvent.objects.create(
        loan=loan,
        kind=kind,
        key=key,
        amount_minor=amount,
        principal_minor=principal,
        interest_minor=interest,
        fee_minor=fee,
        surplus_minor=surplus,
        recovery_minor=recovery,
        payment_id=payment_id,
        on_date=on,
    )


@dataclass(frozen=True)
class Allocation:
    """How a payment splits: fees first, then interest and principal in schedule order."""

    fee: int
    interest: dict[int, int]  # installment id -> minor
    principal: dict[int, int]

    @property
    def total(self) -> int:
        return self.fee + sum(self.interest.values()) + sum(self.principal.values())


def _payable_now(rows: Sequence[Installment], on: date) -> list[Installment]:
    """Installments due by ``on`` plus the current one (the next to fall due)."""
    due = [row for row in rows if row.due_date <= on]
    upcoming = [row for row in rows if row.due_date > on]
    return due + upcoming[:1]


def payoff_minor(loan: Loan, rows: Sequence[Installment], on: date) -> int:
    """Everything owed to close the loan today: fees, interest up to the current installment, and
    the whole principal; later installments' interest is not owed (declining balance)."""
    if loan.status != Loan.Status.ACTIVE:
        return 0
    interest = sum(r.interest_due_minor - r.interest_paid_minor for r in _payable_now(rows, on))
    return loan.fees_outstanding_minor + interest + loan.outstanding_principal_minor


def _allocate(loan: Loan, rows: Sequence[Installment], on: date, amount: int) -> Allocation:
    left = amount
    fee = min(left, loan.fees_outstanding_minor)
    left -= fee
    interest: dict[int, int] = {}
    principal: dict[int, int] = {}
    for row in _payable_now(rows, on):
        for owed, into in (
            (row.interest_due_minor - row.interest_paid_minor, interest),
            (row.principal_due_minor - row.principal_paid_minor, principal),
        ):
            part = min(left, owed)
            if part:
                into[row.pk] = into.get(row.pk, 0) + part
                left -= part
    _prepay(rows, left, principal)
    return Allocation(fee, interest, principal)


def _prepay(rows: Sequence[Installment], amount: int, principal: dict[int, int]) -> None:
    """Prepay principal from the last installment back, shortening the loan (adds to ``principal``)."""
    left = amount
    for row in reversed(rows):
        part = min(left, row.principal_due_minor - row.principal_paid_minor - principal.get(row.pk, 0))
        if part > 0:
            principal[row.pk] = principal.get(row.pk, 0) + part
            left -= part
    if left:
        raise Conflict("the payment exceeds what is owed", code="exceeds_payoff")


def _apply(loan: Loan, rows: Sequence[Installment], on: date, allocation: Allocation) -> None:
    """Write an allocation to the schedule, re-price future interest and settle the loan if done."""
    for row in rows:
        row.interest_paid_minor += allocation.interest.get(row.pk, 0)
        row.principal_paid_minor += allocation.principal.get(row.pk, 0)
    _reprice(loan, rows, on)
    Installment.objects.bulk_update(
        rows, ["principal_paid_minor", "interest_paid_minor", "interest_due_minor"]
    )
    loan.outstanding_principal_minor -= sum(allocation.principal.values())
    loan.fees_outstanding_minor -= allocation.fee
    if (
        loan.outstanding_principal_minor == 0
        and loan.fees_outstanding_minor == 0
        and all(r.settled for r in rows)
    ):
        loan.status = Loan.Status.PAID_OFF
        loan.days_past_due, loan.bucket = 0, Loan.Bucket.CURRENT
    loan.save(
        update_fields=[
            "outstanding_principal_minor",
            "fees_outstanding_minor",
            "status",
            "days_past_due",
            "bucket",
        ]
    )


def _reprice(loan: Loan, rows: Sequence[Installment], on: date) -> None:
    """Interest not yet due and not yet paid follows the principal still owed (declining balance)."""
    remaining = 0
    for row in reversed(rows):
        remaining += row.principal_due_minor - row.principal_paid_minor
        if row.due_date > on and row.interest_paid_minor == 0:
            row.interest_due_minor = interest_on(remaining, loan.apr)


def _event_replay(loan: Loan, key: str, amount: int) -> LoanEvent | None:
    previous = loan.events.filter(key=key).first()
    if previous is not None and previous.amount_minor != amount:
        raise Conflict("idempotency key was used for another amount", code="idempotency_key_reused")
    return previous


def repay(
    actor: Actor,
    number: str,
    *,
    amount: Decimal,
    currency: str,
    payment_token: str,
    idempotency_key: str,
    on: date | None = None,
) -> LoanEvent:
    """The customer pays part or all of what they owe; a replayed key changes nothing.

    Refusals come before any money moves: someone else's loan 404, a bad amount or currency 422,
    a closed loan or a payment beyond the payoff 409, a declined card 402.
    """
    on = on or business_day()
    if not 0 < len(idempotency_key) <= 64:
        raise Unprocessable("idempotency key must be 1-64 characters", code="invalid_idempotency_key")
    with transaction.atomic():
        get_loan(actor, number)  # visibility first: someone else's loan is simply not there
        loan = _locked(number)
        if actor.user_id != loan.customer_id and not actor.is_staff:
            raise Forbidden("only the borrower repays a loan")
        currency_exponent(currency)
        if currency != loan.currency:
            raise Unprocessable(
                f"loan {number} is in {loan.currency}, not {currency}", code="currency_mismatch"
            )
        minor = to_minor(parse_amount(amount, currency), currency)
        key = f"repay:{idempotency_key}"
        previous = _event_replay(loan, key, minor)
        if previous is not None:
            return previous
        if loan.status != Loan.Status.ACTIVE:
            raise Conflict(f"loan is {loan.status}", code="loan_not_active")
        rows = installments(loan)
        owed = payoff_minor(loan, rows, on)
        if minor > owed:
            raise Conflict(
                f"{from_minor(minor, currency)} exceeds the {from_minor(owed, currency)} owed today",
                code="exceeds_payoff",
            )
        allocation = _allocate(loan, rows, on, minor)
        collections = finance.lending_collections_account(loan.currency)
        payment = finance.charge_payment(
            reference=loan.number,
            amount=from_minor(minor, currency),
            currency=currency,
            payment_token=payment_token,
            allocations=[
                finance.Allocation(
                    collections.code, collections.kind, from_minor(minor, currency), "loan_repayment"
                )
            ],
        )
        principal, interest = sum(allocation.principal.values()), sum(allocation.interest.values())
        event = _book(
            loan,
            Kind.REPAYMENT,
            key,
            on,
            [
                (
                    collections.code,
                    finance.lending_fees_account(loan.number, currency).code,
                    allocation.fee,
                    "loan_fee",
                ),
                (
                    collections.code,
                    finance.lending_interest_income_account(currency).code,
                    interest,
                    "loan_interest",
                ),
                (
                    collections.code,
                    finance.lending_principal_account(loan.number, currency).code,
                    principal,
                    "loan_principal",
                ),
            ],
            amount=minor,
            principal=principal,
            interest=interest,
            fee=allocation.fee,
            payment_id=payment.pk,
        )
        _apply(loan, rows, on, allocation)
    return event


def payoff_quote(actor: Actor, number: str, *, on: date | None = None) -> int:
    loan = get_loan(actor, number)
    return payoff_minor(loan, installments(loan), on or business_day())


def refund_to_loan(number: str, *, amount: Decimal, currency: str, on: date | None = None) -> LoanEvent:
    """A return refunded (part of) the sale to the lender; see ``_return_to_lender``."""
    loan = _locked(number)
    count = loan.events.filter(kind=Kind.REFUND).count()
    return _return_to_lender(
        loan, to_minor(amount, currency), Kind.REFUND, f"refund:{count + 1}", on or business_day()
    )


def cancel_loan(number: str, *, on: date | None = None) -> LoanEvent:
    """The order was cancelled before fulfilment: the lender takes the whole sale back, an active
    loan closes as cancelled with its remaining interest and fees waived."""
    loan = _locked(number)
    return _return_to_lender(loan, loan.principal_minor, Kind.CANCELLATION, "cancel", on or business_day())


def _return_to_lender(loan: Loan, minor: int, kind: str, key: str, on: date) -> LoanEvent:
    """Money from the sale comes back to the lender (gateway:credit) and goes, in this order, to the
    principal still owed, to principal written off (a recovery, which reduces the charge-off
    expense), and the rest back to the customer, who had repaid it, through the payment gateway."""
    cur = loan.currency
    active = loan.status == Loan.Status.ACTIVE
    part = min(minor, loan.outstanding_principal_minor) if active else 0
    recovery = min(minor - part, loan.written_off_minor - loan.recovered_minor)
    surplus = minor - part - recovery
    cancelling = kind == Kind.CANCELLATION and active
    waived = loan.fees_outstanding_minor if cancelling else 0
    rows = installments(loan)
    allocation = Allocation(0, {}, {})
    _prepay(rows, part, allocation.principal)
    lender = finance.gateway_account(LenderGateway.name, cur).code
    event = _book(
        loan,
        kind,
        key,
        on,
        [
            (lender, finance.lending_principal_account(loan.number, cur).code, part, "loan_refund"),
            (lender, finance.lending_charge_off_account(cur).code, recovery, "loan_recovery"),
            (
                lender,
                finance.gateway_account(settings.MILLET_PAYMENT_GATEWAY, cur).code,
                surplus,
                "loan_refund_surplus",
            ),
            (
                finance.lending_fee_income_account(cur).code,
                finance.lending_fees_account(loan.number, cur).code,
                waived,
                "loan_fee_waiver",
            ),
        ],
        amount=minor,
        principal=part,
        recovery=recovery,
        fee=waived,
        surplus=surplus,
    )
    loan.recovered_minor += recovery
    loan.save(update_fields=["recovered_minor"])
    if cancelling:
        for row in rows:  # nothing more is owed: the interest not yet paid is waived
            row.interest_due_minor = row.interest_paid_minor
        allocation = Allocation(waived, {}, allocation.principal)
    if part or cancelling:
        _apply(loan, rows, on, allocation)
    if cancelling:
        loan.status = Loan.Status.CANCELLED
        loan.save(update_fields=["status"])
    return event


# --- the daily job -------------------------------------------------------------------------------


def bucket_for(days_past_due: int) -> str:
    if days_past_due <= 0:
        return Loan.Bucket.CURRENT
    if days_past_due <= 30:
        return Loan.Bucket.DPD_1_30
    if days_past_due <= 60:
        return Loan.Bucket.DPD_31_60
    if days_past_due <= 90:
        return Loan.Bucket.DPD_61_90
    return Loan.Bucket.DPD_90_PLUS


@dataclass
class DailySummary:
    loans: int = 0
    late_fees: int = 0
    charged_off: int = 0


def run_daily(on: date | None = None, *, progress: Callable[[int, int], None] | None = None) -> DailySummary:
    """Age every active loan as of ``on``: days past due and bucket, late fees, charge-offs.

    Idempotent: fees and charge-offs are keyed by loan and installment, so a second run the same day
    (or on two workers at once: each loan is locked) books nothing new.
    """
    on = on or business_day()
    summary = DailySummary()
    numbers = list(
        Loan.objects.filter(status=Loan.Status.ACTIVE).order_by("pk").values_list("number", flat=True)
    )
    for i, number in enumerate(numbers, start=1):
        with transaction.atomic():
            fees, charged = _age(_locked(number), on)
        summary.loans += 1
        summary.late_fees += fees
        summary.charged_off += charged
        if progress:
            progress(i, len(numbers))
    return summary


def _age(loan: Loan, on: date) -> tuple[int, int]:
    if loan.status != Loan.Status.ACTIVE:
        return 0, 0
    product = loan.product
    rows = installments(loan)
    late = [r for r in rows if r.due_date < on and not r.settled]
    loan.days_past_due = (on - late[0].due_date).days if late else 0
    loan.bucket = bucket_for(loan.days_past_due)
    loan.defaulted = loan.defaulted or loan.days_past_due > 90
    fee = to_minor(product.late_fee, loan.currency)
    fees = 0
    for row in late:
        if fee and not row.late_fee_charged and (on - row.due_date).days > product.grace_days:
            _book(
                loan,
                Kind.LATE_FEE,
                f"late:{row.seq}",
                on,
                [
                    (
                        finance.lending_fees_account(loan.number, loan.currency).code,
                        finance.lending_fee_income_account(loan.currency).code,
                        fee,
                        "loan_late_fee",
                    )
                ],
                amount=fee,
                fee=fee,
            )
            row.late_fee_charged = True
            row.save(update_fields=["late_fee_charged"])
            loan.fees_outstanding_minor += fee
            fees += 1
    charged = 0
    if loan.days_past_due > product.charge_off_days:
        _charge_off(loan, on)
        charged = 1
    loan.save(
        update_fields=[
            "days_past_due",
            "bucket",
            "defaulted",
            "fees_outstanding_minor",
            "status",
            "written_off_minor",
            "outstanding_principal_minor",
        ]
    )
    return fees, charged


def _charge_off(loan: Loan, on: date) -> None:
    """Write off what is left as lost: principal and fees move to the charge-off expense."""
    expense = finance.lending_charge_off_account(loan.currency).code
    principal, fees = loan.outstanding_principal_minor, loan.fees_outstanding_minor
    _book(
        loan,
        Kind.CHARGE_OFF,
        "charge-off",
        on,
        [
            (
                expense,
                finance.lending_principal_account(loan.number, loan.currency).code,
                principal,
                "loan_charge_off",
            ),
            (
                expense,
                finance.lending_fees_account(loan.number, loan.currency).code,
                fees,
                "loan_charge_off",
            ),
        ],
        amount=principal + fees,
        principal=principal,
        fee=fees,
    )
    loan.written_off_minor = principal
    loan.outstanding_principal_minor = 0
    loan.fees_outstanding_minor = 0
    loan.status = Loan.Status.CHARGED_OFF


def schedule_outstanding(loan: Loan) -> int:
    """The schedule's principal minus every principal repayment: what the borrower still owes."""
    return (
        sum(r.principal_due_minor - r.principal_paid_minor for r in installments(loan))
        - loan.written_off_minor
    )


def events_for(loan: Loan) -> QuerySet[LoanEvent]:
    return loan.events.order_by("pk")


def applications_for_order(order_number: str) -> QuerySet[Application]:
    return Application.objects.filter(Q(order__number=order_number)).order_by("pk")
