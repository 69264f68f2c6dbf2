"""Document numbers (orders, loans, applications, policies, claims): one format for every domain."""

from __future__ import annotations

import secrets

from django.utils import timezone


def document_number(prefix: str, marker: str = "") -> str:
    """``{prefix}{YYMMDD}-{marker}{8 hex digits}``, e.g. ``CN170618-3FA2C19B`` or ``CN170618-F3FA2C19B``.

    The date (UTC) lets a person place a document in time; the 32 random bits make numbers
    impossible to guess or count, so a customer cannot probe another's order by its number. Each
    number column is unique, so the rare collision is refused by the database, never stored twice.
    """
    return f"{prefix}{timezone.now():%y%m%d}-{marker}{secrets.token_hex(4).upper()}"
