"""Tell a bad record from a broken system, for every loop that consumes outside input.

A loop that reads messages, stream entries or rows must set a bad record aside (count it, keep an
example, go on) and must retry, losing nothing, when the system itself fails. Retrying a bad record
can never succeed, so it would stop the loop for good; setting aside a good record because the
database was restarting would lose it.
"""

from __future__ import annotations

from django.db import DatabaseError, DataError, IntegrityError


def is_record_fault(exc: BaseException) -> bool:
    """True when handling the same record again cannot succeed: set it aside.

    The database refusing this record's values (``DataError``: an out-of-range number, a NUL in
    text; ``IntegrityError``: a key it points to does not exist) and any exception that is not a
    database error (a ``ValueError`` or ``KeyError`` on the record's content) are the record's.
    Every other database error (connection lost, deadlock, serialization failure, a missing table)
    is the system's: retry later.
    """
    if isinstance(exc, DataError | IntegrityError):
        return True
    return not isinstance(exc, DatabaseError)
