"""Lending fixtures: a trained and approved scorecard, a CNY installment product, forms that the
model approves and declines, and orders awaiting payment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.lending import services as lending
from millet.lending.credit import train
from millet.sales.services import LineRequest, place_order

DAY0 = date(2026, 1, 15)  # a fixed business day, so due dates and aging are exact
GOOD_FORM = {
    "status_of_existing_checking_account": "no checking account",
    "savings_account_and_bonds": "... >= 1000 DM",
    "present_employment_since": "... >= 7 years",
    "installment_rate_in_percentage_of_disposable_income": 1,
    "personal_status_and_sex": "male : single",
    "other_debtors_or_guarantors": "guarantor",
    "present_residence_since": 4,
    "property": "real estate",
    "age_in_years": 45,
    "other_installment_plans": "none",
    "housing": "own",
    "job": "skilled employee / official",
    "number_of_people_being_liable_to_provide_maintenance_for": 1,
    "telephone": "yes, registered under the customers name",
    "foreign_worker": "no",
}
BAD_FORM = {
    **GOOD_FORM,
    "status_of_existing_checking_account": "... < 0 DM",
    "savings_account_and_bonds": "... < 100 DM",
    "present_employment_since": "unemployed",
    "installment_rate_in_percentage_of_disposable_income": 4,
    "other_debtors_or_guarantors": "co-applicant",
    "present_residence_since": 1,
    "property": "unknown / no property",
    "age_in_years": 19,
    "other_installment_plans": "bank",
    "housing": "for free",
    "job": "unemployed/ unskilled - non-resident",
    "telephone": "none",
    "foreign_worker": "yes",
}
# Between the cutoffs for a long term: the model refers it to a person.
BORDERLINE_FORM = {
    **GOOD_FORM,
    "status_of_existing_checking_account": "... < 0 DM",
    "savings_account_and_bonds": "... < 100 DM",
    "age_in_years": 25,
}


@pytest.fixture(scope="session")
def credit_artifact() -> dict:
    """Trained once per test session on the German Credit data (2 folds: speed, not figures)."""
    return train(folds=2, seed=0).artifact


@pytest.fixture
def credit(world, credit_artifact):
    """The world plus an approved model and a CNY product (18% APR, 3/6/12 months, 30 CNY late fee)."""
    model = lending.register_model(credit_artifact, metrics={"auc": 0.78})
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
    return world


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
