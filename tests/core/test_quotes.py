from decimal import Decimal

import pytest

from millet.core.quotes import quote, quoted


def test_a_quote_reads_back_exactly():
    amounts = {"goods": Decimal("2499.00"), "express": Decimal("20.00"), "tiny": Decimal("0.10")}
    assert quoted(quote(amounts)) == amounts


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        '["1.00"]',
        '{"a": 1}',
        '{"a": "NaN"}',
        '{"a": "sNaN"}',
        '{"a": "-1"}',
        '{"a": ["1"]}',
        "null",
    ],
)
def test_anything_else_is_no_quote(text):
    assert quoted(text) is None
