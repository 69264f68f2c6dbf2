"""Run in a child process by test_replicas.py, with DATABASE_URL naming a private primary and
DATABASE_REPLICA_URLS its streaming replica; prints one JSON object of what it saw."""

from __future__ import annotations

import json
import os
import subprocess
import time

import django

django.setup()

from django.db import connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from millet.accounts.actor import SYSTEM  # noqa: E402
from millet.catalog import services as catalog  # noqa: E402
from millet.catalog.models import Product  # noqa: E402
from millet.core import replicas  # noqa: E402
from millet.core.replicas import read_alias, replica_reads_block  # noqa: E402
from millet.regions.services import ensure_default_markets  # noqa: E402


def replica_has(slug: str) -> bool:
    with connections["replica1"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalog_product WHERE slug = %s", [slug])
        return cursor.fetchone()[0] == 1


def wait_for_replica(slug: str) -> float:
    started = time.monotonic()
    while not replica_has(slug):
        if time.monotonic() - started > 20:
            raise TimeoutError(f"the replica never received {slug}")
        time.sleep(0.05)
    return time.monotonic() - started


seen: dict = {}
with connections["replica1"].cursor() as cursor:
    cursor.execute("SELECT pg_is_in_recovery()")
    seen["replica_in_recovery"] = cursor.fetchone()[0]

ensure_default_markets()
catalog.create_product("probe-phone", "Probe Phone", "phone", actor=SYSTEM)
seen["replication_seconds"] = wait_for_replica("probe-phone")

# A catalog page is read-only work: its catalog queries go to the replica, none to the primary's catalog.
with CaptureQueriesContext(connections["replica1"]) as on_replica:
    with CaptureQueriesContext(connections["default"]) as on_primary:
        seen["page_status"] = Client().get("/shop/cn/").status_code
seen["page_queries_on_replica"] = len(on_replica.captured_queries)
seen["page_catalog_queries_on_primary"] = sum("catalog_" in q["sql"] for q in on_primary.captured_queries)

# Freeze the replica (WAL replay paused) so its lag is certain, then write on the primary.
with connections["replica1"].cursor() as cursor:
    cursor.execute("SELECT pg_wal_replay_pause()")
try:
    with replica_reads_block():
        seen["fresh_read_before_write_sees_old"] = not Product.objects.filter(slug="late-phone").exists()
        catalog.create_product("late-phone", "Late Phone", "phone", actor=SYSTEM)
        # The same work wrote: its reads stay on the primary and see the write at once.
        seen["read_after_own_write_sees_it"] = Product.objects.filter(slug="late-phone").exists()
    with replica_reads_block():
        # Other work that did not write reads the (paused, lagging) replica.
        seen["other_work_reads_replica"] = not Product.objects.filter(slug="late-phone").exists()
    # A service's own transaction on the primary always reads the primary.
    with replica_reads_block(), transaction.atomic():
        seen["read_in_transaction_sees_it"] = Product.objects.filter(slug="late-phone").exists()
finally:
    with connections["replica1"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
wait_for_replica("late-phone")

# Writing to the replica is impossible: it is a real hot standby, not a second primary.
try:
    with connections["replica1"].cursor() as cursor:
        cursor.execute("CREATE TABLE replica_probe (id int)")
    seen["replica_refuses_writes"] = False
except Exception as exc:  # psycopg's ReadOnlySqlTransaction, wrapped by Django
    seen["replica_refuses_writes"] = "read-only" in str(exc)

# Kill the replica under this process's open connection to it: read-only work is served by the
# primary, the replica is left out while it is down, and read again once it answers.
connections["replica1"].ensure_connection()
subprocess.run(json.loads(os.environ["PROBE_STOP_REPLICA"]), check=True, capture_output=True, timeout=120)
with CaptureQueriesContext(connections["default"]) as on_primary:
    seen["page_status_replica_killed"] = Client().get("/shop/cn/").status_code
seen["page_queries_on_primary_replica_killed"] = len(on_primary.captured_queries)
with replica_reads_block():
    seen["reads_primary_while_replica_down"] = read_alias("catalog") == "default"
subprocess.run(json.loads(os.environ["PROBE_START_REPLICA"]), check=True, capture_output=True, timeout=120)
time.sleep(replicas.REPLICA_RETRY_SECONDS)
with replica_reads_block():
    seen["reads_replica_when_back"] = read_alias("catalog") == "replica1"

print(json.dumps(seen))
