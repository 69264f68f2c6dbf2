"""The credit application form a customer fills in, asked in their market (pure rules, no tables).

Questions are in plain words and the customer's language (Django i18n: zh-Hans, hi, en, de);
amounts are in the order's currency (CNY, INR or EUR) and reach the model's Deutsche Mark scale
only through ``credit.scale``. No question asks for sex, marital status, age, nationality or
residency: the model cannot read them (``credit.features.EXCLUDED``), and naming one is refused.
``model_features`` maps the answers onto the model's features (the German Credit schema); the
platform adds what it knows itself (``PLATFORM_FACTS``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from millet.core.errors import Unprocessable
from millet.lending.credit.features import EXCLUDED
from millet.lending.credit.scale import to_dm
from millet.regions.money import parse_amount


@dataclass(frozen=True)
class Choice:
    value: str  # what the form sends
    label: Promise
    answer: str | int  # the model feature's value in the German Credit schema


@dataclass(frozen=True)
class Question:
    name: str
    kind: Literal["money", "choice", "integer"]
    label: Promise
    feature: str  # the model feature this answers
    choices: tuple[Choice, ...] = ()
    minimum: int | None = None  # integer questions
    maximum: int | None = None
    optional: bool = False  # money: empty (null or absent) means "I have none"
    to_feature: Callable[[Decimal | None], str] | None = None  # money: amount in DM -> feature value


def _current_account(dm: Decimal | None) -> str:
    """The data set's current-account answers, by balance in DM (thresholds 0 and 200 DM)."""
    if dm is None:
        return "no checking account"
    if dm < 0:
        return "... < 0 DM"
    return "0 <= ... < 200 DM" if dm < 200 else "... >= 200 DM / salary assignments for at least 1 year"


def _savings(dm: Decimal | None) -> str:
    """The data set's savings answers, by savings in DM (thresholds 100, 500 and 1,000 DM)."""
    if dm is None:
        return "unknown/ no savings account"
    for upper, answer in (
        (100, "... < 100 DM"),
        (500, "100 <= ... < 500 DM"),
        (1000, "500 <= ... < 1000 DM"),
    ):
        if dm < upper:
            return answer
    return "... >= 1000 DM"


LESS_THAN_1, ONE_TO_4, FOUR_TO_7, SEVEN_OR_MORE = (
    _("Less than 1 year"),
    _("1 to 4 years"),
    _("4 to 7 years"),
    _("7 years or more"),
)
# "None" answers "your most valuable property" (German: keiner, as der Besitz), not a list.
YES, NO, NONE = _("Yes"), _("No"), pgettext_lazy("no property", "None")

QUESTIONS: tuple[Question, ...] = (
    Question(
        "current_account_balance",
        "money",
        _("Balance of your current account (leave empty if you have none)"),
        "status_of_existing_checking_account",
        optional=True,
        to_feature=_current_account,
    ),
    Question(
        "savings",
        "money",
        _("Your savings and investments (leave empty if you have none)"),
        "savings_account_and_bonds",
        optional=True,
        to_feature=_savings,
    ),
    Question(
        "employed_for",
        "choice",
        _("How long have you been in your current employment?"),
        "present_employment_since",
        (
            Choice("unemployed", _("I am not employed"), "unemployed"),
            Choice("under_1_year", LESS_THAN_1, "... < 1 year"),
            Choice("1_to_4_years", ONE_TO_4, "1 <= ... < 4 years"),
            Choice("4_to_7_years", FOUR_TO_7, "4 <= ... < 7 years"),
            Choice("7_years_or_more", SEVEN_OR_MORE, "... >= 7 years"),
        ),
    ),
    # The data's installment rate is a code 1-4 for the share of disposable income; read as in the
    # UCI documentation, a larger code a larger share (its bad rates rise with the code).
    Question(
        "installment_share",
        "choice",
        _("What share of your monthly disposable income will installments take, this one included?"),
        "installment_rate_in_percentage_of_disposable_income",
        (
            Choice("under_20_percent", _("Less than 20%"), 1),
            Choice("20_to_25_percent", _("20% to 25%"), 2),
            Choice("25_to_35_percent", _("25% to 35%"), 3),
            Choice("35_percent_or_more", _("At least 35%"), 4),
        ),
    ),
    Question(
        "guarantor",
        "choice",
        _("Does anyone else stand behind this credit?"),
        "other_debtors_or_guarantors",
        (
            Choice("none", NO, "none"),
            Choice("co_applicant", _("Yes, a co-applicant"), "co-applicant"),
            Choice("guarantor", _("Yes, a guarantor"), "guarantor"),
        ),
    ),
    Question(
        "years_at_address",
        "choice",
        _("How long have you lived at your current address?"),
        "present_residence_since",
        (
            Choice("under_1_year", LESS_THAN_1, 1),
            Choice("1_to_4_years", ONE_TO_4, 2),
            Choice("4_to_7_years", FOUR_TO_7, 3),
            Choice("7_years_or_more", SEVEN_OR_MORE, 4),
        ),
    ),
    Question(
        "property",
        "choice",
        _("Your most valuable property"),
        "property",
        (
            Choice("real_estate", _("Real estate"), "real estate"),
            Choice(
                "savings_agreement_or_life_insurance",
                _("A building society savings agreement or life insurance"),
                "building society savings agreement/ life insurance",
            ),
            Choice(
                "car_or_other",
                _("A car or other property"),
                "car or other, not in attribute Savings account/bonds",
            ),
            Choice("none", NONE, "unknown / no property"),
        ),
    ),
    Question(
        "other_installment_plans",
        "choice",
        _("Are you paying off other installment plans?"),
        "other_installment_plans",
        (
            Choice("bank", _("Yes, with a bank"), "bank"),
            Choice("store", _("Yes, with a store"), "stores"),
            Choice("none", NO, "none"),
        ),
    ),
    Question(
        "housing",
        "choice",
        _("Your home"),
        "housing",
        (
            Choice("rent", _("I rent it"), "rent"),
            Choice("own", _("I own it"), "own"),
            Choice("free", _("I live there without paying rent"), "for free"),
        ),
    ),
    Question(
        "dependants",
        "integer",
        _("How many people do you support financially?"),
        "number_of_people_being_liable_to_provide_maintenance_for",
        minimum=0,
        maximum=20,
    ),
    Question(
        "telephone",
        "choice",
        _("Is a telephone registered in your name?"),
        "telephone",
        (Choice("yes", YES, "yes, registered under the customers name"), Choice("no", NO, "none")),
    ),
)
QUESTIONS_BY_NAME: dict[str, Question] = {q.name: q for q in QUESTIONS}


