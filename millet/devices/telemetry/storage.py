"""Raw SQL for the telemetry table: its day partitions (``PARTITIONS``), and one-statement batch inserts.

``copy_rows`` COPYs a batch straight into the table, PostgreSQL's cheapest way in, for a caller that
expects every row to be new and starts over the careful way if the key refuses one (the ingest worker:
a message comes back only when its ack was lost). ``insert_rows`` is the careful way: on PostgreSQL a
COPY into a session's scratch table and one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING
RETURNING``: de-duplication by the primary key, and the list of rows that were really new (so
duplicates never update a shadow twice). SQLite, the single-writer embedded default, inserts row by
row with ``INSERT OR IGNORE`` in the batch's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import orjson
from django.db import connection

from millet.core.partitions import RangePartitioned

TABLE = "telemetry_message"
COLUMNS = "device_id, kind, seq, ts, received_at, body"
# Day partitions from yesterday to 3 days on, kept by the ingest worker (core.partitions.ensure_all).
PARTITIONS = RangePartitioned(TABLE, "ts", "day", ahead=3, behind=1)


@dataclass(frozen=True)
class Row:
    device_id: str
    kind: str  # "t" telemetry, "e" event
    seq: int
    ts: datetime
    received_at: datetime
    body: dict

    @property
    def key(self) -> tuple[str, str, int]:
        return self.device_id, self.kind, self.seq


def _copy(cursor, table: str, rows: list[Row]) -> None:
    """COPY the rows into ``table`` (PostgreSQL; ``cursor`` is Django's)."""
    with cursor.cursor.copy(f"COPY {table} ({COLUMNS}) FROM STDIN") as copy:
        for r in rows:  # orjson: the body's text several times faster than json.dumps
            copy.write_row((r.device_id, r.kind, r.seq, r.ts, r.received_at, orjson.dumps(r.body).decode()))


def copy_rows(rows: list[Row]) -> None:
    """PostgreSQL: COPY the batch straight into the table in the caller's transaction. A row whose key
    is already there (or in the batch twice) fails the whole COPY with ``psycopg.IntegrityError``:
    the caller rolls back and uses ``insert_rows``."""
    with connection.cursor() as cursor:
        _copy(cursor, TABLE, rows)


def insert_rows(rows: list[Row]) -> list[Row]:
    """Insert a batch in the caller's transaction; return the rows that were new (not duplicates)."""
    if not rows:
        return []
    unique: dict[tuple, Row] = {}
    for row in rows:
        unique.setdefault((*row.key, row.ts), row)
    rows = list(unique.values())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY into a per-session scratch table, then one INSERT ... ON CONFLICT DO NOTHING RETURNING:
            # COPY is PostgreSQL's cheapest way in, the INSERT keeps de-duplication by the primary key.
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS telemetry_inbox (device_id varchar(64), kind char(1), "
                "seq bigint, ts timestamptz, received_at timestamptz, body jsonb) ON COMMIT DELETE ROWS"
            )
            _copy(cursor, "telemetry_inbox", rows)
            cursor.execute(
                f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM telemetry_inbox "
                "ON CONFLICT DO NOTHING RETURNING device_id, kind, seq"
            )
            new = {tuple(found) for found in cursor.fetchall()}
            cursor.execute("TRUNCATE telemetry_inbox")
            return [r for r in rows if r.key in new]
        fresh = []
        adapt = connection.ops.adapt_datetimefield_value
        for r in rows:
            cursor.execute(
                f"INSERT OR IGNORE INTO {TABLE} (device_id, kind, seq, ts, received_at, body) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [r.device_id, r.kind, r.seq, adapt(r.ts), adapt(r.received_at), json.dumps(r.body)],
            )
            if cursor.rowcount == 1:
                fresh.append(r)
        return fresh


def bump_counters(counts: dict[str, int]) -> None:
    """Add to the per-reason counters in the caller's transaction (upsert, no read-modify-write)."""
    items = [(reason[:64], n) for reason, n in counts.items() if n]
    if not items:
        return
    with connection.cursor() as cursor:
        for reason, n in items:
            cursor.execute(
                "INSERT INTO telemetry_ingestcounter (reason, count, updated_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (reason) DO UPDATE SET count = telemetry_ingestcounter.count + excluded.count, "
                "updated_at = excluded.updated_at",
                [reason, n, connection.ops.adapt_datetimefield_value(datetime.now().astimezone())],
            )


def delete_device_rows(device_ids: Iterable[str]) -> int:
    ids = list(device_ids)
    if not ids:
        return 0
    with connection.cursor() as cursor:
        placeholders = ", ".join(["%s"] * len(ids))
        cursor.execute(f"DELETE FROM {TABLE} WHERE device_id IN ({placeholders})", ids)
        return cursor.rowcount
