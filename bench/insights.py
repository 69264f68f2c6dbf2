"""The executive page's server time on a large ledger, against the trivial endpoint, and how long the
rollups take to catch up after a burst of new orders (issue 13).

On a fresh PostgreSQL database: the markets, the 54 Mi Home stores (opened through the stores
services, in the letter's timeline), the letter's goals and rates (``demo.insights``) and five goals
over the loaded year, so the page reads real rollups. Then ``--orders`` orders' worth of posted
history goes straight into the ledger's table with one ``INSERT ... SELECT generate_series`` (a bulk
load, as bench/ledger.py does; the accounts' running sums are then set to match). Each order is 10
transfers, the issue's ratio: the four a sale books (the payment's authorization and its posting,
net revenue to the store's or web store's revenue account, tax) and six of settlement traffic
between the gateway, a bank and a fee account (fees, payouts) that a revenue reader must skip; one
order in 33 is partly refunded from revenue in its last leg. Orders are spread evenly over the last
730 days, over 54 store accounts and the CN, IN and DE web stores.

Measured, in this order:

1. ``rebuild_s``: ``insights.rebuild()`` from scratch over the whole history;
2. the executive page ``/insights/`` (signed in as the demo executive) and ``GET /api/health``,
   each with its own requests one after another on gunicorn (2 sync workers, persistent
   connections), ``--rounds`` rounds alternating the two; the median round's p50 and p95;
3. ``catch_up_s``: ``--new-orders`` more orders (10 transfers each, stamped now) loaded the same
   way, then the job's ``insights.catch_up()`` until every one is rolled up.

    python bench/insights.py [--orders 1000000] [--new-orders 100000] [--requests 200] [--rounds 3]
        [--db NAME]  # the database it drops and fills; one per concurrent run

The last line is JSON: {"bench", "value" (page p95 ms), "unit", "ceiling" (/api/health p95 ms),
"ratio", "goal" (100 ms), "orders", "transfers", "rebuild_s", "catch_up_s", ...}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from support.harness import (
    django_script,
    free_port,
    fresh_postgres,
    percentile,
    postgres_env,
    serve,
    timed_gets,
)

DB_NAME = "millet_bench_insights"
GOAL_MS = 100.0
LEGS = 10  # transfers per order
HISTORY_DAYS = 730

SETUP = """
import json, random
from datetime import timedelta
from decimal import Decimal
from django.test import Client
from django.utils import timezone
from millet.accounts import services as accounts
from millet.accounts.actor import EXECUTIVE_GROUP, SYSTEM
from millet.demo.build import DemoCompany, build_network
from millet.demo.insights import build_insights_demo
from millet.finance import services as finance
from millet.insights import services as insights
from millet.regions.services import ensure_default_markets

ensure_default_markets()
company = DemoCompany()
build_network(company, random.Random(2017), letter=True)
executive = accounts.create_user("executive", password="millet-executive")
accounts.add_to_group(executive.pk, EXECUTIVE_GROUP)
build_insights_demo()
year = (timezone.now().date() - timedelta(days=365), timezone.now().date() + timedelta(days=30))
for title, metric, kind, value, target, currency in (
    ("Company revenue this year", "revenue", "company", "", "50000000000", "CNY"),
    ("India this year", "revenue", "market", "IN", "900000000", "USD"),
    ("Shanghai flagship this year", "revenue", "store", "CN-SH-001", "100000000", "CNY"),
    ("Orders this year", "orders", "company", "", "600000", ""),
    ("Average order value", "average_order_value", "channel", "web", "2500", "CNY"),
):
    insights.create_goal(actor=SYSTEM, title=title, metric=metric, scope_kind=kind, scope_value=value,
                         target=Decimal(target), currency=currency, starts_on=year[0], due_on=year[1],
                         owner_id=executive.pk)
