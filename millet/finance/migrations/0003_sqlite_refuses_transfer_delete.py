"""SQLite refuses DELETE of ledger transfers too, not only UPDATE (PostgreSQL refused both already).

Migration 0002 let SQLite delete because ``flush`` empties tables with DELETE. Millet's SQLite
backend (``millet.core.sqlite``) now tells its triggers when ``flush`` runs, through the SQL
function ``millet_flushing()``, so the trigger can refuse every other DELETE.
"""

from django.db import migrations

TABLE = "finance_ledgertransfer"
SQLITE_INSTALL = f"""CREATE TRIGGER finance_transfer_no_delete BEFORE DELETE ON {TABLE}
    WHEN NOT millet_flushing()
    BEGIN SELECT RAISE(ABORT, 'ledger transfers are immutable; correct with a new transfer'); END;"""
SQLITE_REMOVE = "DROP TRIGGER IF EXISTS finance_transfer_no_delete;"


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_INSTALL)


def remove(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_REMOVE)


class Migration(migrations.Migration):
    dependencies = [("finance", "0002_transfer_immutability")]

    operations = [migrations.RunPython(install, remove)]
