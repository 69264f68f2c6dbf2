"""What a customer is told when the model held a feature against them: plain words about their own
finances, translated (zh-Hans, hi, de), one code per model feature. A protected attribute has no
reason here, so it can never be shown: a model that reads one cannot be loaded (``Scorecard``).

Codes are stable: an application stores them, and the text is rendered in the reader's language
when it is shown (``reason_text``).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

# model feature -> (code, what the customer reads)
REASONS: dict[str, tuple[str, Promise]] = {
    "status_of_existing_checking_account": (
        "current_account",
        _("Little or no money in your current account"),
    ),
    "duration_in_month": ("repayment_term", _("The long repayment term you chose")),
    "credit_history": ("repayment_history", _("Your repayment history with us")),
    "purpose": ("credit_purpose", _("What the credit pays for")),
    "credit_amount": ("credit_amount", _("The amount of credit you asked for")),
    "savings_account_and_bonds": ("savings", _("Little or no savings")),
    "present_employment_since": ("employment", _("A short time in your current employment")),
    "installment_rate_in_percentage_of_disposable_income": (
        "installment_share",
        _("The installments would take a large share of your disposable income"),
    ),
    "other_debtors_or_guarantors": ("guarantor", _("No guarantor for the credit")),
    "present_residence_since": ("time_at_address", _("A short time at your current address")),
    "property": ("property", _("Little property to secure the credit")),
    "other_installment_plans": ("other_installments", _("Other installment plans you are paying off")),
    "housing": ("housing", _("You do not own your home")),
    "number_of_existing_credits_at_this_bank": (
        "existing_credits",
        _("The number of credits you already have with us"),
    ),
    "number_of_people_being_liable_to_provide_maintenance_for": (
        "dependants",
        _("The number of people you support"),
    ),
    "telephone": ("telephone", _("No telephone registered in your name")),
}
TEXTS: dict[str, Promise] = dict(REASONS.values())


def reason_code(feature: str) -> str:
    """The reason code of a model feature; KeyError for a feature no customer may be told about."""
    return REASONS[feature][0]


def reason_text(code: str, language: str | None = None) -> str:
    """The words for ``code`` in ``language`` (default: the active one, e.g. the request's)."""
    if language is None:
        return str(TEXTS[code])
    with override(language):
        return str(TEXTS[code])
