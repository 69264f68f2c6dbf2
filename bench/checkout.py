"""Orders placed per second through the HTTP API on PostgreSQL, against a trivial endpoint's ceiling
and against django-oscar's checkout (the peer) on the same PostgreSQL server.

Runs gunicorn (2 sync workers unless ``--workers`` says; ``--worker-class gthread``: 16 threads each,
as ``millet start`` serves; persistent DB connections) over a fresh PostgreSQL database, then
drives it with wrk (Debian's package; a C load generator, so the client costs little of the two
cores): first the trivial ``GET /api/health`` (the HTTP stack's ceiling), then ``POST
/api/sales/orders`` with a payment token, each a real checkout: price, voucher-free tax, stock
held with a conditional UPDATE, payment authorised as a pending ledger transfer.

The peer is django-oscar's own order placement (``bench/support/oscar_peer/``, in its own virtualenv
under var/ made on first use): the same 20 products, one unit of one per order, the same 13% tax
rate, its stock record allocated and the payment recorded as authorised, on the same gunicorn workers.
Each round measures the trivial endpoint, then Millet's checkout, then Oscar's.

    python bench/checkout.py [--seconds 10] [--rounds 3] [--connections 8] [--no-peer]
        [--worker-class gthread|sync] [--workers N]

``--no-peer`` leaves Oscar out (its virtualenv is not made; ``peer`` is null): bench/capacity.py
runs it that way, since it needs only Millet's own orders/s.

The last line is JSON: {"bench", "value" (orders/s), "unit", "ceiling" (trivial req/s), "ratio", "goal",
"peer" (Oscar orders/s), "peer_ratio" (Millet / Oscar), the CPU milliseconds an order and a trivial
request cost gunicorn's processes and PostgreSQL's (``order_server_cpu_ms``, ``order_postgres_cpu_ms``,
``trivial_server_cpu_ms``, ``trivial_postgres_cpu_ms``: what the ratio is made of), ...}.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
from pathlib import Path

from support import cpu, oscar
from support.harness import add_server_options, django_script, fresh_postgres, postgres_env, serve, wrk

DB_NAME = "millet_bench_checkout"
PEER_DB_NAME = "millet_bench_checkout_oscar"
PORT = 8765
PEER_PORT = 8766
GOAL = 0.25

LUA = """
local tokens = {%(tokens)s}
local skus = {%(skus)s}
local counter = 0
request = function()
  counter = counter + 1
  local token = tokens[(counter %% #tokens) + 1]
  local sku = skus[math.random(#skus)]
  local body = '{"market":"CN","lines":[{"sku":"' .. sku .. '","quantity":1}],"payment_token":"tok_ok"}'
  return wrk.format("POST", "/api/sales/orders",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format("latency_p50_ms %%.2f\\nlatency_p99_ms %%.2f\\n", latency:percentile(50) / 1000,
    latency:percentile(99) / 1000))
end
"""


SETUP = """
import json
from decimal import Decimal
from django.contrib.auth import get_user_model
from millet.accounts.actor import SYSTEM
from millet.accounts.services import issue_token
from millet.catalog import services as catalog
from millet.inventory import services as inventory
from millet.regions.services import ensure_default_markets

ensure_default_markets()
skus = []
for i in range(20):
    slug = f"bench-{i}"
    catalog.create_product(slug, f"Bench product {i}", "accessory", actor=SYSTEM)
    code = f"BENCH-{i:02d}"
    catalog.create_sku(code, slug, f"Bench SKU {i}", serialized=False, actor=SYSTEM)
    catalog.set_price("CN", code, Decimal("99.00") + i, actor=SYSTEM)
    skus.append(code)
cities = [
    ("Beijing", "39.9042", "116.4074"),
    ("Shanghai", "31.2304", "121.4737"),
    ("Guangzhou", "23.1291", "113.2644"),
]
for n, (city, lat, lon) in enumerate(cities):
    loc = inventory.create_location(code=f"WH-{n}", name=city, kind="warehouse", market="CN", city=city,
                                    latitude=Decimal(lat), longitude=Decimal(lon))
    for code in skus:
        inventory.receive_units(sku_id=catalog.sku_info([code])[code].id, location_id=loc.pk, quantity=10000,
                                reference="bench")
User = get_user_model()
tokens = [issue_token(User.objects.create_user(f"bench{i}")) for i in range(200)]
print(json.dumps({"tokens": tokens, "skus": skus}))
"""


def count_orders(db_url: str) -> int:
    import psycopg

    with psycopg.connect(db_url) as conn:
        return conn.execute("SELECT count(*) FROM sales_order").fetchone()[0]


def ours(server, db_url: str) -> tuple[list[int], list[int]]:
    """gunicorn's master and workers, and the PostgreSQL server processes serving the bench's database."""
    import psycopg

    with psycopg.connect(db_url) as conn:
        found = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cpu.descendants(server.pid), [pid for (pid,) in found.fetchall()]


def cpu_ms(before: cpu.Sample, after: cpu.Sample, pids: list[int], count: float) -> float | None:
    """Milliseconds of CPU ``pids`` spent per request (or order) between two samples."""
    return round(cpu.used(before, after, pids) / count * 1000, 3) if count else None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--no-peer", dest="peer", action="store_false", help="Leave django-oscar out.")
    add_server_options(parser)
    args = parser.parse_args()

    env = postgres_env(DB_NAME, Path(tempfile.mkdtemp(prefix="millet-bench-")))
    db_url = env["DATABASE_URL"]
    print(f"fresh database {DB_NAME}; seeding 20 SKUs x 3 warehouses, 200 customers", flush=True)
    fresh_postgres(DB_NAME, env)
    seed = json.loads(django_script(SETUP, env).strip().splitlines()[-1])
    base = f"http://127.0.0.1:{PORT}"
    peer_base = f"http://127.0.0.1:{PEER_PORT}"
    peer_server = contextlib.nullcontext()
    if args.peer:
        peer_python = oscar.python()
        peer_env = oscar.peer_env(PEER_DB_NAME)
        print(f"fresh database {PEER_DB_NAME} for the django-oscar peer; same seed", flush=True)
        peer_seed = oscar.prepare(PEER_DB_NAME, peer_python, peer_env)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as peer_lua:
            peer_lua.write(oscar.lua(peer_seed))
        peer_server = serve(
            PEER_PORT,
            peer_env,
            app="wsgi:application",
            cwd=oscar.PROJECT,
            python=peer_python,
            health="/health",
            workers=args.workers,
            worker_class=args.worker_class,
        )
    with serve(PORT, env, args.workers, worker_class=args.worker_class) as server, peer_server:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(
                LUA
                % {
                    "tokens": ",".join(f'"{t}"' for t in seed["tokens"]),
                    "skus": ",".join(f'"{s}"' for s in seed["skus"]),
                }
            )
        # Warm-up: imports, connections.
        wrk(f"{base}/api/health", seconds=3, connections=args.connections, threads=2)
        if args.peer:
            wrk(f"{peer_base}/health", seconds=3, connections=args.connections, threads=2)
        # Alternate the three loads and keep the medians: this shared 2-core machine is noisy.
        trivials, checkouts, placed_rates, peers, peer_rates, cores, costs = [], [], [], [], [], [], []
        for round_no in range(1, args.rounds + 1):
            # PostgreSQL's processes are listed after each load: a worker connects on its first query,
            # and a process missing from the sample before counts from its start.
            cpu_before = cpu.sample(sum(ours(server, db_url), []))
            trivial = wrk(f"{base}/api/health", seconds=args.seconds, connections=args.connections, threads=2)
            workers, backends = ours(server, db_url)
            trivial_cpu = cpu.sample(workers + backends)
            trivial_backends = backends
            before = count_orders(db_url)
            checkout_before = cpu.sample(workers + backends)
            checkout = wrk(
                f"{base}/api/sales/orders",
                seconds=args.seconds,
                connections=args.connections,
                threads=2,
                script=lua.name,
            )
            workers, backends = ours(server, db_url)
            checkout_after = cpu.sample(workers + backends)
            cores.append(cpu.share(checkout_before, checkout_after))  # wrk: a reaped child
            placed = (count_orders(db_url) - before) / args.seconds  # successes only
            # Where a request's CPU goes (gunicorn's processes, PostgreSQL's): what the ratio is made of.
            requests = trivial["rps"] * args.seconds
            costs.append(
                {
                    "trivial_server_cpu_ms": cpu_ms(cpu_before, trivial_cpu, workers, requests),
                    "trivial_postgres_cpu_ms": cpu_ms(cpu_before, trivial_cpu, trivial_backends, requests),
                    "order_server_cpu_ms": cpu_ms(
                        checkout_before, checkout_after, workers, placed * args.seconds
                    ),
                    "order_postgres_cpu_ms": cpu_ms(
                        checkout_before, checkout_after, backends, placed * args.seconds
                    ),
                }
            )
            peer, peer_placed = {"p50_ms": None, "non_2xx": 0}, 0.0
            if args.peer:
                peer_before = oscar.count_orders(PEER_DB_NAME)
                peer = wrk(
                    f"{peer_base}/checkout",
                    seconds=args.seconds,
                    connections=args.connections,
                    threads=2,
                    script=peer_lua.name,
                )
                peer_placed = (oscar.count_orders(PEER_DB_NAME) - peer_before) / args.seconds
            trivials.append(trivial)
            checkouts.append(checkout)
            placed_rates.append(placed)
            peers.append(peer)
            peer_rates.append(peer_placed)
            print(
                f"round {round_no}: trivial GET /api/health {trivial['rps']:.0f} req/s "
                f"(p50 {trivial['p50_ms']} ms); "
                f"checkout POST /api/sales/orders {placed:.0f} orders/s (p50 {checkout['p50_ms']} ms, "
                f"p99 {checkout['p99_ms']} ms, non-2xx {checkout['non_2xx']}; CPU per order "
                f"{costs[-1]['order_server_cpu_ms']} ms gunicorn + {costs[-1]['order_postgres_cpu_ms']} ms "
                f"PostgreSQL, per trivial request {costs[-1]['trivial_server_cpu_ms']} + "
                f"{costs[-1]['trivial_postgres_cpu_ms']} ms)"
                + (
                    f"; django-oscar POST /checkout {peer_placed:.0f} orders/s (p50 {peer['p50_ms']} ms, "
                    f"non-2xx {peer['non_2xx']})"
                    if args.peer
                    else ""
                ),
                flush=True,
            )

    ledger_sum = int(
        django_script(
            "from millet.finance.services import total_balance_check\nprint(total_balance_check())", env
        ).split()[-1]
    )
    ceiling = statistics.median_low(t["rps"] for t in trivials)
    placed = statistics.median_low(placed_rates)
    checkout = checkouts[placed_rates.index(placed)]  # the median round's latencies
    ratio = placed / ceiling if ceiling else 0.0
    peer_placed = statistics.median_low(peer_rates)
    peer_ratio = placed / peer_placed if peer_placed else 0.0
    orders = count_orders(db_url)
    print(
        f"median of {args.rounds} rounds: checkout {placed:.1f} orders/s, trivial {ceiling:.0f} req/s, "
        f"ratio {ratio:.3f} (goal {GOAL}); "
        + (f"django-oscar {peer_placed:.1f} orders/s, Millet/Oscar {peer_ratio:.2f}; " if args.peer else "")
        + f"orders stored {orders}; ledger sum {ledger_sum}"
    )
    print(
        json.dumps(
            {
                "bench": "checkout",
                "value": round(placed, 1),
                "unit": "orders/s",
                "ceiling": round(ceiling, 1),
                "ratio": round(ratio, 3),
                "goal": GOAL,
                "peer": round(peer_placed, 1) if args.peer else None,
                "peer_name": "django-oscar 4.2.1 checkout",
                "peer_ratio": round(peer_ratio, 3) if args.peer else None,
                "checkout_p50_ms": checkout["p50_ms"],
                "checkout_p99_ms": checkout["p99_ms"],
                "rounds_orders_per_s": [round(r, 1) for r in placed_rates],
                "rounds_trivial_req_per_s": [round(t["rps"], 1) for t in trivials],
                "rounds_peer_orders_per_s": [round(r, 1) for r in peer_rates],
                "non_2xx": sum(c["non_2xx"] for c in checkouts),
                "peer_non_2xx": sum(p["non_2xx"] for p in peers),
                "orders_stored": orders,
                "ledger_sum": ledger_sum,
                "workers": args.workers,
                "worker_class": args.worker_class,
                "connections": args.connections,
                "seconds": args.seconds,
                "rounds": args.rounds,
                "cores": cores[placed_rates.index(placed)],  # the median round's window
                **costs[placed_rates.index(placed)],
            }
        )
    )


if __name__ == "__main__":
    main()
