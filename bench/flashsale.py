"""A flash sale on one hot SKU: the gate against the ``SELECT ... FOR UPDATE`` way, on PostgreSQL + Redis.

One run, one machine, the same concurrency everywhere (``--connections``, default 8):

1. HTTP ceiling: ``GET /api/health`` on gunicorn (2 sync workers unless ``--workers`` says;
   ``--worker-class gthread`` serves as ``millet start`` does, 16 threads each), driven by wrk.
2. The gate through HTTP: ``POST /api/flashsale/campaigns/{code}/claims`` with random customers'
   tokens until ``--attempts`` decisions (201 claim or 409 limit/sold out), with p50/p99 latency.
   A warm token's claim is one Redis round trip, answered before sessions and routing
   (``millet.flashsale.middleware``); a token's first claim takes the full API route.
3. The peer through HTTP, same server and workers: a purchase done the general-purpose way, one
   transaction per attempt that locks the stock row (``SELECT ... FOR UPDATE``), checks the
   customer's limit, takes the unit and records the purchase.
4. The contended core without HTTP: the gate's Lua script run by redis-benchmark against the same
   transaction run by pgbench (both C clients, same connection count, every attempt a purchase).
5. The orders behind the gate: the writer turns every claim into a FLASH order; a sample of buyers
   pays. Then: oversold units (claims holding units beyond those offered, peer purchases beyond its
   stock, or a stock row whose reserved count disagrees) and lost paid orders (accepted claims
   without an order, paid claims whose order is not paid) must both be 0.

    python bench/flashsale.py [--full] [--units N] [--customers N] [--attempts N] [--fsync everysec|always]
        [--worker-class gthread|sync] [--workers N]

Goals (issue 14): the gate via HTTP at least 5x the peer's decisions/s and at least 0.5 of the
trivial endpoint's requests/s, with 0 oversold and 0 lost paid orders.

The default run is scaled for a 2-core machine (well under 4 minutes); ``--full`` is the Singles
Day size (100,000 units, 1,000,000 attempts from 200,000 customers). Redis runs privately with AOF;
``--fsync`` picks its policy (``everysec``, Redis's production default, unless told otherwise); the
core figure is also measured with ``always`` for comparison. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from support import cpu
from support.harness import (
    PG_ADMIN_URL,
    ROOT,
    WORKER_CLASSES,
    add_server_options,
    django_script,
    free_port,
    fresh_postgres,
    wrk_binary,
)

DB_NAME = "millet_bench_flashsale"
CODE = "bench-sale"
LIMIT = 2
GOAL = 0.5  # gate via HTTP at half the trivial endpoint's rate or better

PEER_SQL = """
BEGIN;
SELECT quantity - reserved FROM inventory_stock WHERE id = %(stock)s FOR UPDATE;
SELECT count(*) FROM bench_peer_purchase WHERE stock_id = %(stock)s AND customer_id = :cust;
UPDATE inventory_stock SET reserved = reserved + 1 WHERE id = %(stock)s AND quantity > reserved;
INSERT INTO bench_peer_purchase (stock_id, customer_id, created_at) VALUES (%(stock)s, :cust, now());
END;
"""

WRK_LUA = """
local tokens = {%(tokens)s}
local path = "%(path)s"
local threads = {}
function setup(thread) table.insert(threads, thread); thread:set("id", #threads) end
function init(args) statuses = {}; math.randomseed(tonumber(args[1]) + id * 7919) end
request = function()
  local token = tokens[math.random(#tokens)]
  local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  return wrk.format("POST", path, headers, "{}")
end
response = function(status, headers, body)
  local reason = string.match(body, '"error": "([%%w_]+)"') or ""
  local key = status .. ":" .. reason
  statuses[key] = (statuses[key] or 0) + 1
end
done = function(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do total[k] = (total[k] or 0) + v end
  end
  for k, v in pairs(total) do io.write(string.format("status %%s %%d\\n", k, v)) end
end
"""

SEED = """
import json, secrets
from datetime import timedelta
from decimal import Decimal
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from millet.accounts.actor import SYSTEM
from millet.accounts.models import ApiToken, hash_token
from millet.accounts.services import token_owner
from millet.catalog import services as catalog
from millet.flashsale import services as flash
from millet.inventory import services as inventory
from millet.inventory.models import Stock
from millet.regions.services import ensure_default_markets

units, customers = %(units)d, %(customers)d
ensure_default_markets()
catalog.create_product("flash-phone", "Flash phone", "accessory", actor=SYSTEM)
for code in ("FLASH-1", "PEER-1", "CORE-1"):
    catalog.create_sku(code, "flash-phone", code, serialized=False, actor=SYSTEM)
    catalog.set_price("CN", code, Decimal("999.00"), actor=SYSTEM)
wh = inventory.create_location(code="WH-BENCH", name="Beijing", kind="warehouse", market="CN", city="Beijing",
                               latitude=Decimal("39.9"), longitude=Decimal("116.4"))
info = catalog.sku_info(["FLASH-1", "PEER-1", "CORE-1"])
for code, qty in (("FLASH-1", units), ("PEER-1", units), ("CORE-1", 1_000_000)):
    for part in range(0, qty, 10_000):  # one receipt is at most 10,000 units
        inventory.receive_units(sku_id=info[code].id, location_id=wh.pk, quantity=min(10_000, qty - part),
                                reference="bench")
now = timezone.now()
flash.create_campaign(SYSTEM, code="%(code)s", name="Singles Day", sku_code="FLASH-1", market="CN",
                      location_code="WH-BENCH", price=Decimal("499.00"), units=units,
                      starts_at=now - timedelta(seconds=1), ends_at=now + timedelta(hours=2),
                      per_customer_limit=%(limit)d, payment_window_seconds=3600,
                      customer_rate_per_second=5, ip_rate_per_second=0)
User = get_user_model()
users = User.objects.bulk_create(User(username=f"buyer{i}", password="!") for i in range(customers))
raws = ["mlt_" + secrets.token_urlsafe(32) for _ in users]
# Buyers refreshing during a sale used their tokens within the minute, so authentication is one
# indexed read (accounts touches last_used_at at most once a minute); the seed starts in that state.
ApiToken.objects.bulk_create(
    ApiToken(user=u, key_hash=hash_token(r), prefix=r[:8], last_used_at=now + timedelta(hours=1))
    for u, r in zip(users, raws)
)
# Those requests also left each token's owner in the shared cache (Redis), where accounts keeps it
# until the token is revoked or its user changes: authenticating a buyer is one cache read.
for raw in raws:
    token_owner(raw)
with connection.cursor() as cur:
    cur.execute("CREATE TABLE bench_peer_purchase (id bigserial PRIMARY KEY, stock_id bigint NOT NULL, "
                "customer_id bigint NOT NULL, created_at timestamptz NOT NULL)")
    cur.execute("CREATE INDEX ON bench_peer_purchase (stock_id, customer_id)")
stock = {c: Stock.objects.get(sku_id=info[c].id, location=wh).pk for c in ("PEER-1", "CORE-1")}
ids = [u.pk for u in users]
print(json.dumps({"tokens": raws, "peer_stock": stock["PEER-1"], "core_stock": stock["CORE-1"],
                  "first_id": min(ids), "last_id": max(ids)}))
"""

DRAIN = """
import json, time
from millet.flashsale import services
from millet.flashsale.services import gate
start = time.monotonic()
written = 0
while True:
    n = services.write_claims(block_ms=0, reclaim_idle_ms=600000, batch=500)
    written += n
    if not n and not gate.backlog("%(code)s"):
        break
print(json.dumps({"written": written, "seconds": time.monotonic() - start}))
"""

CHECK = """
import json
from django.db import connection
from millet.accounts.actor import actor_for_user
from millet.flashsale import services
from millet.flashsale.services import gate
from millet.flashsale.models import Campaign, Claim
from millet.inventory.models import Reservation, Stock
from millet.sales.models import Order
campaign = Campaign.objects.get(code="%(code)s")
ordered = list(Claim.objects.filter(campaign=campaign, status="ordered").select_related("customer")[:%(pay)d])
for claim in ordered:
    services.pay_claim(actor_for_user(claim.customer), campaign.code, claim.gate_id, payment_token="tok_ok")
claims = Claim.objects.filter(campaign=campaign)
live = claims.filter(status__in=("ordered", "paid")).count()
paid = list(claims.filter(status="paid").values_list("order_number", flat=True))
paid_ok = Order.objects.filter(number__in=paid, status="paid").count()
accepted = gate.client().xlen(gate.keys(campaign.code)["stream"])
row = Stock.objects.get(sku=campaign.sku, location=campaign.location)
held = sum(Reservation.objects.filter(reference=campaign.hold_reference, status="active")
           .values_list("quantity", flat=True))
with connection.cursor() as cur:
    cur.execute("SELECT count(*) FROM bench_peer_purchase WHERE stock_id = %(peer_stock)d")
    peer_sold = cur.fetchone()[0]
    cur.execute("SELECT quantity, reserved FROM inventory_stock WHERE id = %(peer_stock)d")
    peer_qty, peer_reserved = cur.fetchone()
oversold = max(0, live - campaign.units) + max(0, peer_reserved - peer_qty)
oversold += abs(row.reserved - (held + live))  # the hold plus each open order's unit, nothing else
oversold += max(0, gate.pool(campaign.code) + live - campaign.units)  # the gate never owes more than offered
lost_paid = (accepted - claims.count()) + (len(paid) - paid_ok)
print(json.dumps({"claims": claims.count(), "accepted": accepted, "live": live, "paid": len(paid),
                  "pool": gate.pool(campaign.code), "held": held, "stock_reserved": row.reserved,
                  "peer_sold": peer_sold, "oversold": oversold, "lost_paid": lost_paid}))
"""


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kwargs)


def django(script: str, env: dict) -> dict:
    return json.loads(django_script(script, env).strip().splitlines()[-1])


def start_redis(fsync: str) -> tuple[subprocess.Popen, int, str]:
    port, data = free_port(), tempfile.mkdtemp(prefix="millet-bench-redis-")
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", data, "--save", "",
         "--appendonly", "yes", "--appendfsync", fsync],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.3)
    return proc, port, data


def wrk(binary: str, url: str, *, seconds: int, connections: int, script: str | None = None) -> dict:
    cmd = [binary, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if script:
        cmd += ["-s", script]
    out = run([*cmd, url, str(random.randrange(1, 2**31))]).stdout  # each run and thread draws anew
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    requests = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    secs = float(requests.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[requests.group(3)]
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(requests.group(1)),
        "seconds": secs,
        "statuses": {k: int(v) for k, v in re.findall(r"status (\d+:\w*) (\d+)", out)},
        "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else None,
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else None,
    }


def decided(statuses: dict[str, int]) -> int:
    """Answers that are decisions: a claim, or a refusal for limit or sold out (not errors or 429s)."""
    return sum(n for key, n in statuses.items() if key in ("201:", "409:limit", "409:sold_out"))


def lua_file(tokens: list[str], path: str) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_LUA % {"tokens": ",".join(f'"{t}"' for t in tokens), "path": path})
    return f.name


def wrk_until(binary: str, url: str, *, attempts: int, chunk: int, connections: int, script: str) -> dict:
    """wrk runs for a duration, so the gate is driven in chunks until ``attempts`` requests were made."""
    runs = []
    while sum(r["requests"] for r in runs) < attempts:
        runs.append(wrk(binary, url, seconds=chunk, connections=connections, script=script))
    statuses: dict[str, int] = {}
    for r in runs:
        for k, v in r["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
    middle = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
    return {
        "requests": sum(r["requests"] for r in runs),
        "seconds": sum(r["seconds"] for r in runs),
        "statuses": statuses,
        "p50_ms": middle["p50_ms"],
        "p99_ms": max(r["p99_ms"] for r in runs),
        "chunks": len(runs),
    }


def core_redis(port: int, *, requests: int, connections: int, customers: int, fsync: str) -> float:
    """The gate's script alone, every call an accepted claim (pool and limit set out of reach) and a
    new claim request: its request key is two random numbers of ``customers``, so a repeat (which
    would answer the stored claim, a shorter path) is about one in ``customers`` squared."""
    import django
    import redis

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "millet.settings")
    django.setup()  # the gate module sits in a package that loads its models
    from millet.flashsale.services.gate import _CLAIM, REQUEST_KEEP_MS, keys

    client = redis.Redis(port=port)
    client.config_set("appendfsync", fsync)
    k = keys("core")
    now_ms = int(time.time() * 1000)
    client.delete(*k.values())
    state = {"start_ms": now_ms - 1000, "end_ms": now_ms + 3_600_000, "limit": 10**9, "pool": 10**9}
    client.hset(k["state"], mapping={**state, "cust_rate": 0, "ip_rate": 0})
    sha = client.script_load(_CLAIM)
    out = run(
        ["redis-benchmark", "-p", str(port), "-c", str(connections), "-n", str(requests),
         "-r", str(customers), "--csv", "EVALSHA", sha, "6", k["state"], k["taken"], k["stream"],
         "fs:{core}:rl:c:", "fs:{core}:rl:ip", "fs:{core}:req:__rand_int__-__rand_int__",
         "__rand_int__", "", str(REQUEST_KEEP_MS)]
    ).stdout  # fmt: skip
    client.delete(*k.values())  # the request keys expire by themselves
    return float(re.findall(r'"EVALSHA[^"]*","([\d.]+)"', out)[-1])


def core_postgres(db_url: str, *, stock: int, seconds: int, connections: int, customers: int) -> float:
    """The general-purpose purchase transaction alone, through pgbench (every attempt a purchase)."""
    script = f"\\set cust random(1, {customers})\n" + PEER_SQL % {"stock": stock}
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    out = run(
        ["pgbench", "-n", "-c", str(connections), "-j", "2", "-T", str(seconds), "-f", f.name, db_url]
    ).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def peer_application():
    """gunicorn factory (``flashsale:peer_application()``): Millet's app plus the FOR UPDATE peer route.

    The peer sits on the same NinjaAPI, so it pays the same middleware and token authentication as
    the gate; only the decision differs.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "millet.settings")
    import django

    django.setup()
    from django.db import connection, transaction
    from ninja import Router

    from millet.api import api

    router = Router(tags=["bench"])

    @router.post("/peer/{stock_id}", response={201: dict, 409: dict})
    def buy(request, stock_id: int):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "SELECT quantity - reserved FROM inventory_stock WHERE id = %s FOR UPDATE", [stock_id]
            )
            free = cur.fetchone()[0]
            cur.execute(
                "SELECT count(*) FROM bench_peer_purchase WHERE stock_id = %s AND customer_id = %s",
                [stock_id, request.user.pk],
            )
            if cur.fetchone()[0] >= LIMIT:
                return 409, {"error": "limit"}
            if free <= 0:
                return 409, {"error": "sold_out"}
            cur.execute("UPDATE inventory_stock SET reserved = reserved + 1 WHERE id = %s", [stock_id])
            cur.execute(
                "INSERT INTO bench_peer_purchase (stock_id, customer_id, created_at) VALUES (%s, %s, now())",
                [stock_id, request.user.pk],
            )
        return 201, {"ok": True}

    api.add_router("/bench", router)
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--full", action="store_true", help="100,000 units, 1,000,000 attempts, 200,000 customers"
    )
    parser.add_argument("--units", type=int, default=5_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--attempts", type=int, default=12_000, help="gate attempts through HTTP (at least)")
    parser.add_argument("--seconds", type=int, default=6, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--pay", type=int, default=300, help="claims the check pays through the service")
    parser.add_argument("--fsync", choices=["everysec", "always"], default="everysec")
    add_server_options(parser)
    args = parser.parse_args()
    if args.full:
        args.units, args.customers, args.attempts = 100_000, 200_000, 1_000_000

    binary = wrk_binary()
    redis_proc, redis_port, redis_dir = start_redis(args.fsync)
    db_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + DB_NAME
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "DJANGO_SETTINGS_MODULE": "millet.settings",
        "MILLET_DB_CONN_MAX_AGE": "600",
        "MILLET_DATA_DIR": tempfile.mkdtemp(prefix="millet-bench-"),
        "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}",
    }
    server = None
    try:
        print(
            f"fresh database {DB_NAME}, private Redis (AOF appendfsync {args.fsync}); "
            f"campaign of {args.units} units, limit {LIMIT}, {args.customers} customers, "
            f"{args.attempts} attempts",
            flush=True,
        )
        fresh_postgres(DB_NAME, env)
        seed = django(
            SEED % {"units": args.units, "customers": args.customers, "code": CODE, "limit": LIMIT}, env
        )
        port = free_port()
        server_log = open(Path(env["MILLET_DATA_DIR"]) / "gunicorn.log", "w")  # refusals log a line each
        print(f"server log: {server_log.name}", flush=True)
        server = subprocess.Popen(
            [shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn",
             "flashsale:peer_application()", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
             *WORKER_CLASSES[args.worker_class], "--log-level", "error"],
            env=env, cwd=ROOT, stdout=server_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/api/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        wrk(binary, f"{base}/api/health", seconds=2, connections=args.connections)  # warm-up

        # gunicorn's CPU per request (its master and workers): what a claim costs the web tier, beside
        # what the trivial request costs; the gate's rate on sync workers also waits on Redis's answer.
        workers = cpu.descendants(server.pid)
        at_start = cpu.sample(workers)
        trivial = wrk(binary, f"{base}/api/health", seconds=args.seconds, connections=args.connections)
        after_trivial = cpu.sample(workers)
        trivial_cpu_ms = cpu.used(at_start, after_trivial, workers) / trivial["requests"] * 1000
        print(
            f"trivial GET /api/health: {trivial['rps']:.0f} req/s (p50 {trivial['p50_ms']} ms; "
            f"{trivial_cpu_ms:.3f} ms of gunicorn CPU each)",
            flush=True,
        )

        gate_lua = lua_file(seed["tokens"], f"/api/flashsale/campaigns/{CODE}/claims")
        gate = wrk_until(binary, f"{base}/api/flashsale/campaigns/{CODE}/claims", attempts=args.attempts,
                         chunk=args.seconds, connections=args.connections, script=gate_lua)  # fmt: skip
        gate_cpu_ms = cpu.used(after_trivial, cpu.sample(workers), workers) / gate["requests"] * 1000
        decisions = decided(gate["statuses"])
        gate_rate = decisions / gate["seconds"]
        print(
            f"gate POST .../claims: {gate_rate:.0f} decisions/s over {gate['requests']} attempts "
            f"in {gate['chunks']} wrk runs (p50 {gate['p50_ms']} ms, p99 {gate['p99_ms']} ms; "
            f"{gate_cpu_ms:.3f} ms of gunicorn CPU each; statuses {gate['statuses']})",
            flush=True,
        )

        peer_lua = lua_file(seed["tokens"], f"/api/bench/peer/{seed['peer_stock']}")
        peer = wrk(binary, f"{base}/api/bench/peer/{seed['peer_stock']}", seconds=args.seconds,
                   connections=args.connections, script=peer_lua)  # fmt: skip
        peer_decisions = decided(peer["statuses"])
        peer_rate = peer_decisions / peer["seconds"]
        # What any route served by these workers reaches at the trivial endpoint's rate: the peer
        # waits on its row lock and commit (a disk flush), so a faster disk lowers this cap.
        vs_peer_cap = trivial["rps"] / peer_rate if peer_rate else None
        print(
            f"peer POST (SELECT ... FOR UPDATE per purchase): {peer_rate:.0f} decisions/s "
            f"(p50 {peer['p50_ms']} ms, p99 {peer['p99_ms']} ms; statuses {peer['statuses']}); "
            f"the trivial endpoint is {vs_peer_cap or 0:.2f}x the peer, "
            "the most a route on these workers reaches",
            flush=True,
        )
        server.terminate()
        server.wait(timeout=30)
        server = None

        os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "MILLET_DATA_DIR")})
        core_n = 200_000
        redis_core = core_redis(redis_port, requests=core_n, connections=args.connections,
                                customers=args.customers, fsync=args.fsync)  # fmt: skip
        redis_core_always = core_redis(redis_port, requests=core_n // 10, connections=args.connections,
                                       customers=args.customers, fsync="always")  # fmt: skip
        pg_core = core_postgres(db_url, stock=seed["core_stock"], seconds=args.seconds,
                                connections=args.connections, customers=args.customers)  # fmt: skip
        print(
            f"core without HTTP: Redis gate script {redis_core:.0f}/s (AOF {args.fsync}; "
            f"{redis_core_always:.0f}/s with always), PostgreSQL FOR UPDATE transaction {pg_core:.0f}/s",
            flush=True,
        )

        drain = django(DRAIN % {"code": CODE}, env)
        print(f"writer: {drain['written']} claims became orders in {drain['seconds']:.1f} s", flush=True)
        check = django(CHECK % {"code": CODE, "pay": args.pay, "peer_stock": seed["peer_stock"]}, env)
        print(
            f"check: accepted {check['accepted']}, claim rows {check['claims']}, paid {check['paid']}, "
            f"pool left {check['pool']}, hold {check['held']}, stock reserved {check['stock_reserved']}, "
            f"peer sold {check['peer_sold']}; oversold {check['oversold']}, lost paid {check['lost_paid']}",
            flush=True,
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        redis_proc.terminate()
        redis_proc.wait(timeout=30)
        shutil.rmtree(redis_dir, ignore_errors=True)

    ratio = gate_rate / trivial["rps"] if trivial["rps"] else 0.0
    print(
        json.dumps(
            {
                "bench": "flashsale",
                "value": round(gate_rate, 1),
                "unit": "gate decisions/s via HTTP",
                "ceiling": round(trivial["rps"], 1),
                "ratio": round(ratio, 3),
                "vs_peer": round(gate_rate / peer_rate, 2) if peer_rate else None,
                "vs_peer_cap": round(vs_peer_cap, 2) if vs_peer_cap else None,
                "core_vs_peer": round(redis_core / pg_core, 2) if pg_core else None,
                "oversold": check["oversold"],
                "lost_paid": check["lost_paid"],
                "goal": GOAL,
                "goal_vs_peer": 5,
                "goal_core_vs_peer": 20,
                "gate_p50_ms": gate["p50_ms"],
                "gate_server_cpu_ms": round(gate_cpu_ms, 3),
                "trivial_server_cpu_ms": round(trivial_cpu_ms, 3),
                "gate_p99_ms": gate["p99_ms"],
                "peer_rate": round(peer_rate, 1),
                "peer_p50_ms": peer["p50_ms"],
                "peer_p99_ms": peer["p99_ms"],
                "core_redis_per_s": round(redis_core, 1),
                "core_redis_fsync_always_per_s": round(redis_core_always, 1),
                "core_postgres_per_s": round(pg_core, 1),
                "core_vs_peer_fsync_always": round(redis_core_always / pg_core, 2) if pg_core else None,
                "gate_statuses": gate["statuses"],
                "attempts": gate["requests"],
                "claims": check["claims"],
                "paid": check["paid"],
                "orders_written_per_s": round(drain["written"] / drain["seconds"], 1)
                if drain["seconds"]
                else None,
                "units": args.units,
                "customers": args.customers,
                "redis_fsync": args.fsync,
                "workers": args.workers,
                "worker_class": args.worker_class,
                "connections": args.connections,
                "full": args.full,
            }
        )
    )


if __name__ == "__main__":
    main()
