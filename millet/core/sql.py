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
    fields, generated = _written(model)
    with connection.cursor() as cursor:
        cursor.execute(_insert_statement(model, len(objs)), _prepared(objs, fields))
        if generated is not None:
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                setattr(obj, generated.attname, pk)
    _saved(objs)


def insert_family(before: Sequence[Model], parent: Model, children: Sequence[Model], link: str) -> None:
    """``insert`` of ``before`` (rows of other models whose keys are given), then ``parent``, then its
    ``children``, whose foreign key ``link`` is set to the parent's generated key: an order's key row,
    the order and its lines. PostgreSQL takes them as one statement, one round trip (each data-modifying
    ``WITH`` runs once, and the children read the parent's key from its ``RETURNING``); SQLite, in the
    same process, one insert each. A constraint refused anywhere refuses the whole family.
    """
    fk = type(children[0])._meta.get_field(link) if children else None
    if connection.vendor != "postgresql" or fk is None:
        for obj in before:
            insert([obj])
        insert([parent])
        for child in children:
            setattr(child, fk.attname, parent.pk)
        insert(children)
        return
    models = tuple(type(obj) for obj in before)
    statement = _family_statement(models, type(parent), type(children[0]), fk.attname, len(children))
    child_fields = [f for f in _written(type(children[0]))[0] if f is not fk]
    values = [
        *(v for obj in before for v in _prepared([obj], _written(type(obj))[0])),
        *_prepared([parent], _written(type(parent))[0]),
        *_prepared(children, child_fields),
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
        found = cursor.fetchall()
    parent_key = _written(type(parent))[1]
    setattr(parent, parent_key.attname, found[0][1])
    for child, (pk, parent_pk) in zip(children, found, strict=True):
        setattr(child, _written(type(child))[1].attname, pk)
        setattr(child, fk.attname, parent_pk)
    _saved([*before, parent, *children])


def _prepared(objs: Sequence[Model], fields: Sequence[Field]) -> list[object]:
    """Each object's values for ``fields``, as the ORM would send them, row after row."""
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields]


def _saved(objs: Sequence[Model]) -> None:
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


@functools.cache
def _written(model: type[Model]) -> tuple[list[Field], Field | None]:
    """The fields an insert writes, and the primary key the database generates (None if given)."""
    meta = model._meta
    generated = meta.pk if meta.pk.db_returning else None
    return [f for f in meta.concrete_fields if f is not generated], generated


@functools.cache
def _insert_statement(model: type[Model], count: int) -> str:
    meta, quote = model._meta, connection.ops.quote_name
    fields, generated = _written(model)
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
    fields, generated = _written(child)
    row = ", ".join("(SELECT * FROM parent)" if f.attname == link else "%s" for f in fields)
    rows = ", ".join([f"({row})"] * count)
    link_column = child._meta.get_field(link).column
    return (
        f"WITH {', '.join(steps)} INSERT INTO {quote(child._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) VALUES {rows} "
        f"RETURNING {quote(generated.column)}, {quote(link_column)}"
    )
