"""HTTP routes for consumer credit; thin over lending.services and lending.monitoring.

Customers apply on their own orders and see their own applications and loans; risk officers (the
"risk_officer" group, or staff) see every application, review referrals, and see and approve
models. Amounts travel as decimal strings in the currency's major unit, ``*_minor`` beside them.
"""

# No `from __future__ import annotations`: django-ninja resolves parameter types at import.
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Header, Query, Router, Schema, Status

from millet.lending import services as lending
from millet.lending.models import Application, CreditModel, Loan, LoanEvent, LoanProduct
from millet.lending.services import monitoring
from millet.regions.money import from_minor

router = Router(tags=["lending"])

Number = Annotated[str, Field(min_length=1, max_length=24)]
Money = Annotated[str, Field(min_length=1, max_length=32, description="decimal string, e.g. '120.50'")]
Currency = Annotated[str, Field(min_length=1, max_length=8)]
Limit = Annotated[int, Query(gt=0, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]  # bounded: a huge OFFSET overflows PostgreSQL's bigint
RequiredKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=64)]


class ProductOut(Schema):
    code: str
    name: str
    currency: str
    apr: Decimal
    terms: list[int]
    late_fee: Decimal
    grace_days: int
    charge_off_days: int
    min_amount: Decimal
    max_amount: Decimal


class ProductIn(Schema):
    code: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Z0-9-]+$")]
    name: Annotated[str, Field(min_length=1, max_length=120)]
    currency: Currency
    apr: Annotated[Decimal, Field(ge=0, le=Decimal("0.36"), max_digits=6, decimal_places=4)]
    terms: Annotated[list[Annotated[int, Field(ge=1, le=60)]], Field(min_length=1, max_length=12)]
    late_fee: Money
    min_amount: Money
    max_amount: Money
    grace_days: Annotated[int, Field(ge=0, le=60)] = 5
    charge_off_days: Annotated[int, Field(ge=30, le=720)] = 180


class ApplicationIn(Schema):
    order_number: Number
    product: Annotated[str, Field(min_length=1, max_length=32)]
    term_months: Annotated[int, Field(ge=1, le=60)]
    method: Literal["annuity", "equal_principal"] = "annuity"
    form: dict[str, Any] = Field(
        description="The applicant's answers, by feature name (see /lending/features)"
    )


class ReasonOut(Schema):
    code: str
    feature: str
    text: str
    points_lost: int


class ApplicationOut(Schema):
    number: str
    order_number: str
    product: str
    term_months: int
    method: str
    amount: Decimal
    currency: str
    status: str
    outcome: str
    probability_of_default: float
    points: int
    reasons: list[ReasonOut]
    model_version: str
    decision_ms: float
    loan: str | None
    created_at: datetime

    @staticmethod
    def resolve_product(app: Application) -> str:
        return app.product.code

    @staticmethod
    def resolve_model_version(app: Application) -> str:
        return app.model.version

    @staticmethod
    def resolve_loan(app: Application) -> str | None:
        loan = Loan.objects.filter(application=app).values_list("number", flat=True).first()
        return loan


class ReviewIn(Schema):
    approve: bool


class InstallmentOut(Schema):
    seq: int
    due_date: date
    principal_due: str
    interest_due: str
    principal_paid: str
    interest_paid: str
    principal_due_minor: int
    interest_due_minor: int
    principal_paid_minor: int
    interest_paid_minor: int
    late_fee_charged: bool
    settled: bool


class LoanOut(Schema):
    number: str
    order_number: str
    product: str
    currency: str
    principal: str
    principal_minor: int
    apr: Decimal
    term_months: int
    method: str
    status: str
    disbursed_on: date
    outstanding_principal: str
    outstanding_principal_minor: int
    fees_outstanding_minor: int
    written_off_minor: int
    days_past_due: int
    bucket: str


class LoanDetailOut(LoanOut):
    installments: list[InstallmentOut]
    payoff_today: str
    payoff_today_minor: int


class RepaymentIn(Schema):
    amount: Money
    currency: Currency
    payment_token: Annotated[str, Field(min_length=1, max_length=64)]


class EventOut(Schema):
    kind: str
    amount_minor: int
    principal_minor: int
    interest_minor: int
    fee_minor: int
    surplus_minor: int
    on_date: date
    created_at: datetime


class ModelOut(Schema):
    version: str
    status: str
    metrics: dict
    registered_at: datetime
    approved_at: datetime | None


class BucketOut(Schema):
    lower: float | None
    upper: float | None
    training_share: float
    live_share: float
    live_count: int


class CohortOut(Schema):
    month: str
    applications: int
    approved: int
    declined: int
    referred: int
    approval_rate: float
    loans: int
    defaulted: int
    default_rate: float | None


class MonitoringOut(Schema):
    version: str
    metrics: dict
    live_applications: int
    psi: float | None
    stability: str
    buckets: list[BucketOut]
    cohorts: list[CohortOut]


class FeatureOut(Schema):
    name: str
    kind: str
    label: str
    values: list[str]
    minimum: int
    maximum: int
    supplied_by_platform: bool


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
        "status": loan.status,
        "disbursed_on": loan.disbursed_on,
        "outstanding_principal": _money(loan.outstanding_principal_minor, cur),
        "outstanding_principal_minor": loan.outstanding_principal_minor,
        "fees_outstanding_minor": loan.fees_outstanding_minor,
        "written_off_minor": loan.written_off_minor,
        "days_past_due": loan.days_past_due,
        "bucket": loan.bucket,
    }


@router.get("/products", response=list[ProductOut])
def list_products(request, currency: Annotated[str, Query(max_length=3)] = ""):
    return list(lending.list_products(currency=currency))


@router.post("/products", response={201: ProductOut})
def create_product(request, body: ProductIn):
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
def list_features(request):
    """What the application form asks; the platform fills the features it knows itself."""
    from millet.lending.credit import FEATURES

    return [
        FeatureOut(
            name=f.name,
            kind=f.kind,
            label=f.label,
            values=list(f.values),
            minimum=f.minimum,
            maximum=f.maximum,
            supplied_by_platform=f.name in lending.PLATFORM_FEATURES,
        )
        for f in FEATURES
    ]


@router.post("/applications", response={201: ApplicationOut})
def apply(request, body: ApplicationIn):
    """Apply for an installment plan on your order awaiting payment; approval pays the order."""
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
    """Risk officers decide referred applications."""
    return lending.review_application(request.actor, number, approve=body.approve)


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


@router.post("/loans/{number}/repayments", response={201: EventOut})
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


@router.get("/monitoring", response=MonitoringOut)
def monitoring_report(request, version: Annotated[str, Query(max_length=64)] = ""):
    """Risk officers only: live scores against training (PSI), approval and default rates by cohort."""
    return monitoring.monitoring_report(request.actor, version=version)
