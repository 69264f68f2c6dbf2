"""Django's SQLite backend, plus the one thing SQLite lacks for append-only tables: an owner's reset.

PostgreSQL's row triggers refuse UPDATE and DELETE on the ledger's transfers, and TRUNCATE, which
fires no row trigger, stays the owner's way to empty the database (``flush``, the test runner).
SQLite has no TRUNCATE: ``flush`` deletes rows. So this backend registers the SQL function
``millet_flushing()`` on every connection, true only while ``flush`` runs, and SQLite's triggers
refuse a DELETE unless it is true. A client without the function (the ``sqlite3`` shell) cannot
delete either: the trigger then fails with "no such function", which refuses the statement too.
"""

from __future__ import annotations

from django.db.backends.sqlite3 import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def execute_sql_flush(self, sql_list):
        self.connection.flushing = True
        try:
            super().execute_sql_flush(sql_list)
        finally:
            self.connection.flushing = False


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.flushing = False

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        conn.create_function("millet_flushing", 0, lambda: int(self.flushing))
        return conn