@dataclass(frozen=True)
class PlatformFact:
    """What the platform fills in itself (the form may not state it)."""

    name: str
    feature: str
    kind: Literal["money", "choice", "integer"]
    label: Promise


PLATFORM_FACTS: tuple[PlatformFact, ...] = (
    PlatformFact("repayment_term", "duration_in_month", "integer", _("Repayment term (months)")),
    PlatformFact("credit_amount", "credit_amount", "money", _("Amount of credit (the order's total)")),
    PlatformFact("credit_purpose", "purpose", "choice", _("What the credit pays for")),
    PlatformFact("repayment_history", "credit_history", "choice", _("Your repayment history with us")),
    PlatformFact(
        "existing_credits",
        "number_of_existing_credits_at_this_bank",
        "integer",
        _("Credits you have with us"),
    ),
)


def _refuse(detail: str, code: str) -> None:
    raise Unprocessable(detail, code=code)


def _money(question: Question, value: Any, currency: str) -> Decimal | None:
    """An amount in ``currency`` (a decimal string; a current account may be overdrawn, "-120.50"),
    or None for an optional question left empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        _refuse(f"{question.name} must be an amount as a decimal string", "invalid_feature")
    text = str(value)
    negative = text.startswith("-") and question.feature == "status_of_existing_checking_account"
    amount = parse_amount(text[1:] if negative else text, currency, allow_zero=True)
    return -amount if negative else amount


def _answer(question: Question, value: Any, currency: str) -> str | int:
    if question.kind == "money":
        amount = _money(question, value, currency)
        return question.to_feature(None if amount is None else to_dm(amount, currency))
    if question.kind == "integer":
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not question.minimum <= value <= question.maximum
        ):
            _refuse(
                f"{question.name} must be a whole number from {question.minimum} to {question.maximum}",
                "invalid_feature",
            )
        return value
    for choice in question.choices:
        if value == choice.value:
            return choice.answer
    _refuse(
        f"{question.name} must be one of {[c.value for c in question.choices]}, got {value!r}",
        "invalid_feature",
    )


def model_features(form: Any, *, currency: str) -> dict[str, str | int]:
    """The model features a customer's answers give, amounts converted from ``currency``.

    Refusals (422): ``invalid_features`` (not an object), ``protected_attribute`` (a protected or
    excluded column named), ``platform_feature`` (something the platform states itself),
    ``unknown_feature``, ``missing_feature`` (an answer left out; optional amounts may be),
    ``invalid_feature`` / ``malformed_money`` (a bad answer), ``unsupported_currency``.
    """
    if not isinstance(form, Mapping):
        _refuse("form must be an object of question: answer", "invalid_features")
    barred = sorted(str(name) for name in form if name in EXCLUDED)
    if barred:
        _refuse(f"{', '.join(barred)} may not be asked or used in a credit decision", "protected_attribute")
    platform = {fact.name for fact in PLATFORM_FACTS} | {fact.feature for fact in PLATFORM_FACTS}
    stated = sorted(str(name) for name in form if name in platform)
    if stated:
        _refuse(f"the platform supplies {', '.join(stated)}; leave them out of the form", "platform_feature")
    unknown = sorted(str(name) for name in form if name not in QUESTIONS_BY_NAME)
    if unknown:
        _refuse(f"unknown question(s): {', '.join(unknown)}", "unknown_feature")
    missing = [q.name for q in QUESTIONS if q.name not in form and not q.optional]
    if missing:
        _refuse(f"missing answer(s): {', '.join(missing)}", "missing_feature")
    return {q.feature: _answer(q, form.get(q.name), currency) for q in QUESTIONS}
