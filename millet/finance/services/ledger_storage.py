"""How the ledger's write path reaches the database: one insert of a batch's transfers and one
conditional UPDATE of its balances, both run while the batch holds its locks. On PostgreSQL a batch
of up to ``ONE_STATEMENT_TRANSFERS`` transfers (a checkout's few) takes both in a single statement,
one round trip; a larger one is inserted with COPY.

Every balance write checks each account's limit in SQL (``_limits_hold``, the one SQL text of the
rule), so even a bug in the ledger's in-memory check could never break a limit, only refuse the
batch. The one-statement write locks the accounts itself, in id order, and writes nothing at all
when a limit refuses, so a single chain needs no separate lock-and-read round trip
(``checks_limits_atomically``).

With the transfers, in the same statement or transaction, go their claims (``claim``): a
``LedgerKey`` row per idempotency key and a ``LedgerResolution`` row per resolved pending transfer,
whose primary keys are the uniqueness the month-partitioned transfer table cannot hold. A duplicate
raises IntegrityError, as the transfer table's own unique keys did, and ``submit_batch`` retries and
then replays or refuses.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from django.db import connection
from django.db.models import Field, Model
from django.utils import timezone

from millet.core import sql
from millet.core.errors import Conflict
from millet.core.partitions import RangePartitioned
from millet.finance.models import LedgerAccount, LedgerKey, LedgerResolution, LedgerTransfer


@dataclass
class Delta:
    """What a batch adds to one account's running sums (minor units; pending sums may shrink)."""

    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0

    def add(self, other: Delta) -> None:
        self.debits_pending += other.debits_pending
        self.debits_posted += other.debits_posted
        self.credits_pending += other.credits_pending
        self.credits_posted += other.credits_posted


class LimitExceeded(Conflict):
    """A batch refused because it would leave an account past its balance limit; nothing was written.
    A type of its own so the ledger tells this refusal from any other conflict without reading codes."""

    code = "exceeds_balance_limit"


def exceeds_limit(account_id: int | None = None) -> LimitExceeded:
    """The refusal of a batch that would leave ``account_id`` past its balance limit, naming its code
    (None: the statement that refused does not say which account)."""
    if account_id is None:
        return LimitExceeded("transfers would exceed a balance limit")
    code = LedgerAccount.objects.filter(pk=account_id).values_list("code", flat=True).first()
    return LimitExceeded(f"transfers would exceed the balance limit of {code}")


_ACCOUNTS = LedgerAccount._meta.db_table


def _limits_hold(account: str, delta: str) -> str:
    """The balance-limit rule as SQL, for every statement that writes balances: ``account`` (a table
    or alias) plus the delta columns (``delta`` formatted with dpe, dpo, cpe, cpo) stays within its
    limit. Portable to PostgreSQL and SQLite (booleans are 0/1 there; NOT works on both)."""
    a, (dpe, dpo, cpe, cpo) = account, (delta.format(f) for f in ("dpe", "dpo", "cpe", "cpo"))
    return (
        f"(NOT {a}.debits_must_not_exceed_credits"
        f" OR {a}.debits_posted + {dpo} + {a}.debits_pending + {dpe} <= {a}.credits_posted + {cpo})"
        f" AND (NOT {a}.credits_must_not_exceed_debits"
        f" OR {a}.credits_posted + {cpo} + {a}.credits_pending + {cpe} <= {a}.debits_posted + {dpo})"
    )


# Hand-written because this UPDATE runs for every account of every transfer: the ORM spent more
# time compiling the F()/Q() version than the database spent running it.
_APPLY_SQL = f"""
UPDATE {_ACCOUNTS}
   SET debits_pending = debits_pending + %(dpe)s, debits_posted = debits_posted + %(dpo)s,
       credits_pending = credits_pending + %(cpe)s, credits_posted = credits_posted + %(cpo)s
 WHERE id = %(id)s AND {_limits_hold(_ACCOUNTS, "%({})s")}
"""


def _apply_each(deltas: dict[int, Delta]) -> None:
    """One conditional UPDATE per account, in id order; a refused one rolls the batch back.

    After the update, a limited account keeps debits_pending + debits_posted <= credits_posted
    (or the mirror image), the same rule the table's CHECK constraints enforce.
    """
    with connection.cursor() as cursor:
        for account_id in sorted(deltas):
            d = deltas[account_id]
            cursor.execute(
                _APPLY_SQL,
                {
                    "id": account_id,
                    "dpe": d.debits_pending,
                    "dpo": d.debits_posted,
                    "cpe": d.credits_pending,
                    "cpo": d.credits_posted,
                },
            )
            if cursor.rowcount != 1:
                raise exceeds_limit(account_id)


