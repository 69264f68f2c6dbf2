"""Declarative RANGE partitioning on PostgreSQL: by day (telemetry) or by month (stock movements,
ledger transfers), one partition per period created ahead of time, and a default partition.

A table is described once by a ``RangePartitioned`` and registered by its app (``AppConfig.ready``);
the device cloud's ingest worker calls ``ensure_all`` at start and on its maintenance tick, and sales'
``expire_orders`` job every minute, so every registered table gets its partitions from ``behind``
periods ago to ``ahead`` periods on, with or without the device cloud.

Rows for a period without its own partition land in the default partition and stay queryable there.
PostgreSQL refuses to create a period's partition while the default partition holds rows of that
period, so ``ensure_partitions`` leaves such a period alone and logs it (moving rows out of the
default partition means a DELETE, which the ledger's immutability trigger refuses; that stays an
operator's deliberate step). Creating partitions ``ahead`` periods early keeps the default empty as
long as the job runs at least once every ``ahead`` periods.

``rebuild`` converts an existing plain table into a partitioned one (and back, for the reverse
migration): rows are copied, the identity sequence goes on from where it was, and indexes, foreign
keys out of the table, check constraints and triggers are recreated under their own names. The
primary key becomes (id, partition column), because PostgreSQL requires every unique key of a
partitioned table to include the partition key; Django keeps ``id`` as the model's primary key.
A table that other tables reference by foreign key, or that has another unique key, cannot be
partitioned: ``rebuild`` refuses it with the constraints' names.

SQLite (the single-node default) keeps plain tables: every function here does nothing there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from django.db import DatabaseError, connection, migrations, transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RangePartitioned:
    """A table RANGE-partitioned on ``column`` (a timestamptz), one partition per ``unit`` (UTC).

    Partitions are named ``<table>_YYYYMMDD`` (day) or ``<table>_YYYYMM`` (month), plus
    ``<table>_default``."""

    table: str
    column: str
    unit: Literal["day", "month"]
    ahead: int
    behind: int = 0

    def start_of(self, day: date) -> date:
        return day if self.unit == "day" else day.replace(day=1)

    def shift(self, start: date, periods: int) -> date:
        if self.unit == "day":
            return start + timedelta(days=periods)
        months = start.year * 12 + start.month - 1 + periods
        return date(months // 12, months % 12 + 1, 1)

    def partition_name(self, start: date) -> str:
        return f"{self.table}_{start:%Y%m%d}" if self.unit == "day" else f"{self.table}_{start:%Y%m}"

    @property
    def default_name(self) -> str:
        return f"{self.table}_default"

    def periods(self, around: date) -> list[date]:
        """The starts of the periods ``ensure_partitions`` keeps: ``behind`` before to ``ahead`` after."""
        start = self.start_of(around)
        return [self.shift(start, n) for n in range(-self.behind, self.ahead + 1)]

    def create_sql(self, start: date) -> str:
        return (
            f"CREATE TABLE {self.partition_name(start)} PARTITION OF {self.table} FOR VALUES "
            f"FROM ('{start.isoformat()} 00:00+00') TO ('{self.shift(start, 1).isoformat()} 00:00+00')"
        )


TABLES: dict[str, RangePartitioned] = {}


def register(spec: RangePartitioned) -> RangePartitioned:
    """Put a table under ``ensure_all``'s care (called from its app's ``ready``)."""
    TABLES[spec.table] = spec
    return spec


def is_partitioned(table: str, conn=None) -> bool:
    conn = conn or connection
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table])
        return cursor.fetchone() is not None


def ensure_partitions(spec: RangePartitioned, conn=None, around: date | None = None) -> int:
    """Create the table's missing partitions around ``around`` (today, UTC); return how many were new.

    A period whose rows already sit in the default partition cannot get its own partition
    (PostgreSQL refuses); it is logged and skipped, its rows stay in the default partition."""
    conn = conn or connection
    if conn.vendor != "postgresql":
        return 0
    around = around or datetime.now(UTC).date()
    created = 0
    with conn.cursor() as cursor:
        for start in spec.periods(around):
            cursor.execute("SELECT to_regclass(%s)", [spec.partition_name(start)])
            if cursor.fetchone()[0] is not None:
                continue
            try:
                with transaction.atomic(using=conn.alias):
                    cursor.execute(spec.create_sql(start))
                created += 1
            except DatabaseError:
                log.warning(
                    "%s: rows of the period from %s are in %s, so it gets no partition of its own",
                    spec.table,
                    start,
                    spec.default_name,
                )
    return created


def ensure_all(conn=None, around: date | None = None) -> int:
    """``ensure_partitions`` for every registered table that is partitioned; how many were new."""
    conn = conn or connection
    return sum(
        ensure_partitions(spec, conn, around) for spec in TABLES.values() if is_partitioned(spec.table, conn)
    )


def rebuild(schema_editor, spec: RangePartitioned, *, partitioned: bool, around: date | None = None) -> None:
    """Rebuild ``spec.table`` as a partitioned table (``partitioned=True``) or a plain one, keeping
    its rows, identity sequence, indexes, check constraints, foreign keys out and triggers.

    For migrations (``RunPython``), in the migration's transaction; PostgreSQL only, nothing on
    SQLite. Raises ``ValueError`` if other tables reference this one, or it has a unique key other
    than the primary key (neither is possible on a partitioned table)."""
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    table, old = spec.table, f"{spec.table}_rebuilt_from"
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT conname, conrelid::regclass::text FROM pg_constraint "
            "WHERE confrelid = %s::regclass AND conrelid <> confrelid",
            [table],
        )
        if referencing := cursor.fetchall():
            raise ValueError(f"{table} is referenced by foreign keys {referencing}; drop them first")
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f')",
            [table],
        )
        constraints = cursor.fetchall()
        if unique := [name for name, kind, _definition in constraints if kind == "u"]:
            raise ValueError(f"{table} has unique keys {unique}; a partitioned table cannot keep them")
        primary = next(name for name, kind, _definition in constraints if kind == "p")
        foreign = [(name, definition) for name, kind, definition in constraints if kind == "f"]
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = %s AND indexname <> %s",
            [table, primary],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgparentid = 0",
            [table],
        )
        triggers = cursor.fetchall()
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        old_sequence = cursor.fetchone()[0]

        statements = [f"ALTER TABLE {table} RENAME TO {old}"]
        statements += [f"DROP TRIGGER {name} ON {old}" for name, _definition in triggers]
        statements += [f"DROP INDEX {name}" for name, _definition in indexes]
        statements += [f"ALTER TABLE {old} DROP CONSTRAINT {name}" for name, _definition in foreign]
        statements.append(f"ALTER TABLE {old} DROP CONSTRAINT {primary}")
        statements.append(
            f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
            "INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS)"
            + (f" PARTITION BY RANGE ({spec.column})" if partitioned else "")
        )
        key = f"id, {spec.column}" if partitioned else "id"
        statements.append(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({key})")
        for statement in statements:
            cursor.execute(statement)
        if partitioned:
            cursor.execute(f"SELECT min({spec.column})::date FROM {old}")
            oldest = cursor.fetchone()[0]
            around = around or datetime.now(UTC).date()
            start = spec.start_of(min(oldest or around, around))
            while start <= spec.periods(around)[-1]:
                cursor.execute(spec.create_sql(start))
                start = spec.shift(start, 1)
            cursor.execute(f"CREATE TABLE {spec.default_name} PARTITION OF {table} DEFAULT")
        cursor.execute(f"INSERT INTO {table} SELECT * FROM {old}")
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        new_sequence = cursor.fetchone()[0]
        cursor.execute(f"SELECT setval(%s, last_value, is_called) FROM {old_sequence}", [new_sequence])
        cursor.execute(f"DROP TABLE {old}")
        cursor.execute(f"ALTER SEQUENCE {new_sequence} RENAME TO {table}_id_seq")
        for name, definition in foreign:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        for _name, definition in indexes + triggers:
            cursor.execute(definition)


def conversion(spec: RangePartitioned) -> migrations.RunPython:
    """The migration operation that rebuilds ``spec.table`` partitioned (reversed: plain again)."""
    return migrations.RunPython(
        lambda apps, schema_editor: rebuild(schema_editor, spec, partitioned=True),
        lambda apps, schema_editor: rebuild(schema_editor, spec, partitioned=False),
    )
