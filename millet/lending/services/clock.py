"""The lender's calendar day.

Every dated step (disbursement, repayment, refund, aging) asks ``clock.business_day()`` through this
module, so a test can replace it once and run a loan's whole life on one consistent calendar.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone


def business_day() -> date:
    return timezone.localdate()