slots = [(finance.store_revenue_account(s, "CNY").code, "CN", "CNY") for s in company.store_codes["CN"]]
for m, c in (("CN", "CNY"), ("IN", "INR"), ("DE", "EUR")):
    slots.append((finance.web_revenue_account(m, c).code, m, c))
rows = []
for revenue, market, currency in slots:
    rows.append({
        "revenue": revenue,
        "currency": currency,
        "gateway": finance.gateway_account("test", currency).code,
        "funds": finance.customer_funds_account(currency).code,
        "tax": finance.tax_payable_account(market, "VAT", currency).code,
        "bank": finance.ensure_account("bench:bank:" + currency, currency, "asset").code,
        "fees": finance.ensure_account("bench:fees:" + currency, currency, "expense").code,
    })
client = Client()
client.force_login(executive)
print(json.dumps({"cookie": "sessionid=" + client.cookies["sessionid"].value, "slots": rows}))
"""

# Orders first_order .. first_order + count - 1, LEGS transfers each, ids taken from the sequence's
# end; ``%(span)s`` seconds of history ending ``%(end)s`` (an SQL timestamp expression).
LOAD = """
import json, time
from django.db import connection, transaction
from millet.core.partitions import ensure_partitions
from millet.finance.models import LedgerAccount, LedgerTransfer
from millet.finance.services.ledger_storage import TRANSFER_PARTITIONS

slots = json.loads(%(slots)r)
T, A = LedgerTransfer._meta.db_table, LedgerAccount._meta.db_table
started = time.perf_counter()
# The history's months get partitions of their own first, as the migration gives an existing
# ledger's (core.partitions.rebuild): otherwise two years would land in the default partition.
with connection.cursor() as cur:
    cur.execute("SELECT (%(end)s - %(span)s * interval '1 second')::date, (%(end)s)::date")
    month, last = cur.fetchone()
while month <= last:
    ensure_partitions(TRANSFER_PARTITIONS, around=month)
    month = TRANSFER_PARTITIONS.shift(TRANSFER_PARTITIONS.start_of(month), 1)
