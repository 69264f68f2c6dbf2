"""HTTP routes for consumer credit; thin over lending.services and lending.monitoring.

Customers apply on their own orders and see their own applications and loans; risk officers (the
"risk_officer" group, or staff) see every application, review referrals, and see and approve
models. Amounts travel as decimal strings in the currency's major unit, ``*_minor`` beside them.
"""

# No `from __future__ import annotations`: django-ninja resolves parameter types at import.
from typing import Annotated, Literal

from ninja import Query, Router, Status

from millet.core.openapi import ErrorOut
from millet.lending import services as lending
from millet.lending.models import CreditModel, Loan, LoanEvent, LoanProduct
from millet.lending.schemas import (
    ApplicationIn,
    ApplicationOut,
    EventOut,
    FeatureOut,
    Limit,
    LoanDetailOut,
    LoanOut,
    LoanProductIn,
    LoanProductOut,
    ModelOut,
    Offset,
    RepaymentIn,
    RequiredKey,
    ReviewIn,
)
from millet.lending.services import monitoring
from millet.regions.money import from_minor

router = Router(tags=["lending"])


def _money(minor: int, currency: str) -> str:
    return str(from_minor(minor, currency))


def _loan_out(loan: Loan) -> dict:
    cur = loan.currency
    return {
        "number": loan.number,
        "order_number": loan.order_number,
        "product": loan.product.code,
        "currency": cur,
        "principal": _money(loan.principal_minor, cur),
        "principal_minor": loan.principal_minor,
        "apr": loan.apr,
        "term_months": loan.term_months,
        "method": loan.method,
        "late_fee": _money(loan.late_fee_minor, cur),
        "late_fee_minor": loan.late_fee_minor,
        "grace_days": loan.grace_days,
        "charge_off_days": loan.charge_off_days,
        "status": loan.status,
        "disbursed_on": loan.disbursed_on,
        "outstanding_principal": _money(loan.outstanding_principal_minor, cur),
        "outstanding_principal_minor": loan.outstanding_principal_minor,
        "fees_outstanding_minor": loan.fees_outstanding_minor,
        "written_off_minor": loan.written_off_minor,
        "days_past_due": loan.days_past_due,
        "bucket": loan.bucket,
    }


@router.get("/products", response=list[LoanProductOut])
def list_products(request, currency: Annotated[str, Query(max_length=3)] = ""):
    return list(lending.list_products(currency=currency))


@router.post("/products", response={201: LoanProductOut})
def create_product(request, body: LoanProductIn):
    """Staff only."""
    product: LoanProduct = lending.create_product(
        request.actor,
        code=body.code,
        name=body.name,
        currency=body.currency,
        apr=body.apr,
        terms=body.terms,
        late_fee=body.late_fee,
        min_amount=body.min_amount,
        max_amount=body.max_amount,
        grace_days=body.grace_days,
        charge_off_days=body.charge_off_days,
    )
    return Status(201, product)


@router.get("/features", response=list[FeatureOut])
def list_features(request, market: Annotated[str, Query(min_length=2, max_length=2)]):
    """The credit application form for a customer in ``market``: questions and choices in the
    request's language, amounts in the market's currency. The platform fills in the rest itself;
    nothing asks for sex, marital status, age or nationality."""
    return lending.application_form(market)


@router.post("/applications", response={201: ApplicationOut})
def apply(request, body: ApplicationIn):
    """Apply for an installment plan on your order awaiting payment; approval pays the order. An
    order is decided once: applying again after a decision is 409 (``already_decided``, or
    ``already_financed`` once approved)."""
    application = lending.apply_for_credit(
        request.actor,
        order_number=body.order_number,
        product_code=body.product,
        term_months=body.term_months,
        method=body.method,
        form=body.form,
    )
    return Status(201, application)


@router.get("/applications", response=list[ApplicationOut])
def list_applications(
    request,
    status: Annotated[Literal["", "approved", "declined", "referred"], Query()] = "",
    limit: Limit = 50,
    offset: Offset = 0,
):
    """Your own applications, newest first; risk officers see all of them."""
    return list(lending.list_applications(request.actor, status=status)[offset : offset + limit])


@router.get("/applications/{number}", response=ApplicationOut)
def get_application(request, number: str):
    return lending.get_application(request.actor, number)


@router.post("/applications/{number}/review", response=ApplicationOut)
def review_application(request, number: str, body: ReviewIn):
    """Risk officers decide referred applications, with a written reason."""
    return lending.review_application(request.actor, number, approve=body.approve, reason=body.reason)


@router.get("/loans", response=list[LoanOut])
def list_loans(
    request,
    status: Annotated[Literal["", "active", "paid_off", "charged_off", "cancelled"], Query()] = "",
    limit: Limit = 50,
    offset: Offset = 0,
):
    """Your own loans, newest first; risk officers and staff see all of them."""
    loans = lending.list_loans(request.actor, status=status)[offset : offset + limit]
    return [_loan_out(loan) for loan in loans]


@router.get("/loans/{number}", response=LoanDetailOut)
def get_loan(request, number: str):
    loan = lending.get_loan(request.actor, number)
    payoff = lending.payoff_quote(request.actor, number)
    return {
        **_loan_out(loan),
        "payoff_today": _money(payoff, loan.currency),
        "payoff_today_minor": payoff,
        "installments": [
            {
                "seq": r.seq,
                "due_date": r.due_date,
                "principal_due": _money(r.principal_due_minor, loan.currency),
                "interest_due": _money(r.interest_due_minor, loan.currency),
                "principal_paid": _money(r.principal_paid_minor, loan.currency),
                "interest_paid": _money(r.interest_paid_minor, loan.currency),
                "principal_due_minor": r.principal_due_minor,
                "interest_due_minor": r.interest_due_minor,
                "principal_paid_minor": r.principal_paid_minor,
                "interest_paid_minor": r.interest_paid_minor,
                "late_fee_charged": r.late_fee_charged,
                "settled": r.settled,
            }
            for r in lending.installments(loan)
        ],
    }


@router.get("/loans/{number}/events", response=list[EventOut])
def loan_events(request, number: str):
    return list(lending.events_for(lending.get_loan(request.actor, number)))


@router.post("/loans/{number}/repayments", response={201: EventOut, 402: ErrorOut})
def repay(request, number: str, body: RepaymentIn, idempotency_key: RequiredKey):
    """Pay part or all of what is owed (fees, then interest and principal in schedule order; beyond
    what is due prepays principal). A replayed Idempotency-Key answers with the first repayment."""
    event: LoanEvent = lending.repay(
        request.actor,
        number,
        amount=body.amount,
        currency=body.currency,
        payment_token=body.payment_token,
        idempotency_key=idempotency_key,
    )
    return Status(201, event)


@router.get("/models", response=list[ModelOut])
def list_models(request):
    """Risk officers only."""
    return list(lending.list_models(request.actor))


@router.post("/models/{version}/approve", response=ModelOut)
def approve_model(request, version: str):
    """Risk officers only: this version decides from now on; the previous one is retired."""
    model: CreditModel = lending.approve_model(request.actor, version)
    return model


@router.get("/monitoring", response={200: lending.MonitoringReport, 409: ErrorOut})
def monitoring_report(request, version: Annotated[str, Query(max_length=64)] = ""):
    """Risk officers only: live scores against training (PSI), approval and default rates by cohort
    (409 when no credit model is approved yet)."""
    return monitoring.monitoring_report(request.actor, version=version)
