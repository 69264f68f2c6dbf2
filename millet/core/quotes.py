"""What a page showed a person before taking their money, carried by its form and read back when
they send it: the services then refuse any other amount (checkout's ``expected_total``, a
protection plan's ``expected`` terms), so what the buyer is shown is what the buyer pays.

A quote is a JSON object of named amounts as decimal strings, so it round-trips exactly (never a
float). A quote that does not read back (missing, edited, an amount not finite or below zero) is
None: what the person saw is then unknown, and the page shows the amounts again instead of guessing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation


def quote(amounts: Mapping[str, Decimal]) -> str:
    """The hidden field's value for ``amounts`` (names to amounts)."""
    return json.dumps({name: str(amount) for name, amount in amounts.items()})


def quoted(text: str) -> dict[str, Decimal] | None:
    """The amounts ``quote`` wrote, or None when ``text`` is not such a quote."""
    try:
        parsed = json.loads(text)
        amounts = {str(name): Decimal(value) for name, value in parsed.items() if isinstance(value, str)}
    except (ValueError, TypeError, AttributeError, InvalidOperation):
        return None
    if len(amounts) != len(parsed) or not all(a.is_finite() and a >= 0 for a in amounts.values()):
        return None
    return amounts
