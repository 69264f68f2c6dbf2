"""Numbers a person types into a page: one rule for every form, hand-read field and editor.

The rule: every Unicode decimal digit is the digit it stands for, and is read as that ASCII digit;
full-width signs and points (``－``, ``＋``, ``．``) as their ASCII selves. So ``१२`` (Devanagari,
as an InScript keyboard types it), ``１２`` and ``１２．５`` (a Chinese IME in full-width mode) are 12
and 12.5, in every field alike. What is not a decimal digit stays refused, in the page's words:
``²`` (a superscript), ``½``, Chinese numerals (``十二`` is not positional), Python's ``1_000`` and
``1e5`` (a programmer's syntax, not a person's).

Why accept rather than refuse: Millet's shoppers and staff type in Hindi and Chinese. A person who
types 12 in their own script means 12, and to them a refusal reading "type digits" is a dead end,
for digits are what they typed. Refusing all but ASCII would also have to be enforced everywhere,
Django's own IntegerField and Python's ``int`` already accepting any script (which is how the pages
came to follow no single rule). Normalising at the page keeps everything behind it ASCII: services,
the API (whose clients are programs, held to ASCII by ``core.types``) and the database.

A page draws these fields as text inputs with ``inputmode`` (the phone's digit keypad), never
``type="number"``: Chromium drops Devanagari digits typed into a number input, so the server never
sees what was typed and the person is told the field is empty.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from django import forms

from millet.core.types import money_pattern

FULL_WIDTH_SIGNS = {"．": ".", "－": "-", "＋": "+"}  # a Chinese IME's full-width mode types these
WHOLE = re.compile(r"-?[0-9]+")
PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def ascii_digits(text: str) -> str:
    """``text`` without surrounding spaces, each decimal digit of any script as its ASCII digit and
    the full-width sign and point as ASCII; every other character as it is, for the field to refuse."""
    return "".join(
        str(digit) if (digit := unicodedata.decimal(ch, None)) is not None else FULL_WIDTH_SIGNS.get(ch, ch)
        for ch in text.strip()
    )


def whole_number(text: str, *, max_digits: int = 9, signed: bool = False) -> int | None:
    """The whole number (at most ``max_digits`` digits; a leading minus only when ``signed``) typed or
    posted as ``text``, None for anything else: what a hand-read field (a line's position, a quantity)
    needs before ``int``, which takes "1_000" and, given thousands of digits, raises."""
    typed = ascii_digits(text)
    digits = typed.removeprefix("-") if signed else typed
    return int(typed) if digits.isascii() and digits.isdigit() and len(digits) <= max_digits else None


def money_typed(text: str, places: int = 2) -> Decimal | None:
    """The amount of money typed as ``text`` by the API's rule for Money (``core.types.money_pattern``:
    no sign, at most ``places`` decimals, never ``1e5``, ``NaN`` or ``1,000``), or None. Cash typed at
    a till is read by this, whichever page it is typed on."""
    typed = ascii_digits(text)
    return Decimal(typed) if re.fullmatch(money_pattern(places), typed) else None


def decimal_number(text: str) -> Decimal | None:
    """The plain decimal (``-12.5``, never ``1e5``, ``NaN`` or ``1_000``) typed as ``text``, or None."""
    typed = ascii_digits(text)
    return Decimal(typed) if PLAIN_DECIMAL.fullmatch(typed) else None


class TypedNumber:
    """A Django number field's ``to_python`` by the one rule: the typed text, read as ASCII, must match
    the field's ``PATTERN`` (so ``1e5`` or ``1_000``, which Django itself would take, are refused)."""

    PATTERN: re.Pattern[str]

    def to_python(self, value):
        if isinstance(value, str):
            value = ascii_digits(value)
            if value and not self.PATTERN.fullmatch(value):
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class WholeNumberField(TypedNumber, forms.IntegerField):
    """Django's IntegerField read by the one rule, drawn as a text input with the digit keypad."""

    PATTERN = WHOLE
    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})


class DecimalNumberField(TypedNumber, forms.DecimalField):
    """Django's DecimalField read by the one rule (plain decimals only), drawn as a text input."""

    PATTERN = PLAIN_DECIMAL
    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})


class DigitsField(forms.CharField):
    """A code of digits a person types (a pickup code): a text whose digits are read by the one rule."""

    def to_python(self, value):
        return ascii_digits(super().to_python(value))