_TRANSFERS = LedgerTransfer._meta.db_table
# On PostgreSQL, transfers are partitioned by month on created_at: this month and the next two are
# kept ready by core.partitions.ensure_all (registered in FinanceConfig.ready).
TRANSFER_PARTITIONS = RangePartitioned(_TRANSFERS, "created_at", "month", ahead=2)
_KEYS = LedgerKey._meta.db_table
_RESOLUTIONS = LedgerResolution._meta.db_table
_COPY_COLUMNS = (
    "id",
    "idempotency_key",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "currency",
    "kind",
    "pending_id",
    "pending_expires_at",
    "batch",
    "code",
    "reference",
    "created_at",
    "booked_on",
)


def insert_transfers(transfers: list[LedgerTransfer]) -> None:
    """Insert a batch's transfers. On PostgreSQL: take ids from the sequence, then one COPY.

    ``bulk_create`` spent more time compiling its INSERT than PostgreSQL spent running it, and
    this runs while the batch holds its account locks.
    """
    if not transfers:
        return
    if connection.vendor != "postgresql":
        LedgerTransfer.objects.bulk_create(transfers, batch_size=1000)
        return
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [_TRANSFERS, len(transfers)],
        )
        for transfer, (pk,) in zip(transfers, cursor.fetchall(), strict=True):
            transfer.pk = pk
            transfer.created_at = now
        copying = cursor.cursor.copy(f"COPY {_TRANSFERS} ({', '.join(_COPY_COLUMNS)}) FROM STDIN")
        # The raw psycopg cursor bypasses Django's error translation; a duplicate key must still
        # surface as django.db.IntegrityError so ``submit_batch`` retries.
        with connection.wrap_database_errors, copying as copy:
            for t in transfers:
                copy.write_row(
                    (
                        t.pk,
                        t.idempotency_key,
                        t.debit_account_id,
                        t.credit_account_id,
                        t.amount,
                        t.currency,
                        t.kind,
                        t.pending_id,
                        t.pending_expires_at,
                        t.batch,
                        t.code,
                        t.reference,
                        t.created_at,
                        t.booked_on,
                    )
                )
    for t in transfers:
        t._state.adding = False
        t._state.db = connection.alias


def claim(transfers: list[LedgerTransfer]) -> None:
    """Record the inserted transfers' idempotency keys and the pending transfers they resolve;
    IntegrityError if a key is used or a pending transfer resolved already (by a concurrent batch)."""
    keyed = [t for t in transfers if t.idempotency_key is not None]
    resolving = [t for t in transfers if t.pending_id is not None]
    if connection.vendor != "postgresql":
        LedgerKey.objects.bulk_create(
            [LedgerKey(t.idempotency_key, t.pk, t.created_at) for t in keyed], batch_size=1000
        )
        LedgerResolution.objects.bulk_create(
            [LedgerResolution(t.pending_id, t.pk) for t in resolving], batch_size=1000
        )
        return
    with connection.cursor() as cursor:
        if keyed:
            cursor.execute(
                f"INSERT INTO {_KEYS} (idempotency_key, transfer_id, transfer_created_at) "
                "SELECT * FROM unnest(%s::text[], %s::bigint[], %s::timestamptz[])",
                [[t.idempotency_key for t in keyed], [t.pk for t in keyed], [t.created_at for t in keyed]],
            )
        if resolving:
            cursor.execute(
                f"INSERT INTO {_RESOLUTIONS} (pending_id, transfer_id) "
                "SELECT * FROM unnest(%s::bigint[], %s::bigint[])",
                [[t.pending_id for t in resolving], [t.pk for t in resolving]],
            )


_APPLY_MANY_PG = f"""
UPDATE {_ACCOUNTS} AS a
   SET debits_pending = a.debits_pending + v.dpe, debits_posted = a.debits_posted + v.dpo,
       credits_pending = a.credits_pending + v.cpe, credits_posted = a.credits_posted + v.cpo
  FROM (SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]))
       AS v(id, dpe, dpo, cpe, cpo)
 WHERE a.id = v.id AND {_limits_hold("a", "v.{}")}
"""