with transaction.atomic(), connection.cursor() as cur:
    # The rows are consistent by construction (account ids read here, pending ids within the load),
    # so no foreign-key check per row: PostgreSQL queues those for the commit (20 million at the
    # issue's size, minutes of work). Replica mode skips the triggers that run them (the bench
    # connects as the superuser); the accounts' CHECK constraints still hold every row written.
    cur.execute("SET LOCAL session_replication_role = replica")
    cur.execute(f"SELECT code, id FROM {A}")
    ids = dict(cur.fetchall())
    cols = {k: [ids[s[k]] for s in slots] for k in ("revenue", "gateway", "funds", "tax", "bank", "fees")}
    cols["currency"] = [s["currency"] for s in slots]
    cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {T}")
    base = cur.fetchone()[0]
    cur.execute(
        f'''
        WITH o AS (
          SELECT g AS i, 1 + mod(g, %(n)s) AS s, 10000 + mod(g * 7919, 500000) AS net,
                 %(end)s - (%(count)s - (g - %(first)s)) * (%(span)s::float / %(count)s)
                           * interval '1 second' AS at
            FROM generate_series(%(first)s::bigint, %(first)s + %(count)s - 1) AS g
        )
        INSERT INTO {T} (id, debit_account_id, credit_account_id, amount, currency, kind, pending_id,
                         code, reference, created_at)
        SELECT %%(base)s + (o.i - %(first)s) * {%(legs)s} + k + 1,
               CASE k WHEN 0 THEN gw WHEN 1 THEN gw WHEN 2 THEN fu WHEN 3 THEN fu WHEN 4 THEN fe
                      WHEN 5 THEN ba WHEN 6 THEN fe WHEN 7 THEN ba WHEN 8 THEN fe
                      ELSE CASE WHEN mod(o.i, 33) = 0 THEN rv ELSE ba END END,
               CASE k WHEN 0 THEN fu WHEN 1 THEN fu WHEN 2 THEN rv WHEN 3 THEN tx WHEN 4 THEN gw
                      WHEN 5 THEN gw WHEN 6 THEN gw WHEN 7 THEN gw WHEN 8 THEN gw
                      ELSE CASE WHEN mod(o.i, 33) = 0 THEN fu ELSE gw END END,
               CASE k WHEN 2 THEN o.net WHEN 3 THEN o.net * 13 / 100 WHEN 9 THEN o.net / 10
                      WHEN 0 THEN o.net * 113 / 100 WHEN 1 THEN o.net * 113 / 100 ELSE 1 + o.net / 100 END,
               cu,
               CASE k WHEN 0 THEN 'pending' WHEN 1 THEN 'post_pending' ELSE 'single' END,
               CASE k WHEN 1 THEN %%(base)s + (o.i - %(first)s) * {%(legs)s} + 1 END,
               CASE k WHEN 2 THEN 'revenue' WHEN 3 THEN 'tax' WHEN 9 THEN
                      CASE WHEN mod(o.i, 33) = 0 THEN 'refund' ELSE 'payout' END
                      WHEN 0 THEN 'payment' WHEN 1 THEN 'payment' ELSE 'settlement' END,
               'B' || o.i, o.at
          FROM o
          CROSS JOIN generate_series(0, {%(legs)s} - 1) AS k
          JOIN LATERAL (SELECT (%%(rv)s::bigint[])[o.s] AS rv, (%%(gw)s::bigint[])[o.s] AS gw,
                               (%%(fu)s::bigint[])[o.s] AS fu, (%%(tx)s::bigint[])[o.s] AS tx,
                               (%%(ba)s::bigint[])[o.s] AS ba, (%%(fe)s::bigint[])[o.s] AS fe,
                               (%%(cu)s::text[])[o.s] AS cu) AS a ON true
        ''',
        {"base": base, "rv": cols["revenue"], "gw": cols["gateway"], "fu": cols["funds"], "tx": cols["tax"],
         "ba": cols["bank"], "fe": cols["fees"], "cu": cols["currency"]},
    )
    cur.execute(f"SELECT setval(pg_get_serial_sequence('{T}', 'id'), (SELECT MAX(id) FROM {T}))")
    # Both sides in one UPDATE: the accounts' balance limits are checked on every row written.
    cur.execute(
        f'''UPDATE {A} AS a SET debits_posted = a.debits_posted + s.d, credits_posted = a.credits_posted + s.c
              FROM (SELECT id, SUM(d) AS d, SUM(c) AS c FROM (
                      SELECT debit_account_id AS id, amount AS d, 0 AS c FROM {T}
                       WHERE id > %%(base)s AND kind IN ('single', 'post_pending')
                      UNION ALL
                      SELECT credit_account_id, 0, amount FROM {T}
                       WHERE id > %%(base)s AND kind IN ('single', 'post_pending')) AS legs
                     GROUP BY id) AS s
             WHERE a.id = s.id''',
        {"base": base},
    )
with connection.cursor() as cur:
    cur.execute(f"ANALYZE {T}; ANALYZE {A}")
print(json.dumps({"seconds": time.perf_counter() - started, "last_id": base + %(count)s * %(legs)s}))
"""

TIMED = """
import json, time
from millet.finance.services import total_balance_check
from millet.insights import services as insights
started = time.perf_counter()
applied = insights.%s
print(json.dumps({"seconds": time.perf_counter() - started, "applied": applied,
                  "balanced": total_balance_check() == 0}))
