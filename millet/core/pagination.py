"""List pages: how far into a list a client may ask to start.

An OFFSET beyond PostgreSQL's bigint is a server error, and no one pages a million rows deep; so
every list route refuses a larger offset with a 422 instead (as lending's and the device lists' do).
"""

from __future__ import annotations

from ninja import Field
from ninja.pagination import LimitOffsetPagination

MAX_OFFSET = 1_000_000


class BoundedLimitOffset(LimitOffsetPagination):
    """django-ninja's limit/offset pagination with the offset bounded by ``MAX_OFFSET``."""

    class Input(LimitOffsetPagination.Input):
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
