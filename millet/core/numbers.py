"""Document numbers (orders, loans, applications, policies, claims): one format for every domain."""

from __future__ import annotations

import secrets

from django.utils import timezone

# The numbers an insert tries before a clash with another document's number is an error: two draws
# meeting taken numbers in a row is about (n/2^48)^2 for n numbers of the prefix that day.
NUMBER_DRAWS = 3


def document_number(prefix: str, marker: str = "") -> str:
    """``{prefix}{YYMMDD}-{marker}{12 hex digits}``, e.g. ``CN170618-3FA2C19B04D1`` or
    ``CN170618-F3FA2C19B04D1`` (at most 22 characters with a two-letter prefix and a marker).

    The date (UTC) lets a person place a document in time; the 48 random bits make numbers
    impossible to guess or count, so a customer cannot probe another's order by its number. Each
    number column is unique, so a collision is refused by the database, never stored twice. By the
    birthday bound, n numbers of one prefix in one day collide with probability about n²/2⁴⁹: 0.2%
    on a Singles Day of a million orders in one market (32 bits, as before, made that certain, about
    a hundred clashes, and 1% on a day of ten thousand).
    """
    return f"{prefix}{timezone.now():%y%m%d}-{marker}{secrets.token_hex(6).upper()}"
