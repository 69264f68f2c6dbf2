"""An order's credit is decided once, even when two decisions race on it (PostgreSQL): the order
row is locked, so the second sees the first's application and is refused; nothing else is booked."""

from __future__ import annotations

import pytest

from millet.core.errors import Conflict
from millet.finance.services import total_balance_check
from millet.lending.models import Application, Loan
from tests.concurrency import race
from tests.finance.lending.conftest import BAD_FORM, GOOD_FORM, apply, placed_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_racing_applications_on_one_order_make_one_decision(require_postgres, credit):
    order = placed_order(credit)
    forms = [BAD_FORM, GOOD_FORM, BAD_FORM, GOOD_FORM]
    results = race(len(forms), lambda i: apply(credit, order, form=forms[i], term=12))
    decided = [r for r in results if isinstance(r, Application)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(decided) == 1 and len(refused) == len(forms) - 1, results
    assert {r.code for r in refused} <= {"already_decided", "already_financed", "not_payable"}
    assert Application.objects.filter(order_number=order.number).count() == 1
    assert Loan.objects.count() == (1 if decided[0].status == "approved" else 0)
    assert total_balance_check() == 0
