"""A refused insert is answered as "it already exists" only when the row it collided with is there.

``taken_or_raise`` first asks whether the key is taken, the common case (a form sent twice, a code
reused), so it is refused without a failed insert; the savepoint answers the rare twin that passed
the same question at the same moment. Each caller names the key's rows and its refusal once.

An ``IntegrityError`` names no constraint portably: the unique key a service guards may have
refused the row (a twin sent at the same moment made it first), or another constraint did (a
CHECK, a NOT NULL, a second unique key, a foreign key to a row deleted meanwhile). Telling the
caller "it exists" then is a wrong answer, and a retry loop trusting it loses the write. So the
insert runs in a savepoint, and once that is rolled back (PostgreSQL answers no query in an
aborted transaction) the key is looked up again: what is found answers, nothing found re-raises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from millet.core.errors import DomainError

Found = TypeVar("Found")


@contextmanager
def taken_or_raise(taken: QuerySet, refusal: DomainError, *, check_first: bool = True) -> Iterator[None]:
    """Raise ``refusal`` when ``taken`` (the rows holding the unique key the block would write)
    exists; else run the block in a savepoint and, if the database refuses it, raise ``refusal`` when
    ``taken`` exists now, else the ``IntegrityError``. ``check_first=False`` is for a caller that has
    asked already, in words of its own (which serials are taken)."""
    if check_first and taken.exists():
        raise refusal
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        if taken.exists():
            raise refusal from None
        raise


def created_or_found(create: Callable[[], Found], find: Callable[[], Found | None]) -> Found:
    """``create()`` in a savepoint; if the database refuses it, what ``find()`` returns (a twin's
    row that made it first), or the ``IntegrityError`` when it finds nothing."""
    try:
        with transaction.atomic():
            return create()
    except IntegrityError:
        found = find()
        if found is None:
            raise
        return found
