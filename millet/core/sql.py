"""Hand-written SQL for the hottest reads and writes, the same text on SQLite and PostgreSQL.

Why: the ORM compiles its expression tree on every call, 0.5-1 ms of Python per statement, several
times the database's own work for an indexed read; a checkout ran a dozen such statements (issue 14).
The SQL here keeps to what both backends share (``%s`` parameters, ``IN`` lists, ``LIMIT``,
``RETURNING``, ``CAST``), so each rule still has one implementation, inside the service that owns it.
Values come back as each driver gives them; ``decimal_of`` and ``aware`` make them what the ORM
would have returned.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Field, Model


def rows(sql: str, params: Sequence[object] = ()) -> list[tuple]:
    """Every row of ``sql`` run with ``params`` on the default connection."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def placeholders(count: int) -> str:
    """``%s, %s, ...``: the parameters of an ``IN (...)`` list of ``count`` values."""
    return ", ".join(["%s"] * count)


def decimal_of(text: str | None) -> Decimal | None:
    """A decimal column read as ``CAST(column AS TEXT)``: exact on both backends (SQLite would hand
    back a float for a raw numeric column, and money never passes through a float)."""
    return None if text is None else Decimal(text)


def aware(value: datetime | None) -> datetime | None:
    """A timestamp column as the ORM returns it: SQLite's driver gives naive UTC (Django stores UTC)."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def insert(objs: Sequence[Model]) -> None:
    """Write new instances of one model in one ``INSERT``, setting their generated primary keys: what
    ``save(force_insert=True)`` or ``bulk_create`` does, without compiling a query each time (the
    statement is made once per model and count). Each field's own ``pre_save`` (``auto_now_add``) and
    ``get_db_prep_save`` (JSON, decimals, time zones) prepare its value, so values are stored exactly as
    the ORM stores them. Sends no ``pre_save``/``post_save`` signals: for models nobody listens to.
    """
    if not objs:
        return
    model = type(objs[0])
    _fields, generated = written(model)
    values = [value for obj in objs for value in prepared(obj)]
    with connection.cursor() as cursor:
        cursor.execute(_insert_statement(model, len(objs)), values)
        rows = cursor.fetchall() if generated is not None else [(None,)] * len(objs)
    for obj, (pk,) in zip(objs, rows, strict=True):
        inserted(obj, pk)


def insert_family(before: Sequence[Model], parent: Model, children: Sequence[Model], link: str) -> None:
    """``insert`` of ``before`` (rows of other models whose keys are given), then ``parent``, then its
    ``children``, whose foreign key ``link`` is set to the parent's generated key: an order's key row,
    the order and its lines. PostgreSQL takes them as one statement, one round trip (each data-modifying
    ``WITH`` runs once, and the children read the parent's key from its ``RETURNING``); SQLite, in the
    same process, one insert each. A constraint refused anywhere refuses the whole family.
    TypeError if a ``before`` row's key is generated: the statement returns only the family's keys.
    """
    if generated := [type(obj).__name__ for obj in before if written(type(obj))[1] is not None]:
        raise TypeError(f"rows inserted before the parent carry their own keys, not {generated}")
    fk = type(children[0])._meta.get_field(link) if children else None
    if connection.vendor != "postgresql" or fk is None:
        for obj in before:
            insert([obj])
        insert([parent])
        for child in children:
            setattr(child, fk.attname, parent.pk)
        insert(children)
        return
    child = type(children[0])
    statement = _family_statement(
        tuple(type(obj) for obj in before), type(parent), child, fk.attname, len(children)
    )
    at = written(child)[0].index(fk)  # the children's link is the parent's RETURNING, not a parameter
    values = [
        *(value for obj in before for value in prepared(obj)),
        *prepared(parent),
        *(value for obj in children for n, value in enumerate(prepared(obj)) if n != at),
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
        found = cursor.fetchall()
    for obj in before:
        inserted(obj, None)
    inserted(parent, found[0][1])
    for obj, (pk, parent_pk) in zip(children, found, strict=True):
        setattr(obj, fk.attname, parent_pk)
        inserted(obj, pk)


def update(objs: Sequence[Model], fields: Sequence[str]) -> None:
    """Write ``fields`` of stored instances of one model, all of them in one statement: what
    ``bulk_update`` stores, without its per-object ``CASE`` expressions, whose building cost the
    ingest worker's shadow round more Python than the database spent on the update (py-spy under
    bench/telemetry.py). On PostgreSQL an ``UPDATE ... FROM UNNEST`` of one array per column, a text
    that does not change with the number of rows, so the connection prepares it once; elsewhere
    ``bulk_update``. Values are prepared by each field's ``get_db_prep_save``; no signals are sent.
    """
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, fields)
        return
    columns = [model._meta.pk, *(model._meta.get_field(name) for name in fields)]
    arrays = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in objs] for f in columns]
    with connection.cursor() as cursor:
        cursor.execute(_update_statement(model, tuple(fields)), arrays)


@functools.cache
def written(model: type[Model]) -> tuple[list[Field], Field | None]:
    """The fields an insert writes, and the primary key the database generates (None if given)."""
    meta = model._meta
    generated = meta.pk if meta.pk.db_returning else None
    return [f for f in meta.concrete_fields if f is not generated], generated


def prepared(obj: Model) -> list[object]:
    """The values an insert of ``obj`` writes, in the order of ``written``: each prepared by its
    field's own ``pre_save`` and ``get_db_prep_save``. For a statement that carries a row of its own
    (the ledger's write carries a payment's, ``ledger_storage.write_batch``)."""
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in written(type(obj))[0]]


def inserted(obj: Model, pk: object) -> None:
    """Mark ``obj`` as stored, with the primary key the database generated (None: it had its own)."""
    _fields, generated = written(type(obj))
    if generated is not None:
        setattr(obj, generated.attname, pk)
    obj._state.adding, obj._state.db = False, connection.alias


@functools.cache
def _insert_statement(model: type[Model], count: int) -> str:
    meta, quote = model._meta, connection.ops.quote_name
    fields, generated = written(model)
    row = f"({placeholders(len(fields))})"
    statement = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {', '.join([row] * count)}"
    )
    return statement + f" RETURNING {quote(generated.column)}" if generated else statement


@functools.cache
def _family_statement(
    before: tuple[type[Model], ...], parent: type[Model], child: type[Model], link: str, count: int
) -> str:
    """``insert_family``'s statement on PostgreSQL; returns each child's key and its parent's, in order."""
    quote = connection.ops.quote_name
    steps = [f"before_{n} AS ({_insert_statement(model, 1)})" for n, model in enumerate(before)]
    steps.append(f"parent AS ({_insert_statement(parent, 1)})")
    fields, generated = written(child)
    row = ", ".join("(SELECT * FROM parent)" if f.attname == link else "%s" for f in fields)
    rows = ", ".join([f"({row})"] * count)
    link_column = child._meta.get_field(link).column
    return (
        f"WITH {', '.join(steps)} INSERT INTO {quote(child._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) VALUES {rows} "
        f"RETURNING {quote(generated.column)}, {quote(link_column)}"
    )


@functools.cache
def _update_statement(model: type[Model], fields: tuple[str, ...]) -> str:
    """``update``'s statement on PostgreSQL: each column's new values as an array of its own type."""
    meta, quote = model._meta, connection.ops.quote_name
    pk, changed = meta.pk, [meta.get_field(name) for name in fields]
    arrays = ", ".join(f"CAST(%s AS {f.db_type(connection)}[])" for f in (pk, *changed))
    names = ", ".join(quote(f.column) for f in (pk, *changed))
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in changed)
    return (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} FROM UNNEST({arrays}) AS v({names}) "
        f"WHERE t.{quote(pk.column)} = v.{quote(pk.column)}"
    )
