"""Amortization schedules: exact minor units, the rounding remainder on the last installment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millet.lending.schedule import (
    ANNUITY,
    EQUAL_PRINCIPAL,
    add_months,
    annuity_payment,
    build_schedule,
    interest_on,
)

principals = st.integers(min_value=1, max_value=10**11)
aprs = st.decimals(min_value=0, max_value=Decimal("0.36"), places=4)
terms = st.sampled_from([1, 3, 6, 12, 24, 36])
methods = st.sampled_from([ANNUITY, EQUAL_PRINCIPAL])
starts = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@given(principals, aprs, terms, methods, starts)
def test_principal_sums_to_the_loan_exactly(principal, apr, months, method, start):
    rows = build_schedule(principal, apr, months, method, start)
    assert len(rows) == months
    assert sum(r.principal for r in rows) == principal
    assert all(type(r.principal) is int and r.principal >= 0 and r.interest >= 0 for r in rows)
    # declining balance: each month's interest is on what is still owed before it
    balance = principal
    for row in rows:
        assert row.interest == interest_on(balance, apr)
        balance -= row.principal
    assert balance == 0
    assert [r.due_date for r in rows] == sorted(r.due_date for r in rows)


@given(principals, aprs, terms, starts)
def test_annuity_installments_are_equal_but_the_last(principal, apr, months, start):
    rows = build_schedule(principal, apr, months, ANNUITY, start)
    payment = annuity_payment(principal, apr, months)
    if principal >= 100 * months:  # tiny loans can finish early: a whole minor unit is the floor
        assert all(r.payment == payment for r in rows[:-1])
        assert abs(rows[-1].payment - payment) <= months


@given(principals, aprs, terms, starts)
def test_equal_principal_payments_decline(principal, apr, months, start):
    rows = build_schedule(principal, apr, months, EQUAL_PRINCIPAL, start)
    assert len({r.principal for r in rows[:-1]}) <= 1
    assert rows[-1].principal >= rows[0].principal
    assert all(a.interest >= b.interest for a, b in pairwise(rows))


def test_a_known_annuity():
    # 1,000.00 over 12 months at 12% APR: the textbook payment is 88.85
    rows = build_schedule(100000, Decimal("0.12"), 12, ANNUITY, date(2026, 1, 31))
    assert annuity_payment(100000, Decimal("0.12"), 12) == 8885
    assert rows[0].interest == 1000 and rows[0].principal == 7885
    assert rows[-1].principal + sum(r.principal for r in rows[:-1]) == 100000
    assert [r.due_date for r in rows[:3]] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]


def test_zero_rate_splits_the_principal():
    rows = build_schedule(1000, Decimal(0), 3, ANNUITY, date(2026, 1, 1))
    assert [r.principal for r in rows] == [334, 334, 332] and all(r.interest == 0 for r in rows)


def test_add_months_clamps_to_the_month_end():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


@pytest.mark.parametrize("bad", [(0, 3), (100, 0), (-5, 3)])
def test_refuses_nonsense(bad):
    with pytest.raises(ValueError):
        build_schedule(bad[0], Decimal("0.1"), bad[1], ANNUITY, date(2026, 1, 1))
