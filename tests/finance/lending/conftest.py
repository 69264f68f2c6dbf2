"""Lending fixtures: a trained and approved scorecard, a CNY installment product, forms that the
model approves and declines, and orders awaiting payment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.lending import services as lending
from millet.sales.services import LineRequest, place_order
from tests.factories import trained_scorecard

DAY0 = date(2026, 1, 15)  # a fixed business day, so due dates and aging are exact
# The application form's answers (lending.form), amounts in CNY.
GOOD_FORM = {
    "current_account_balance": None,  # no current account: the data's safest answer
    "savings": "20000.00",
    "employed_for": "7_years_or_more",
    "installment_share": "under_20_percent",
    "guarantor": "guarantor",
    "years_at_address": "7_years_or_more",
    "property": "real_estate",
    "other_installment_plans": "none",
    "housing": "own",
    "dependants": 1,
    "telephone": "yes",
}
BAD_FORM = {
    **GOOD_FORM,
    "current_account_balance": "-500.00",
    "savings": "50.00",
    "employed_for": "unemployed",
    "installment_share": "35_percent_or_more",
    "guarantor": "co_applicant",
    "years_at_address": "under_1_year",
    "property": "none",
    "other_installment_plans": "bank",
    "housing": "free",
    "telephone": "no",
}
# Between the cutoffs for a long term: the model refers it to a person.
BORDERLINE_FORM = {**GOOD_FORM, "current_account_balance": "-10.00", "savings": "50.00"}


@pytest.fixture(scope="session")
def credit_artifact() -> dict:
    """Trained once per test session on the German Credit data (2 folds: speed, not figures)."""
    return trained_scorecard().artifact


@pytest.fixture
def credit(world, credit_artifact):
    """The world plus ``open_credit``'s approved model and CNY product."""
    open_credit(credit_artifact)
    return world


def open_credit(artifact: dict) -> None:
    """An approved credit model and the product the lending tests lend on: CN-EASY, Mi Easy Pay in
    CNY, 18% APR over 3, 6 or 12 months, 100 to 50,000, a 30 CNY late fee after 5 days' grace,
    charged off at 180 days past due."""
    model = lending.register_model(artifact, metrics={"auc": 0.78})
    lending.approve_model(SYSTEM, model.version)
    lending.create_product(
        SYSTEM,
        code="CN-EASY",
        name="Mi Easy Pay",
        currency="CNY",
        apr=Decimal("0.1800"),
        terms=[3, 6, 12],
        late_fee=Decimal("30.00"),
        min_amount=Decimal("100.00"),
        max_amount=Decimal("50000.00"),
        grace_days=5,
        charge_off_days=180,
    )


def placed_order(world, user: str = "alice", sku: str = "MI6-64", quantity: int = 1):
    """An order awaiting payment (stock held, no payment yet)."""
    return place_order(actor_for_user(world.users[user]), market="CN", lines=[LineRequest(sku, quantity)])


def apply(world, order, *, user: str = "alice", form=None, term: int = 6, method: str = "annuity", on=None):
    return lending.apply_for_credit(
        actor_for_user(world.users[user]),
        order_number=order.number,
        product_code="CN-EASY",
        term_months=term,
        form=GOOD_FORM if form is None else form,
        method=method,
        on=on,
    )
