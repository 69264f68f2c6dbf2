"""Ledger transfers per second on PostgreSQL, single and batched, against pgbench on the same database.

pgbench's default TPC-B-like script is itself a bank transfer (update an account, a teller and a
branch, insert a history row), so its transactions per second are the peer ceiling: what the same
PostgreSQL server, on the same database, does with the same number of clients and no Python.

One run, on a fresh database ``millet_bench_ledger`` (created and migrated here):
1. History: 1,000,000 posted transfers bulk-loaded in one ``INSERT ... SELECT generate_series``,
   all through one hot ``cash`` account, with the running sums updated in the same transaction.
2. Single: N client processes, each ``create_transfers([one transfer])`` per transaction.
3. Batched: N client processes, each ``submit_batch`` of B independent transfers per transaction.
4. pgbench: ``pgbench -i -s N`` then ``pgbench -c N -j 2 -T <seconds>`` on the same database.
5. Balance latency at that history: ``ledger.balance`` of the hot account (one row, a running
   sum) against summing its transfers (what a ledger without running sums would do), and the
   trial balance now and at the start of the history.

    python bench/ledger.py [--clients 4] [--seconds 10] [--batch 1000] [--history 1000000]

The last line is JSON: {"bench", "value" (batched transfers/s), "unit", "ceiling" (pgbench tps),
"ratio", "goal", "single_tps", ...}.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = "millet_bench_ledger"
GOAL = 2.0
ACCOUNTS = 2000
console = Console()


def database_url() -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + DB_NAME


def bench_env() -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "millet.settings",
        "MILLET_DB_CONN_MAX_AGE": "600",
        "MILLET_DATA_DIR": os.environ.get("MILLET_DATA_DIR") or tempfile.mkdtemp(prefix="millet-bench-"),
    }
    env.pop("REDIS_URL", None)
    return env


def fresh_database(env: dict) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    subprocess.run(
        [sys.executable, "-m", "millet.cli", "migrate", "-v0"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def setup_django(env: dict) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def create_accounts() -> list[str]:
    """The accounts clients move money between, plus the hot ``cash`` account of the history."""
    from millet.finance.models import LedgerAccount
    from millet.finance.services import ensure_account
    from millet.regions.models import Currency

    Currency.objects.get_or_create(code="CNY", defaults={"name": "Renminbi", "exponent": 2})
    ensure_account("bench:cash:CNY", "CNY", LedgerAccount.Kind.ASSET)
    codes = [f"bench:{i:05d}:CNY" for i in range(ACCOUNTS)]
    LedgerAccount.objects.bulk_create(
        [LedgerAccount(code=code, currency="CNY", kind=LedgerAccount.Kind.ASSET) for code in codes]
    )
    return codes


def load_history(rows: int) -> float:
    """Bulk-load posted history through the hot account, keeping running sums equal to the transfers."""
    from django.db import connection, transaction

    from millet.finance.models import LedgerAccount, LedgerTransfer

    transfers, accounts = LedgerTransfer._meta.db_table, LedgerAccount._meta.db_table
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {accounts} WHERE code = 'bench:cash:CNY'")
        hot = cursor.fetchone()[0]
        cursor.execute(f"SELECT array_agg(id ORDER BY id) FROM {accounts} WHERE code LIKE 'bench:0%%'")
        ids = cursor.fetchone()[0]
        cursor.execute(
            f"""
            INSERT INTO {transfers} (debit_account_id, credit_account_id, amount, currency, kind, code,
                                     reference, created_at)
            SELECT %(hot)s, (%(ids)s::bigint[])[1 + g %% %(n)s], 1 + g %% 997, 'CNY', 'single', 'history',
                   '', now() - interval '1 day' + g * interval '1 millisecond'
              FROM generate_series(1, %(rows)s) AS g
            """,
            {"hot": hot, "ids": ids, "n": len(ids), "rows": rows},
        )
        for side in ("debit", "credit"):
            cursor.execute(
                f"""
                UPDATE {accounts} AS a SET {side}s_posted = a.{side}s_posted + s.total
                  FROM (SELECT {side}_account_id AS id, SUM(amount) AS total FROM {transfers}
                         WHERE code = 'history' GROUP BY {side}_account_id) AS s
                 WHERE a.id = s.id
                """
            )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {transfers}; ANALYZE {accounts}")
    return time.perf_counter() - started


def client(
    mode: str, seconds: float, warmup: float, batch: int, seed: int, codes: list[str], start, out
) -> None:
    """One client process: its own connection, transfers between random accounts until time is up."""
    setup_django(bench_env())
    from millet.finance.services import TransferSpec, create_transfers, submit_batch

    rng = random.Random(seed)

    def one() -> TransferSpec:
        debit, credit = rng.sample(codes, 2)
        return TransferSpec(
            debit=debit, credit=credit, amount=rng.randint(1, 10_000), currency="CNY", code="bench"
        )

    def step() -> int:
        if mode == "single":
            create_transfers([one()])
            return 1
        return sum(result.ok for result in submit_batch([one() for _ in range(batch)]))

    warm_until = time.perf_counter() + warmup  # fills the account cache and the connection
    while time.perf_counter() < warm_until:
        step()
    start.wait()
    began = time.perf_counter()
    done = 0
    while time.perf_counter() - began < seconds:
        done += step()
    out.put((done, time.perf_counter() - began))


def run_clients(mode: str, clients: int, seconds: float, batch: int, codes: list[str]) -> float:
    ctx = mp.get_context("spawn")
    start, out = ctx.Barrier(clients), ctx.Queue()
    procs = [
        ctx.Process(target=client, args=(mode, seconds, 2.0, batch, i, codes, start, out))
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    return sum(done for done, _ in results) / max(elapsed for _, elapsed in results)


def pgbench(clients: int, seconds: int) -> float:
    url = database_url()
    subprocess.run(["pgbench", "-i", "-q", "-s", str(clients), url], check=True, capture_output=True)
    out = subprocess.run(
        ["pgbench", "-c", str(clients), "-j", "2", "-T", str(seconds), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))


def latency_ms(fn, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--pgbench-seconds", type=int, default=20)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--history", type=int, default=1_000_000)
    args = parser.parse_args()

    env = bench_env()
    steps = ("migrate", "history", "single", "batched", "pgbench", "latency")
    columns = (TextColumn("{task.description:<10}"), BarColumn(), TextColumn("{task.completed}/{task.total}"))
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("migrate", total=len(steps))

        def advance(next_step: str) -> None:
            progress.update(task, advance=1, description=next_step)

        fresh_database(env)
        setup_django(env)
        codes = create_accounts()
        advance("history")
        load_seconds = load_history(args.history)
        advance("single")
        single = run_clients("single", args.clients, args.seconds, 1, codes)
        advance("batched")
        batched = run_clients("batched", args.clients, args.seconds, args.batch, codes)
        advance("pgbench")
        tps = pgbench(args.clients, args.pgbench_seconds)
        advance("latency")

        from django.db import connection
        from django.utils import timezone

        from millet.finance.models import LedgerTransfer
        from millet.finance.services import balance, total_balance_check, trial_balance

        hot = "bench:cash:CNY"
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM finance_ledgeraccount WHERE code = %s", [hot])
            hot_id = cursor.fetchone()[0]

        def summed() -> int:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT COALESCE(SUM(amount), 0) FROM finance_ledgertransfer"
                    " WHERE debit_account_id = %s AND kind IN ('single', 'post_pending')",
                    [hot_id],
                )
                return cursor.fetchone()[0]

        balance(hot)  # warm the connection
        running_p50, running_p99 = latency_ms(lambda: balance(hot), 2000)
        summed_p50, summed_p99 = latency_ms(summed, 5)
        assert summed() == balance(hot).debits_posted, "running sum differs from the transfers"
        history_start = timezone.now() - timedelta(days=1)
        tb_now_p50, _ = latency_ms(trial_balance, 5)
        tb_then_p50, _ = latency_ms(lambda: trial_balance(history_start), 3)
        transfers = LedgerTransfer.objects.count()
        ledger_sum = total_balance_check()
        advance("done")

    ratio = batched / tps if tps else 0.0
    console.print(
        f"history: {args.history:,} transfers loaded in {load_seconds:.1f}s; "
        f"{transfers:,} transfers at the end"
    )
    console.print(
        f"ledger single   : {single:,.0f} transfers/s ({args.clients} clients, 1 transfer per transaction)"
    )
    console.print(
        f"ledger batched  : {batched:,.0f} transfers/s ({args.clients} clients, {args.batch} per transaction)"
    )
    console.print(f"pgbench TPC-B   : {tps:,.0f} tps (-c {args.clients} -j 2 -s {args.clients})")
    console.print(
        f"balance (running sum) p50 {running_p50:.3f} ms p99 {running_p99:.3f} ms; summing the hot account's "
        f"transfers p50 {summed_p50:.1f} ms; trial balance now {tb_now_p50:.1f} ms, at the history's start "
        f"{tb_then_p50:.1f} ms"
    )
    console.print(f"batched / pgbench = {ratio:.2f} (goal {GOAL}); ledger sum {ledger_sum}")
    console.print(
        "limits: single transfers pay Django and five round trips each (BEGIN, INSERT, two account "
        "UPDATEs, COMMIT) on two cores shared with PostgreSQL; batches pay one lock query, one COPY and "
        "one UPDATE per 1,000 transfers, then Python building the rows and PostgreSQL maintaining the "
        "transfer table's indexes; concurrent batches touching the same accounts queue on their row locks."
    )
    print(
        json.dumps(
            {
                "bench": "ledger",
                "value": round(batched, 1),
                "unit": "transfers/s",
                "ceiling": round(tps, 1),
                "ratio": round(ratio, 2),
                "goal": GOAL,
                "single_tps": round(single, 1),
                "single_ratio": round(single / tps, 2) if tps else 0.0,
                "batch_size": args.batch,
                "clients": args.clients,
                "history_transfers": args.history,
                "transfers_at_end": transfers,
                "history_load_s": round(load_seconds, 1),
                "balance_p50_ms": round(running_p50, 3),
                "balance_p99_ms": round(running_p99, 3),
                "summed_balance_p50_ms": round(summed_p50, 1),
                "trial_balance_now_ms": round(tb_now_p50, 1),
                "trial_balance_at_history_start_ms": round(tb_then_p50, 1),
                "ledger_sum": ledger_sum,
            }
        )
    )


if __name__ == "__main__":
    main()
