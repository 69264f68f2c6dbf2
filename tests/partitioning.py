"""Checks shared by the tests of the tables partitioned by month (millet.core.partitions)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db import connection

from millet.core.partitions import RangePartitioned


def strategy(table: str) -> str | None:
    """``r`` for a RANGE-partitioned table, None for a plain one (pg_partitioned_table)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table]
        )
        row = cursor.fetchone()
    return row[0] if row else None


def partitions(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = to_regclass(%s)", [table]
        )
        return {name for (name,) in cursor.fetchall()}


def partition_of(table: str, pk: int) -> str:
    """The partition that holds row ``pk``."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def primary_key(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = to_regclass(%s) AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)",
            [table],
        )
        return [name for (name,) in cursor.fetchall()]


def next_month(spec: RangePartitioned, today: date | None = None) -> datetime:
    """Midday on the first of next month, UTC: a creation time in the partition after this month's."""
    start = spec.shift(spec.start_of(today or datetime.now(UTC).date()), 1)
    return datetime(start.year, start.month, 1, 12, tzinfo=UTC)


def scanned(sql: str, params: list) -> set[str]:
    """The partitions PostgreSQL's plan reads for ``sql`` (EXPLAIN, pruning at plan time)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    found: set[str] = set()

    def walk(node: dict) -> None:
        if "Relation Name" in node:
            found.add(node["Relation Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found
