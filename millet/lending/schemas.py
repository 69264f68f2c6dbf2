"""The lending API's request and response types (names unique across the whole API)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Header, Query, Schema
from pydantic import Strict

from millet.core.pagination import MAX_OFFSET
from millet.core.types import Money, PaymentToken, WholeNumber, plain_decimal
from millet.lending.credit import Reason
from millet.lending.credit.reasons import TEXTS, reason_text
from millet.lending.models import Application, Loan

Number = Annotated[str, Field(min_length=1, max_length=24)]


Rate = plain_decimal(4, "a yearly rate as a decimal string with at most 4 places, e.g. '0.1800' for 18%")


Currency = Annotated[str, Field(min_length=1, max_length=8)]


Limit = Annotated[int, Query(gt=0, le=200)]


Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]  # core.pagination: one bound for every list


RequiredKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=64)]


class LoanProductOut(Schema):
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


class LoanProductIn(Schema):
    code: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Z0-9-]+$")]
    name: Annotated[str, Field(min_length=1, max_length=120)]
    currency: Currency
    apr: Annotated[Rate, Field(le=Decimal("0.36"))]
    terms: Annotated[list[Annotated[WholeNumber, Field(ge=1, le=60)]], Field(min_length=1, max_length=12)]
    late_fee: Money
    min_amount: Money
    max_amount: Money
    grace_days: Annotated[WholeNumber, Field(ge=0, le=60)] = 5
    charge_off_days: Annotated[WholeNumber, Field(ge=30, le=720)] = 180


class ApplicationIn(Schema):
    order_number: Number
    product: Annotated[str, Field(min_length=1, max_length=32)]
    term_months: Annotated[WholeNumber, Field(ge=1, le=60)]
    method: Literal["annuity", "equal_principal"] = "annuity"
    form: dict[str, Any] = Field(
        description="The applicant's answers, by feature name (see /lending/features)"
    )


class ApplicationOut(Schema):
    number: str
    order_number: str
    product: str
    term_months: int
    method: str
    amount: Decimal
    currency: str
    apr: Decimal  # the annual rate offered, which the loan keeps (approved now or after a review)
    status: str
    outcome: str
    probability_of_default: float
    points: int
    reasons: list[Reason]
    model_version: str
    decision_ms: float
    loan: str | None
    created_at: datetime

    @staticmethod
    def resolve_product(app: Application) -> str:
        return app.product.code

    @staticmethod
    def resolve_reasons(app: Application) -> list[dict]:
        """Each reason in the reader's language; reasons of older models keep their stored text."""
        return [{**r, "text": reason_text(r["code"])} if r["code"] in TEXTS else r for r in app.reasons]

    @staticmethod
    def resolve_model_version(app: Application) -> str:
        return app.model.version

    @staticmethod
    def resolve_loan(app: Application) -> str | None:
        loan = Loan.objects.filter(application=app).values_list("number", flat=True).first()
        return loan


class ReviewIn(Schema):
    approve: Annotated[bool, Strict()]  # a JSON true or false: approving moves money, never "yes" or 1
    reason: str = ""  # required by the service (422 reason_required when blank), kept as the audit note


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
    """A loan with its own terms, fixed when it was made: its product may offer other terms since."""

    number: str
    order_number: str
    product: str
    currency: str
    principal: str
    principal_minor: int
    apr: Decimal
    term_months: int
    method: str
    late_fee: str = Field(description="Charged once per installment more than grace_days past due")
    late_fee_minor: int
    grace_days: int
    charge_off_days: int = Field(description="Days past due after which the loan is charged off")
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
    payment_token: PaymentToken


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


class FormChoiceOut(Schema):
    value: str
    label: str


class FeatureOut(Schema):
    """One question of the credit application form, in the request's language (Accept-Language)."""

    name: str
    kind: Literal["money", "choice", "integer"]
    label: str
    choices: list[FormChoiceOut]
    minimum: int | None
    maximum: int | None
    currency: str | None = Field(description="money questions: answered in this currency, a decimal string")
    optional: bool = Field(description="may be left empty (an amount: 'I have none')")
    supplied_by_platform: bool = Field(
        description="filled in by Millet from the order and the customer's loans"
    )