def apply_deltas(deltas: dict[int, Delta]) -> None:
    """Write a batch's balance changes; on PostgreSQL in one statement, whatever the account count.

    The accounts are already locked and the limits were checked in memory; the UPDATE checks them
    again (as ``_apply_each`` does) so a bug there could never break a limit, only refuse the batch.
    """
    if not deltas:
        return
    if connection.vendor != "postgresql":
        _apply_each(deltas)
        return
    ids = sorted(deltas)
    columns = [
        ids,
        [deltas[i].debits_pending for i in ids],
        [deltas[i].debits_posted for i in ids],
        [deltas[i].credits_pending for i in ids],
        [deltas[i].credits_posted for i in ids],
    ]
    with connection.cursor() as cursor:
        cursor.execute(_APPLY_MANY_PG, columns)
        if cursor.rowcount != len(ids):
            raise exceeds_limit()


ONE_STATEMENT_TRANSFERS = 64

# The lock, the limit check, the insert, its claims and the balance update as one statement. The
# transfers and the deltas each come as one JSON parameter: psycopg dumps a string far cheaper than
# the 17 arrays it replaced. ``locked`` takes the accounts' row locks in id order (LockRows runs
# above the Sort, as in ``ledger._lock_balances``) and reads the balances as committed by any writer
# it waited for; every write below is gated on ``refused``, so the statement writes nothing unless
# all the accounts stay within their limits, and ``refused`` (hence every lock) is evaluated before
# any row is written. ``a.id = ANY (ARRAY(SELECT id FROM d))`` repeats the join as a condition on
# the primary key: json_to_recordset is estimated at 100 rows, and without it PostgreSQL hash-joins
# a scan of the whole (hot, often bloated) accounts table. Data-modifying CTEs run once whether or
# not the final SELECT reads them; nextval runs over the rows in their order, so the ids, sorted,
# are the transfers' ids in order. ``_write_statement`` adds the final SELECT and a linked row.
_WRITE_CTES = f"""
WITH d AS (
  SELECT * FROM json_to_recordset(%(deltas)s::json)
                AS d(id bigint, dpe bigint, dpo bigint, cpe bigint, cpo bigint)
), locked AS (
  SELECT a.id, {_limits_hold("a", "d.{}")} AS holds
    FROM {_ACCOUNTS} AS a JOIN d ON d.id = a.id
   WHERE a.id = ANY (ARRAY(SELECT id FROM d))
   ORDER BY a.id
     FOR UPDATE OF a
), refused AS (
  SELECT min(id) AS id FROM locked WHERE NOT holds
), inserted AS (
  INSERT INTO {_TRANSFERS} ({", ".join(_COPY_COLUMNS)})
  SELECT nextval(pg_get_serial_sequence('{_TRANSFERS}', 'id')), v.idempotency_key, v.debit_account_id,
         v.credit_account_id, v.amount, v.currency, v.kind, v.pending_id, v.pending_expires_at, v.batch,
         v.code, v.reference, %(now)s, v.booked_on
    FROM (SELECT * FROM ROWS FROM (json_to_recordset(%(transfers)s::json) AS (
                 idempotency_key text, debit_account_id bigint, credit_account_id bigint, amount bigint,
                 currency text, kind text, pending_id bigint, pending_expires_at timestamptz, batch uuid,
                 code text, reference text, booked_on date)) WITH ORDINALITY AS v
           WHERE (SELECT id FROM refused) IS NULL
           ORDER BY v.ordinality) AS v
  RETURNING id, idempotency_key, pending_id, created_at
), keyed AS (
  INSERT INTO {_KEYS} (idempotency_key, transfer_id, transfer_created_at)
  SELECT idempotency_key, id, created_at FROM inserted WHERE idempotency_key IS NOT NULL
), resolved AS (
  INSERT INTO {_RESOLUTIONS} (pending_id, transfer_id)
  SELECT pending_id, id FROM inserted WHERE pending_id IS NOT NULL
), updated AS (
  UPDATE {_ACCOUNTS} AS a
     SET debits_pending = a.debits_pending + d.dpe, debits_posted = a.debits_posted + d.dpo,
         credits_pending = a.credits_pending + d.cpe, credits_posted = a.credits_posted + d.cpo
    FROM d
   WHERE a.id = d.id AND a.id = ANY (ARRAY(SELECT id FROM d)) AND (SELECT id FROM refused) IS NULL
)"""


def link_to_transfers(model: type[Model]) -> Field:
    """The one foreign key of ``model`` to ``LedgerTransfer``: how a linked row names its transfer."""
    (link,) = [f for f in model._meta.concrete_fields if f.is_relation and f.related_model is LedgerTransfer]
    return link


