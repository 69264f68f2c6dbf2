"""Idempotency keys: the same key with the same request replays, with another request is a 409.

A client that retries a request (a timeout, a lost answer) sends the same ``Idempotency-Key`` and
must get the first answer back, never a second order or payment. A client that reuses a key for a
*different* request is told so (409 ``idempotency_key_reused``, as Stripe and the IETF draft
"The Idempotency-Key HTTP Header Field" answer) instead of being handed the first request's result
as if it were the second's. Every verb that takes a key stores ``fingerprint(...)`` of the
parameters that decide its outcome beside the key, and ``check_same_request`` compares a replay's.

Orders and payments keep their keys beside their own rows. Every other creating verb goes through
``keyed_create``, which keeps a person's keys in one table (``KeyedRequest``, unique per person).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from django.db import IntegrityError, transaction

from millet.core.errors import Conflict
from millet.core.models import KeyedRequest

Made = TypeVar("Made")

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


def keyed_create(
    actor_id: int | None,
    key: str | None,
    request: str,
    create: Callable[[], Made],
    *,
    remember: Callable[[Made], object],
    replay: Callable[[str], Made],
) -> Made:
    """``create()``, once per person and ``Idempotency-Key``: what a verb that creates something runs
    its work through. ``request`` is the ``fingerprint`` of the parameters that decide the outcome.

    Without a key (or without a signed-in person) it is just ``create()``. With a new key, the key row
    is written first, then ``create()`` runs and ``remember(made)`` (its id) is stored on the row, in
    one transaction: a refusal raised by ``create()`` leaves no key behind. A key the person used
    before answers ``replay(stored reference)`` (the first result, as it reads now) when ``request``
    is the same, 409 ``idempotency_key_reused`` when it is not. Another person's key is theirs alone.

    A twin (the same key sent again at once) finds no row, then meets the first's uncommitted row on
    the unique key: PostgreSQL makes its insert wait until the first commits, then the twin, in a
    savepoint, reads the first's row and answers as a replay (SQLite runs writers one at a time, so
    the twin finds the row). The verb checks the actor's right to it before calling this, so a
    replay is answered only to someone who may still make the request.
    """
    if not key or actor_id is None:
        return create()
    with transaction.atomic():
        row = KeyedRequest.objects.filter(actor_id=actor_id, key=key).first()
        if row is None:
            try:
                with transaction.atomic():  # a twin's committed row must not spoil the transaction
                    row = KeyedRequest.objects.create(actor_id=actor_id, key=key, request_fingerprint=request)
            except IntegrityError:
                row = KeyedRequest.objects.filter(actor_id=actor_id, key=key).first()
                if row is None:  # not a twin's key: another constraint refused the row
                    raise
            else:
                made = create()
                KeyedRequest.objects.filter(pk=row.pk).update(result=str(remember(made)))
                return made
        check_same_request(row.request_fingerprint, request)
        return replay(row.result)


def keyed_result(actor_id: int | None, key: str, replay: Callable[[str], Made]) -> Made | None:
    """What ``keyed_create`` made for this person's key (``replay`` of its stored reference), or None
    when the key is new: for a page that must tell a resent form from a new one before it can
    validate it, as the first request may have taken what the form offers. The caller checked the
    person's right to what it asks about; the request is not compared (``keyed_create`` does that)."""
    if not key or actor_id is None:
        return None
    row = KeyedRequest.objects.filter(actor_id=actor_id, key=key).exclude(result="").first()
    return None if row is None else replay(row.result)
