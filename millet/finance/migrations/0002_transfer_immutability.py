"""Refuse UPDATE and DELETE on ledger transfers in the database itself, not only in the ORM.

Raw SQL, a bulk ``QuerySet.update()`` or a shell session would otherwise bypass
``LedgerTransfer.save``; a trigger makes the history append-only for every client. PostgreSQL's
row triggers do not fire on TRUNCATE, which stays the owner's (and the test runner's) reset.

SQLite has no TRUNCATE: ``flush`` (the demo's ``--flush``, the test runner's reset) deletes rows,
so on the embedded database the trigger refuses UPDATE only; the ORM still refuses deletes.
"""

from django.db import migrations

TABLE = "finance_ledgertransfer"

POSTGRES_INSTALL = f"""
CREATE OR REPLACE FUNCTION finance_refuse_transfer_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger transfers are immutable; correct with a new transfer'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER finance_transfer_immutable
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION finance_refuse_transfer_change();
"""
POSTGRES_REMOVE = f"""
DROP TRIGGER IF EXISTS finance_transfer_immutable ON {TABLE};
DROP FUNCTION IF EXISTS finance_refuse_transfer_change();
"""
SQLITE_INSTALL = [
    f"""CREATE TRIGGER finance_transfer_no_{verb.lower()} BEFORE {verb} ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'ledger transfers are immutable; correct with a new transfer'); END;"""
    for verb in ("UPDATE",)
]
SQLITE_REMOVE = ["DROP TRIGGER IF EXISTS finance_transfer_no_update;"]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in statements:
        raise NotImplementedError(f"no immutability trigger for {vendor}; add one before using this database")
    for sql in statements[vendor]:
        schema_editor.execute(sql)


def install(apps, schema_editor) -> None:
    _run(schema_editor, {"postgresql": [POSTGRES_INSTALL], "sqlite": SQLITE_INSTALL})


def remove(apps, schema_editor) -> None:
    _run(schema_editor, {"postgresql": [POSTGRES_REMOVE], "sqlite": SQLITE_REMOVE})


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
