"""Idempotency keys: the same key with the same request replays, with another request is a 409.

A client that retries a request (a timeout, a lost answer) sends the same ``Idempotency-Key`` and
must get the first answer back, never a second order or payment. A client that reuses a key for a
*different* request is told so (409 ``idempotency_key_reused``, as Stripe and the IETF draft
"The Idempotency-Key HTTP Header Field" answer) instead of being handed the first request's result
as if it were the second's. Every verb that takes a key stores ``fingerprint(...)`` of the
parameters that decide its outcome beside the key, and ``check_same_request`` compares a replay's.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from millet.core.errors import Conflict

FINGERPRINT_LENGTH = 64  # hex SHA-256


def _canonical(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # "1.0", "1.00" and "1" are the same amount
    if isinstance(value, date | datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _canonical(dataclasses.asdict(value))  # e.g. a delivery address
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def fingerprint(verb: str, **params: object) -> str:
    """The hex SHA-256 of ``verb`` and ``params`` as canonical JSON (sorted keys, exact decimals).

    ``params`` hold only JSON values, ``Decimal``, dates, and lists, tuples and dicts of them. Order
    the items of a list the caller means as a set before passing it (for example, lines by SKU).
    """
    text = json.dumps({"verb": verb, "params": _canonical(params)}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def check_same_request(stored: str, given: str) -> None:
    """Raise 409 ``idempotency_key_reused`` unless a replay's fingerprint is the stored one."""
    if stored != given:
        raise Conflict(
            "this Idempotency-Key was used for a different request; use a new key for a new request",
            code="idempotency_key_reused",
        )