@functools.cache
def _write_statement(linked: type[Model] | None) -> str:
    """``_WRITE_CTES`` and its final SELECT; with a ``linked`` model, also the insert of its row
    (``write_batch``), gated like every write. Made once per model, so PostgreSQL prepares each."""
    returned = "SELECT (SELECT id FROM refused), (SELECT array_agg(id ORDER BY id) FROM inserted)"
    if linked is None:
        return f"{_WRITE_CTES}\n{returned}, NULL"
    fields, generated = sql.written(linked)
    link, quote = link_to_transfers(linked), connection.ops.quote_name
    # INSERT ... SELECT (the gate needs a WHERE) types no parameter by its column as VALUES would,
    # so each is cast to its column's type.
    values = ", ".join(
        "(SELECT min(id) FROM inserted)" if f is link else f"CAST(%(row{i})s AS {f.db_type(connection)})"
        for i, f in enumerate(fields)
    )
    return f"""{_WRITE_CTES}, linked AS (
  INSERT INTO {quote(linked._meta.db_table)} ({", ".join(quote(f.column) for f in fields)})
  SELECT {values} WHERE (SELECT id FROM refused) IS NULL
  RETURNING {quote(generated.column) if generated else "NULL"}
)
{returned}, (SELECT * FROM linked)"""


# A transfer's columns in the JSON rows of ``_WRITE_CTES`` (the statement sets the id and the time).
_JSON_COLUMNS = tuple(c for c in _COPY_COLUMNS if c not in ("id", "created_at"))


def checks_limits_atomically(transfer_count: int) -> bool:
    """Whether ``write_batch`` of this many transfers locks the accounts itself (in id order) and
    refuses a broken balance limit with nothing written: then a batch of one chain needs neither the
    ledger's lock-and-read of the balances first nor its in-memory check (one round trip less)."""
    return connection.vendor == "postgresql" and 0 < transfer_count <= ONE_STATEMENT_TRANSFERS


def write_batch(
    transfers: list[LedgerTransfer], deltas: dict[int, Delta], linked_row: Model | None = None
) -> None:
    """Insert a batch's transfers (setting their ids) with their claims and apply its balance changes;
    ``LimitExceeded`` (409 ``exceeds_balance_limit``) if a limit check refuses, IntegrityError if a
    claim is taken.
    ``linked_row``, a new row whose foreign key to ``LedgerTransfer`` (``link_to_transfers``) is to
    name the batch's first transfer (a payment and its authorization), is inserted with them.

    On PostgreSQL a small batch is one statement (one round trip, the linked row's insert included)
    that takes the accounts' locks and writes nothing if it refuses (``checks_limits_atomically``); a
    large one, or SQLite, runs ``insert_transfers``, ``claim``, ``apply_deltas`` and the linked row's
    own insert while the batch holds its locks, and a refusal there leaves the earlier writes for the
    transaction to roll back.
    """
    if not checks_limits_atomically(len(transfers)):
        insert_transfers(transfers)
        claim(transfers)
        apply_deltas(deltas)
        if linked_row is not None:
            setattr(linked_row, link_to_transfers(type(linked_row)).name, transfers[0])
            sql.insert([linked_row])
        return
    now = timezone.now()
    params = {
        "now": now,
        "deltas": json.dumps(
            [
                {
                    "id": i,
                    "dpe": d.debits_pending,
                    "dpo": d.debits_posted,
                    "cpe": d.credits_pending,
                    "cpo": d.credits_posted,
                }
                for i, d in deltas.items()
            ]
        ),
        # default=str: a UUID, a date and an aware datetime as text PostgreSQL reads back exactly.
        "transfers": json.dumps([{c: getattr(t, c) for c in _JSON_COLUMNS} for t in transfers], default=str),
    }
    if linked_row is not None:
        link = link_to_transfers(type(linked_row))
        fields, _generated = sql.written(type(linked_row))
        values = zip(fields, sql.prepared(linked_row), strict=True)
        params.update((f"row{i}", value) for i, (f, value) in enumerate(values) if f is not link)
    with connection.cursor() as cursor:
        cursor.execute(_write_statement(type(linked_row) if linked_row is not None else None), params)
        refused, new_ids, linked_pk = cursor.fetchone()
    if refused is not None:
        raise exceeds_limit(refused)
    for transfer, pk in zip(transfers, new_ids, strict=True):
        transfer.pk = pk
        transfer.created_at = now
        transfer._state.adding = False
        transfer._state.db = connection.alias
    if linked_row is not None:
        setattr(linked_row, link.name, transfers[0])
        sql.inserted(linked_row, linked_pk)
