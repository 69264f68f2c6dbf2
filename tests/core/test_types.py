"""Strict input types (issue 8, fault 7): money is a plain decimal, a quantity a JSON integer, a date
an ISO 8601 string. The properties hold for any input hypothesis can think of; the API tests take
the issue's examples through real routes."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from millet.core.types import IsoDate, IsoDateTime, Money, Quantity, WholeNumber, money

MONEY = TypeAdapter(Money)
PLAIN = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]{1,2})?")


def accepted(adapter: TypeAdapter, value: object) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


@given(st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2, allow_nan=False))
def test_every_amount_written_plainly_reads_back_exactly(amount):
    text = format(amount, "f")
    assert MONEY.validate_python(text) == amount
    assert str(MONEY.validate_python(text)) == text  # no rounding, no change of scale


@given(st.text(max_size=20))
def test_a_string_is_money_only_when_it_is_plain_ascii_digits(text):
    assert accepted(MONEY, text) == bool(PLAIN.fullmatch(text) and len(text.split(".")[0]) <= 12)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_json_fraction_is_never_money(number):
    assert not accepted(MONEY, number)


@given(st.integers())
def test_a_json_integer_is_money_within_range(number):
    assert accepted(MONEY, number) == (0 <= number < 10**12)


@pytest.mark.parametrize(
    "text",
    [
        "1e3",
        "1E3",
        "1.5e1",
        " 12.50",
        "12.50 ",
        "012.50",
        "+1",
        "-1",
        "1.",
        ".5",
        "1.234",
        "NaN",
        "Infinity",
        "1_000",
        "１２",
        "12,50",
        "",
    ],
)
def test_the_kinds_of_nonsense_are_refused(text):
    assert not accepted(MONEY, text)


def test_money_follows_the_currencys_places():
    assert accepted(TypeAdapter(money(3)), "1.234") and not accepted(TypeAdapter(money(0)), "1.5")
    assert TypeAdapter(money(0)).validate_python("1500") == Decimal(1500)


@pytest.mark.parametrize("value", [True, False, 1.0, "1", None, 1.5])
def test_counts_are_json_integers_only(value):
    assert not accepted(TypeAdapter(Quantity), value)
    assert not accepted(TypeAdapter(WholeNumber), value)


@pytest.mark.parametrize(
    "value", [0.5, 0, "0.5", "1700000000", "2026-13", "tomorrow", "2026-01-01T00:00:00+08"]
)
def test_dates_are_iso_8601_strings_only(value):
    assert not accepted(TypeAdapter(IsoDateTime), value)
    assert not accepted(TypeAdapter(IsoDate), value)


def test_iso_dates_are_read():
    assert str(TypeAdapter(IsoDate).validate_python("2026-11-11")) == "2026-11-11"
    when = TypeAdapter(IsoDateTime).validate_python("2026-11-11T00:00:00+08:00")
    assert when.utcoffset().total_seconds() == 8 * 3600


# --- through the API: the issue's examples ---------------------------------------------------------


@pytest.mark.django_db
def test_the_issue_examples_are_422_and_change_nothing(world):
    from millet.finance.models import LedgerTransfer
    from millet.finance.services import ensure_account
    from millet.sales.models import Order

    for code, kind in (("cash:CNY", "asset"), ("sales:CNY", "revenue")):
        ensure_account(code, "CNY", kind)
    staff, alice = world.client("staff"), world.client("alice")
    transfer = {"debit": "cash:CNY", "credit": "sales:CNY", "currency": "CNY", "idempotency_key": "t"}
    for amount in ("1e3", " 12.50", "12.505", 12.5, True):
        answer = staff.post("/finance/transfers", {**transfer, "amount": amount})
        assert answer.status_code == 422, (amount, answer.content)
    for quantity in (True, 1.0, "1"):
        answer = alice.post(
            "/sales/orders", {"market": "CN", "lines": [{"sku": "MI6-64", "quantity": quantity}]}
        )
        assert answer.status_code == 422, (quantity, answer.content)
    for at in ("0.5", "1700000000", "yesterday"):
        assert staff.get(f"/finance/reports/trial-balance?at={at}").status_code == 422, at
    assert staff.get("/finance/reports/trial-balance?at=2026-01-01T00:00:00Z").status_code == 200
    assert not LedgerTransfer.objects.exists() and not Order.objects.exists()
