"""Credit applications: the form plus what the platform knows, scored by the approved model."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from millet.accounts.actor import SYSTEM, Actor
from millet.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from millet.core.numbers import document_number
from millet.lending.credit.features import MODEL_FEATURES_BY_NAME, clean_features
from millet.lending.credit.scale import to_dm, whole_dm
from millet.lending.form import PLATFORM_FACTS, QUESTIONS, model_features
from millet.lending.models import (
    Application,
    Loan,
)
from millet.lending.policy import APPROVE_BELOW_PD, DECLINE_ABOVE_PD
from millet.lending.schedule import METHODS
from millet.lending.services import clock
from millet.lending.services.loans import open_loan
from millet.lending.services.products import get_product
from millet.lending.services.registry import approved_model, scorecard_for
from millet.regions.money import to_minor
from millet.regions.services import get_market
from millet.sales import services as sales


def _visible_applications(actor: Actor) -> QuerySet[Application]:
    apps = Application.objects.select_related("product", "model")
    return apps if actor.is_risk_officer else apps.filter(customer_id=actor.user_id)


def get_application(actor: Actor, number: str) -> Application:
    found = _visible_applications(actor).filter(number=number).first()
    if found is None:
        raise NotFound(f"no application {number}", code="unknown_application")
    return found


def list_applications(actor: Actor, *, status: str = "") -> QuerySet[Application]:
    apps = _visible_applications(actor).order_by("-created_at", "-pk")
    return apps.filter(status=status) if status else apps


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


def application_form(market: str) -> list[dict[str, Any]]:
    """The form's questions for a customer in ``market``, then the facts the platform fills in:
    labels and choices in the active language (the request's), money questions in the market's
    currency. Raises NotFound ``unknown_market``; Unprocessable ``unsupported_currency`` where the
    model has no scale for the market's currency."""
    currency = get_market(market).currency
    to_dm(Decimal(0), currency)  # refuses a currency the model cannot read

    def field(name: str, kind: str, label, *, platform: bool, choices=(), **limits) -> dict[str, Any]:
        return {
            "name": name,
            "kind": kind,
            "label": str(label),
            "choices": [{"value": c.value, "label": str(c.label)} for c in choices],
            "minimum": limits.get("minimum"),
            "maximum": limits.get("maximum"),
            "currency": currency if kind == "money" else None,
            "optional": limits.get("optional", False),
            "supplied_by_platform": platform,
        }

    return [
        field(
            q.name,
            q.kind,
            q.label,
            platform=False,
            choices=q.choices,
            minimum=q.minimum,
            maximum=q.maximum,
            optional=q.optional,
        )
        for q in QUESTIONS
    ] + [field(fact.name, fact.kind, fact.label, platform=True) for fact in PLATFORM_FACTS]


def _model_features(
    form: Mapping[str, Any], facts: Mapping[str, int], *, term: int, amount: Decimal, currency: str
) -> dict:
    """The customer's answers (``lending.form``) plus the facts the platform vouches for."""
    features = {
        **model_features(form, currency=currency),
        "duration_in_month": term,
        # The order's total on the model's Deutsche Mark scale (credit.scale, the one conversion).
        "credit_amount": max(
            1, min(whole_dm(amount, currency), MODEL_FEATURES_BY_NAME["credit_amount"].maximum)
        ),
        "purpose": "radio/television",  # consumer electronics, the data set's nearest purpose
        "credit_history": _credit_history(facts),
        # Capped at the schema's top: a loyal customer with many loans must not be refused for it.
        "number_of_existing_credits_at_this_bank": min(
            facts["loans_active"] + facts["loans_paid_off"],
            MODEL_FEATURES_BY_NAME["number_of_existing_credits_at_this_bank"].maximum,
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
    """Decide an installment plan for the actor's own order awaiting payment, and if approved pay it;
    once per order (Conflict ``already_decided`` / ``already_financed``, see ``_decide``).

    ``form`` is the customer's answers to ``lending.form.QUESTIONS``, amounts in the order's
    currency; see ``form.model_features`` for its refusals. Validation happens before the model
    runs, so a refused request records nothing; a decision is recorded whatever its outcome, with
    the model version and the reasons that explain it (codes of ``credit.reasons``).

    ``on`` is the business day of the decision (today by default): the application is dated on it,
    so monitoring counts it in that month's cohort, and an approved loan is disbursed on it.
    """
    if actor.user_id is None:
        raise Forbidden("sign in to apply for credit")
    with transaction.atomic():
        order = sales.get_order(actor, order_number, for_update=True)
        if order.customer_id != actor.user_id:
            raise NotFound(f"no order {order_number}", code="unknown_order")
        return _decide(order, product_code, term_months, form, method, on)


def apply_for_credit_at_counter(
    actor: Actor,
    *,
    store_code: str,
    order_number: str,
    product_code: str,
    term_months: int,
    form: Mapping[str, Any],
    method: str = "annuity",
    on: date | None = None,
) -> Application:
    """A cashier fills the market's credit form with the customer present, for a till sale held
    for them (``sales.hold_sale``); decided as ``apply_for_credit`` for that customer (their
    platform facts, the application and any loan theirs). Approved: the loan pays the order and its
    scanned units are handed over there and then (``sales.hand_over_held_sale``). Declined or
    referred: the sale stays held, to be paid by card or cash or cancelled.

    Only a cashier of the sale's store (or staff): NotFound ``unknown_order`` / ``unknown_store``
    otherwise (``sales.held_sale``); other refusals as ``apply_for_credit``'s."""
    with transaction.atomic():
        held = sales.held_sale(actor, store_code, order_number)
        order = sales.get_order(actor, held.number, for_update=True)
        application = _decide(order, product_code, term_months, form, method, on)
        if application.status == Application.Status.APPROVED:
            sales.hand_over_held_sale(actor, store_code, order.number)
    return application


def _decide(
    order, product_code: str, term_months: int, form: Mapping[str, Any], method: str, on: date | None
) -> Application:
    """Score the order's buyer for a plan on the locked, unpaid order; record the decision and,
    approved, open the loan that pays it. Refusals change nothing.

    An order is decided once: Conflict ``already_financed`` once approved, ``already_decided``
    once declined or referred (a referral is a person's to decide), so a declined buyer cannot
    send other answers until the model approves, and a double submission records one decision
    (the order row is locked, so a concurrent second one sees the first)."""
    product = get_product(product_code)
    if type(term_months) is not int or term_months not in product.terms:
        raise Unprocessable(
            f"product {product.code} offers terms {product.terms}, not {term_months!r}",
            code="term_not_offered",
        )
    if method not in METHODS:
        raise Unprocessable(f"method must be one of {list(METHODS)}", code="invalid_method")
    customer_id = order.customer_id
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
    decided = applications_for_order(order.number).values_list("status", flat=True).last()
    if decided == Application.Status.APPROVED:
        raise Conflict("this order already has an approved loan", code="already_financed")
    if decided is not None:  # one decision per order: no second try with other answers
        raise Conflict(f"this order's application was {decided} already", code="already_decided")
    facts = platform_facts(customer_id)
    features = _model_features(form, facts, term=term_months, amount=order.total, currency=order.currency)
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
        number=document_number("AP"),
        customer_id=customer_id,
        order=order,
        order_number=order.number,
        market=order.market_id,
        product=product,
        term_months=term_months,
        method=method,
        amount=order.total,
        currency=order.currency,
        apr=product.apr,
        late_fee_minor=to_minor(product.late_fee, order.currency),
        grace_days=product.grace_days,
        charge_off_days=product.charge_off_days,
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
        created_at=_decided_at(on),
    )
    if status == Application.Status.APPROVED:
        open_loan(application, on or clock.business_day())
    return application


def _decided_at(on: date | None) -> datetime:
    """When a decision is recorded: now, or on an earlier business day ``on`` at the same time of
    day, so an application and the loan disbursed on ``on`` fall in the same monitoring cohort."""
    now = timezone.localtime()
    if on is None or on == now.date():
        return now
    return timezone.make_aware(datetime.combine(on, now.time()))


MAX_REVIEW_NOTE = 500


def review_application(
    actor: Actor, number: str, *, approve: bool, reason: str, on: date | None = None
) -> Application:
    """A risk officer decides a referred application with a written ``reason`` (1 to 500 characters),
    kept on the application with who decided and when (the audit trail of ``review_note``,
    ``reviewed_by``, ``reviewed_at``); approving pays the order if it still waits.

    Raises Forbidden (not a risk officer), NotFound ``unknown_application``, Unprocessable
    ``reason_required`` / ``reason_too_long``, Conflict ``not_referred`` / ``not_payable``.
    """
    actor.require_risk_officer()
    with transaction.atomic():
        application = Application.objects.select_for_update().filter(number=number).first()
        if application is None:
            raise NotFound(f"no application {number}", code="unknown_application")
        reason = reason.strip() if isinstance(reason, str) else ""
        if not reason:
            raise Unprocessable("write the reason for the decision", code="reason_required")
        if len(reason) > MAX_REVIEW_NOTE:
            raise Unprocessable(
                f"the reason is longer than {MAX_REVIEW_NOTE} characters", code="reason_too_long"
            )
        if application.status != Application.Status.REFERRED:
            raise Conflict(f"application is {application.status}, not referred", code="not_referred")
        application.status = Application.Status.APPROVED if approve else Application.Status.DECLINED
        application.reviewed_by_id = actor.user_id
        application.reviewed_at = timezone.now()
        application.review_note = reason
        application.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        if approve:
            order = sales.get_order(SYSTEM, application.order_number, for_update=True)
            if order.status != "placed":
                raise Conflict(f"order is {order.status}, not awaiting payment", code="not_payable")
            open_loan(application, on or clock.business_day())
    return application


def applications_for_order(order_number: str) -> QuerySet[Application]:
    return Application.objects.filter(order_number=order_number).order_by("pk")
