"""Instant credit at checkout on PostgreSQL: how long a decision takes, and what paying by loan costs
next to paying the same order by card, measured in the same run.

Builds a small company in a fresh database, trains the German Credit scorecard (2 folds), approves
it, then, one after the other: N orders paid by card (``pay_order`` with ``tok_ok``: the peer) and N
orders paid by an instant loan (``apply_for_credit``: features, model decision, schedule, the order
paid through the credit gateway and the disbursement, one transaction). The issue asks for a decision
in under a second; the goal here is a loan checkout within 4x a card payment.

    python bench/lending.py [--orders 200]

The last line is JSON: {"bench", "value" (loan checkouts/s), "unit", "ceiling" (card payments/s),
"ratio", "goal", decision and latency percentiles}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_LENDING_DB", "millet_d")
GOAL = 0.25  # loan checkouts/s at least a quarter of card payments/s


def fresh_database() -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=200)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = fresh_database()
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "millet.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from millet.accounts.actor import SYSTEM, actor_for_user
    from millet.lending import services as lending
    from millet.sales.services import LineRequest, pay_order, place_order
    from tests.factories import build_world, trained_scorecard
    from tests.finance.lending.conftest import GOOD_FORM

    world = build_world()
    world.receive("CABLE-C", "WH-CN-SH", 20 * args.orders)
    started = time.perf_counter()
    artifact = trained_scorecard().artifact
    print(f"trained the scorecard in {time.perf_counter() - started:.1f}s")
    lending.approve_model(SYSTEM, lending.register_model(artifact).version)
    lending.create_product(
        SYSTEM,
        code="CN-EASY",
        name="Mi Easy Pay",
        currency="CNY",
        apr=Decimal("0.18"),
        terms=[3, 6, 12],
        late_fee=Decimal("30.00"),
        min_amount=Decimal("100.00"),
        max_amount=Decimal("50000.00"),
    )
    buyers = [actor_for_user(world.users[name]) for name in ("alice", "bob")]

    def order(i: int):
        return place_order(buyers[i % 2], market="CN", lines=[LineRequest("CABLE-C", 6)])

    card, loan, decisions = [], [], []
    for i in range(args.orders):
        placed = order(i)
        t0 = time.perf_counter()
        pay_order(buyers[i % 2], placed.number, payment_token="tok_ok")
        card.append(time.perf_counter() - t0)
    approved = 0
    for i in range(args.orders):
        placed = order(i)
        t0 = time.perf_counter()
        application = lending.apply_for_credit(
            buyers[i % 2], order_number=placed.number, product_code="CN-EASY", term_months=6, form=GOOD_FORM
        )
        loan.append(time.perf_counter() - t0)
        decisions.append(application.decision_ms)
        approved += application.status == "approved"
    card_rate, loan_rate = 1 / statistics.mean(card), 1 / statistics.mean(loan)
    print(f"card payment:   {card_rate:8.1f}/s  p50 {percentile(card, 0.5) * 1000:.1f} ms")
    print(
        f"loan checkout:  {loan_rate:8.1f}/s  p50 {percentile(loan, 0.5) * 1000:.1f} ms"
        f"  p99 {percentile(loan, 0.99) * 1000:.1f} ms  ({approved}/{args.orders} approved)"
    )
    print(
        f"model decision: p50 {percentile(decisions, 0.5):.3f} ms  p99 {percentile(decisions, 0.99):.3f} ms"
    )
    print(
        json.dumps(
            {
                "bench": "lending_checkout",
                "value": round(loan_rate, 1),
                "unit": "loan checkouts/s (one process, PostgreSQL)",
                "ceiling": round(card_rate, 1),
                "ratio": round(loan_rate / card_rate, 3),
                "goal": GOAL,
                "decision_p99_ms": round(percentile(decisions, 0.99), 3),
                "loan_checkout_p99_ms": round(percentile(loan, 0.99) * 1000, 1),
                "approved": approved,
                "orders": args.orders,
            }
        )
    )


if __name__ == "__main__":
    main()