"""


def load(env: dict, slots: list, first: int, count: int, span_seconds: int, end: str) -> dict:
    script = LOAD % {
        "slots": json.dumps(slots),
        "n": len(slots),
        "first": first,
        "count": count,
        "span": span_seconds,
        "end": end,
        "legs": LEGS,
    }
    return json.loads(django_script(script, env).strip().splitlines()[-1])


def timed(env: dict, call: str) -> dict:
    return json.loads(django_script(TIMED % call, env).strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--orders", type=int, default=1_000_000, help="Orders of history (10 transfers each)."
    )
    parser.add_argument("--new-orders", type=int, default=100_000, help="Orders loaded before the catch-up.")
    parser.add_argument("--requests", type=int, default=200, help="Requests per page per round.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--db", default=DB_NAME, help="The PostgreSQL database to drop and fill (one per concurrent run)."
    )
    args = parser.parse_args()

    env = postgres_env(args.db, Path(tempfile.mkdtemp(prefix="millet-bench-insights-")))
    print(f"fresh database {args.db}; stores, goals and accounts", flush=True)
    fresh_postgres(args.db, env)
    seed = json.loads(django_script(SETUP, env).strip().splitlines()[-1])
    history_end = "date_trunc('day', now())"  # history up to midnight UTC today
    loaded = load(env, seed["slots"], 1, args.orders, HISTORY_DAYS * 86400, history_end)
    print(
        f"loaded {args.orders} orders ({args.orders * LEGS} transfers) in {loaded['seconds']:.1f}s",
        flush=True,
    )
    rebuilt = timed(env, "rebuild()")
    print(
        f"rebuilt the rollups from {rebuilt['applied']} revenue postings in {rebuilt['seconds']:.1f}s",
        flush=True,
    )

    pages = {"health": "/api/health", "insights": "/insights/"}
    times: dict[str, list[list[float]]] = {name: [] for name in pages}
    port = free_port()
    with serve(port, env):
        for path in pages.values():
            timed_gets(port, path, seed["cookie"], 10, timeout=120)  # warm-up: both workers load
        for round_no in range(1, args.rounds + 1):
            for name, path in pages.items():
                times[name].append(timed_gets(port, path, seed["cookie"], args.requests))
            print(
                f"round {round_no}: "
                + ", ".join(f"{name} p95 {percentile(times[name][-1], 95)} ms" for name in pages),
                flush=True,
            )
    figures = {}
    for name, rounds in times.items():
        p95s = [percentile(r, 95) for r in rounds]
        median = rounds[p95s.index(statistics.median_low(p95s))]
        figures[name] = {"p50_ms": percentile(median, 50), "p95_ms": percentile(median, 95)}

    fresh = load(env, seed["slots"], args.orders + 1, args.new_orders, 60, "now()")
    print(f"loaded {args.new_orders} new orders in {fresh['seconds']:.1f}s", flush=True)
    caught = timed(env, "catch_up()")
    print(
        f"caught up {caught['applied']} revenue postings in {caught['seconds']:.1f}s "
        f"(ledger balanced: {caught['balanced']})",
        flush=True,
    )
    page, health = figures["insights"]["p95_ms"], figures["health"]["p95_ms"]
    print(
        f"executive page p95 {page} ms (p50 {figures['insights']['p50_ms']} ms; goal {GOAL_MS:.0f} ms) "
        f"against /api/health p95 {health} ms with {args.orders * LEGS} transfers"
    )
    print(
        json.dumps(
            {
                "bench": "insights",
                "value": page,
                "unit": "ms (executive page server time, p95)",
                "ceiling": health,
                "ratio": round(page / health, 2) if health else None,
                "goal": GOAL_MS,
                "pages": figures,
                "orders": args.orders,
                "transfers": args.orders * LEGS,
                "load_s": round(loaded["seconds"], 1),
                "rebuild_s": round(rebuilt["seconds"], 1),
                "revenue_postings": rebuilt["applied"],
                "new_orders": args.new_orders,
                "catch_up_s": round(caught["seconds"], 1),
                "caught_up_postings": caught["applied"],
                "ledger_balanced": caught["balanced"],
                "requests_per_round": args.requests,
                "rounds": args.rounds,
                "workers": 2,
            }
        )
    )


if __name__ == "__main__":
    main()
