"""On PostgreSQL, ledger transfers become a table RANGE-partitioned by month on ``created_at``
(millet.core.partitions): rows are copied, ids go on, the primary key becomes (id, created_at) in the
database while Django keeps ``id``, and the immutability trigger is recreated on it.

A partitioned table can hold no unique key without ``created_at`` and no foreign key can point at it,
so first:
- the idempotency key's uniqueness moves to ``finance_ledgerkey`` and "a pending transfer is resolved
  once" to ``finance_ledgerresolution`` (both filled here from the transfers, and written by the
  ledger with every new transfer from now on);
- the foreign keys into transfers (``pending``, ``Payment.authorization``) lose their database
  constraint (the state says ``db_constraint=False``).

SQLite keeps the plain table with its unique keys and foreign keys: the state's changes are not
applied there, because rebuilding the table would drop its immutability triggers, and the keys still
hold as a second line of defence.
"""

import django.db.models.deletion
from django.db import migrations, models

from millet.core.partitions import RangePartitioned, conversion

# As of this migration; the live setting is finance.services.ledger_storage.TRANSFER_PARTITIONS.
TRANSFERS = RangePartitioned("finance_ledgertransfer", "created_at", "month", ahead=2)


def _constraints(cursor, sql: str) -> list[tuple[str, str]]:
    cursor.execute(sql)
    return cursor.fetchall()


def drop_keys_into_transfers(apps, schema_editor):
    """PostgreSQL: drop the unique keys on transfers and every foreign key that points at them."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, name in _constraints(
            cursor,
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE confrelid = 'finance_ledgertransfer'::regclass "
            "OR (conrelid = 'finance_ledgertransfer'::regclass AND contype = 'u')",
        ):
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for (name,) in _constraints(
            cursor,
            "SELECT indexname FROM pg_indexes WHERE tablename = 'finance_ledgertransfer' "
            "AND indexname LIKE 'finance_ledgertransfer_idempotency_key%'",
        ):
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute(
            "CREATE INDEX finance_ledgertransfer_pending_id ON finance_ledgertransfer (pending_id)"
        )


def restore_keys_into_transfers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX finance_ledgertransfer_pending_id")
    for statement in (
        "ALTER TABLE finance_ledgertransfer ADD CONSTRAINT finance_ledgertransfer_idempotency_key_key "
        "UNIQUE (idempotency_key)",
        "ALTER TABLE finance_ledgertransfer ADD CONSTRAINT finance_ledgertransfer_pending_id_key "
        "UNIQUE (pending_id)",
        "ALTER TABLE finance_ledgertransfer ADD CONSTRAINT finance_ledgertransfer_pending_id_fk "
        "FOREIGN KEY (pending_id) REFERENCES finance_ledgertransfer (id) DEFERRABLE INITIALLY DEFERRED",
        "ALTER TABLE finance_payment ADD CONSTRAINT finance_payment_authorization_id_fk "
        "FOREIGN KEY (authorization_id) REFERENCES finance_ledgertransfer (id) DEFERRABLE INITIALLY DEFERRED",
    ):
        schema_editor.execute(statement)


def copy_claims(apps, schema_editor):
    """Every stored idempotency key and resolution, into the tables that now keep them unique."""
    schema_editor.execute(
        "INSERT INTO finance_ledgerkey (idempotency_key, transfer_id, transfer_created_at) "
        "SELECT idempotency_key, id, created_at FROM finance_ledgertransfer WHERE idempotency_key IS NOT NULL"
    )
    schema_editor.execute(
        "INSERT INTO finance_ledgerresolution (pending_id, transfer_id) "
        "SELECT pending_id, id FROM finance_ledgertransfer WHERE pending_id IS NOT NULL"
    )



class Migration(migrations.Migration):
    dependencies = [("finance", "0006_transfer_booked_on")]

    operations = [
        migrations.CreateModel(
            name="LedgerKey",
            fields=[
                ("idempotency_key", models.CharField(max_length=128, primary_key=True, serialize=False)),
                ("transfer_created_at", models.DateTimeField()),
                ("transfer", models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="finance.ledgertransfer")),
            ],
            options={"verbose_name": "ledger idempotency key", "verbose_name_plural": "ledger idempotency keys"},
        ),
        migrations.CreateModel(
            name="LedgerResolution",
            fields=[
                ("pending_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("transfer", models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="finance.ledgertransfer")),
            ],
            options={"verbose_name": "ledger resolution", "verbose_name_plural": "ledger resolutions"},
        ),
        migrations.RunPython(copy_claims, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ledgertransfer",
                    name="idempotency_key",
                    field=models.CharField(blank=True, help_text="Unique through LedgerKey, which indexes it.", max_length=128, null=True),
                ),
                migrations.AlterField(
                    model_name="ledgertransfer",
                    name="pending",
                    field=models.ForeignKey(blank=True, db_constraint=False, help_text="For post/void: the pending transfer it resolves (once: see LedgerResolution).", null=True, on_delete=django.db.models.deletion.PROTECT, related_name="resolution", to="finance.ledgertransfer"),
                ),
                migrations.AlterField(
                    model_name="payment",
                    name="authorization",
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="finance.ledgertransfer"),
                ),
            ],
            database_operations=[migrations.RunPython(drop_keys_into_transfers, restore_keys_into_transfers)],
        ),
        conversion(TRANSFERS),
    ]
