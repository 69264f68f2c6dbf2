"""``millet.core.typed_numbers``: one rule for a number typed into a page. Any script's decimal
digits are read as ASCII ("१२" and "１２" are 12), anything else is refused, and a form draws the
field as a text input, as Chromium drops Devanagari digits from a number input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms

from millet.core.typed_numbers import (
    DecimalNumberField,
    DigitsField,
    WholeNumberField,
    ascii_digits,
    decimal_number,
    whole_number,
)

TWELVE = [
    "12",
    "१२",
    "１２",
    "১২",
    "௧௨",
    " १२ ",
    "\u3000１２\u3000",
]  # ASCII, Devanagari, full-width, Bengali, Tamil
NOT_WHOLE = ["", " ", "\u00b2", "\u2460", "十二", "1_000", "12.0", "1e5", "+3", "१२x", "9" * 5000]


@pytest.mark.parametrize("typed", TWELVE)
def test_any_script_s_twelve_is_twelve(typed):
    assert ascii_digits(typed) == "12"
    assert whole_number(typed) == 12
    assert WholeNumberField().clean(typed) == 12


@pytest.mark.parametrize("typed", NOT_WHOLE)
def test_what_is_not_a_whole_number_is_none_or_the_fields_refusal(typed):
    assert whole_number(typed) is None
    with pytest.raises(forms.ValidationError):
        WholeNumberField(max_value=10**12).clean(typed)


def test_a_sign_and_many_digits_only_where_asked_for():
    """A hand-read field (a position, an id) is unsigned and short; a form field's min_value says
    whether it may be negative."""
    assert whole_number("-३", signed=True) == -3 and whole_number("－３", signed=True) == -3
    assert whole_number("-३") is None and whole_number("--3", signed=True) is None
    assert whole_number("9" * 10) is None and whole_number("9" * 10, max_digits=10) == 9_999_999_999
    assert WholeNumberField().clean("－３") == -3


@pytest.mark.parametrize(
    ("typed", "number"),
    [("12.5", "12.5"), ("१२.५", "12.5"), ("１２．５", "12.5"), ("-0.25", "-0.25"), ("７", "7")],
)
def test_a_decimal_in_any_script_is_that_decimal(typed, number):
    assert decimal_number(typed) == Decimal(number)
    assert DecimalNumberField().clean(typed) == Decimal(number)


@pytest.mark.parametrize("typed", ["1e5", "NaN", "Infinity", "1_000.5", "12.", ".5", "5,000", "²"])
def test_what_is_not_a_plain_decimal_is_refused(typed):
    assert decimal_number(typed) is None
    with pytest.raises(forms.ValidationError):
        DecimalNumberField().clean(typed)


def test_the_fields_are_text_inputs_with_the_digit_keypad():
    class Form(forms.Form):
        units = WholeNumberField(min_value=1, max_value=10)
        price = DecimalNumberField(decimal_places=2)

    drawn = str(Form())
    assert 'type="text" name="units" inputmode="numeric"' in drawn
    assert 'type="text" name="price" inputmode="decimal"' in drawn
    assert 'type="number"' not in drawn


def test_a_code_of_digits_keeps_its_leading_zeros_in_ascii():
    assert DigitsField(max_length=6).clean("०१२३४५") == "012345"
