"""The lending domain's service API: what routes, views, admin, commands and other domains may call.

Consumer credit at checkout: products, the credit-model registry, applications decided by the
approved scorecard, loans with their schedules and money, the daily aging job, and monitoring.
"""

from millet.lending.services.applications import (
    application_form,
    applications_for_order,
    apply_for_credit,
    apply_for_credit_at_counter,
    get_application,
    list_applications,
    platform_facts,
    review_application,
)
from millet.lending.services.clock import business_day
from millet.lending.services.daily import DailySummary, bucket_counts, bucket_for, run_daily
from millet.lending.services.gateway import LenderGateway
from millet.lending.services.loans import (
    LENDER_GATEWAY,
    TOKEN_PREFIX,
    events_for,
    get_loan,
    get_own_loan,
    installments,
    list_loans,
    loan_funds_order,
    schedule_outstanding,
)
from millet.lending.services.monitoring import (
    Cohort,
    MonitoringReport,
    ScoreBucket,
    cohorts,
    monitoring_report,
)
from millet.lending.services.products import (
    MAX_TERM_MONTHS,
    check_product,
    create_product,
    get_product,
    list_products,
)
from millet.lending.services.registry import (
    approve_model,
    approved_model,
    list_models,
    register_model,
    scorecard_for,
)
from millet.lending.services.repayments import cancel_loan, payoff_quote, refund_to_loan, repay
from millet.lending.services.reporting import (
    PAST_DUE_DAYS,
    CreditDecisions,
    PastDue,
    credit_decisions,
    loan_markets,
    past_due,
)
from millet.lending.services.statements import (
    HistoryLine,
    LoanStatement,
    LoanSummary,
    ScheduleLine,
    loan_statement,
    loan_summaries,
)
from millet.lending.services.waterfall import Waterfall, payoff_minor

__all__ = [
    "APPROVE_BELOW_PD",
    "DECLINE_ABOVE_PD",
    "LENDER_GATEWAY",
    "MAX_TERM_MONTHS",
    "PAST_DUE_DAYS",
    "PLATFORM_FEATURES",
    "TOKEN_PREFIX",
    "Cohort",
    "CreditDecisions",
    "DailySummary",
    "HistoryLine",
    "LenderGateway",
    "LoanStatement",
    "LoanSummary",
    "MonitoringReport",
    "PastDue",
    "ScheduleLine",
    "ScoreBucket",
    "Waterfall",
    "application_form",
    "applications_for_order",
    "apply_for_credit",
    "apply_for_credit_at_counter",
    "approve_model",
    "approved_model",
    "bucket_counts",
    "bucket_for",
    "business_day",
    "cancel_loan",
    "check_product",
    "cohorts",
    "create_product",
    "credit_decisions",
    "events_for",
    "get_application",
    "get_loan",
    "get_own_loan",
    "get_product",
    "installments",
    "list_applications",
    "list_loans",
    "list_models",
    "list_products",
    "loan_funds_order",
    "loan_markets",
    "loan_statement",
    "loan_summaries",
    "monitoring_report",
    "past_due",
    "payoff_minor",
    "payoff_quote",
    "platform_facts",
    "refund_to_loan",
    "register_model",
    "repay",
    "review_application",
    "run_daily",
    "schedule_outstanding",
    "scorecard_for",
]
