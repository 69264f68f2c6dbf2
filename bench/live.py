"""Live device pages: latency from a device's publish to the owner's open event stream, with N streams
open in one server process, on PostgreSQL and Redis.

N owners each own one simulated Mi Smart Plug. The quick start's device cloud runs (``millet
devicecloud``: embedded MQTT broker, ingestion worker, simulator publishing every ``--interval``
seconds per plug) and one gunicorn ASGI worker (``millet.asgi``) serves every owner's
``/devices/<id>/events`` stream to this script's asyncio SSE clients (one signed-in session each).
Latency of an event = the moment the client reads it - the device's own timestamp in the telemetry
(same machine, same clock): broker, ingestion, commit, Redis pub/sub, the process's fan-out, HTTP.

The ceiling, in the same run: the same messages read straight off Redis pub/sub by a bare subscriber
in this script (no web server, no HTTP), i.e. the latency the device path alone leaves to the page.

    python bench/live.py [--owners 1000] [--pages N] [--interval 5] [--seconds 30]

``--pages`` opens more streams than owners (each owner's tabs), for a machine where that many
simulated plugs cannot connect in reasonable time (1,000 through the embedded broker on two busy cores).

The last line is JSON: {"bench", "value" (p99 ms at the page), "unit", "ceiling" (p99 ms at the bare
subscriber), "ratio", "goal" (1000 ms), "p50_ms", "streams_open", "db_connections" (to the bench's
database with every stream open: server, device cloud and this script; an open stream holds none), ...}.
BENCH_LIVE_DB names the database (dropped and recreated), BENCH_REDIS_URL the Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from support.harness import ROOT, django_script, free_port, fresh_postgres, postgres_env

DB_NAME = os.environ.get("BENCH_LIVE_DB", "millet_bench_live")  # a database of its own, dropped first
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
GOAL_MS = 1000.0

SETUP = """
import csv, json, sys
from django.test import Client
from millet.accounts.actor import SYSTEM
from millet.accounts.services import create_users
from millet.catalog import services as catalog
from millet.demo.data import DEVICE_MODELS
from millet.devices import services as devices

owners, manifest = int(sys.argv[1]), sys.argv[2]
urn, title, spec = DEVICE_MODELS["plug"]
catalog.create_device_model(urn, title, {"services": spec}, actor=SYSTEM)
catalog.create_product("mi-smart-plug", title, "home", device_model_urn=urn, actor=SYSTEM)
serials = [f"LIVE{i:06d}" for i in range(owners)]
units = devices.provision_batch(model_urn=urn, serials=serials, batch="L1", actor=SYSTEM)
people = create_users([(f"owner{i}", "Owner") for i in range(owners)])  # signed in by session only
rows = []
for user, unit in zip(people, units):
    devices.record_sale(order_number=f"CN-LIVE-{user.pk}", customer_id=user.pk, serials=[unit.serial])
    # Not bound yet: each plug binds to its buyer on its first connection (the simulator's), as in the field.
    client = Client()
    client.force_login(user)
    rows.append({"device_id": unit.device_id, "secret": unit.secret, "model_urn": urn,
                 "session": client.cookies["sessionid"].value})
with open(manifest, "w", newline="") as fh:
    writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
"""


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))], 1)


async def sse_client(port: int, device_id: str, session: str, latencies: list, opened: list, stop) -> None:
    """One owner's page: GET the stream with their session, record each reading's latency."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
    writer.write(
        f"GET /devices/{device_id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        f"Cookie: sessionid={session}\r\nConnection: keep-alive\r\n\r\n".encode()
    )
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"stream for {device_id}: {status!r}")
    opened.append(device_id)
    event = ""
    try:
        while not stop.is_set():
            line = await reader.readline()
            if not line:
                break
            text = line.decode().strip()
            if text.startswith("event:"):
                event = text[6:].strip()
            elif text.startswith("data:") and event == "reading":
                ts = json.loads(text[5:])["data"].get("ts")
                if ts is not None:  # the opening snapshot has none: only device reports count
                    latencies.append(time.time() * 1000 - ts)
    finally:
        writer.close()


def bare_subscriber(latencies: list[tuple[float, float]], stop: threading.Event) -> None:
    """The ceiling: every device's live channel read straight off Redis."""
    import redis

    pubsub = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    pubsub.psubscribe(f"millet:{REDIS_URL.rsplit('/', 1)[-1]}:live:*")  # devices.services.live's channels
    while not stop.is_set():
        message = pubsub.get_message(timeout=0.5)
        if message is not None:
            data = json.loads(message["data"])
            if data["kind"] == "reading":
                now = time.time()
                latencies.append((now, now * 1000 - data["data"]["ts"]))


def database_connections(database_url: str) -> int:
    """Connections to the bench's database now (the server's, the device cloud's and this one)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        ).fetchone()[0]


async def measure(
    port: int, owners: list[dict], seconds: float, database_url: str
) -> tuple[list, int, float, int]:
    latencies: list[float] = []
    opened: list[str] = []
    stop = asyncio.Event()
    clients = []
    for batch in range(0, len(owners), 100):  # open streams in waves, as pages load
        for row in owners[batch : batch + 100]:
            clients.append(
                asyncio.create_task(
                    sse_client(port, row["device_id"], row["session"], latencies, opened, stop)
                )
            )
        await asyncio.sleep(0.2)
    deadline = time.monotonic() + 180
    while len(opened) < len(owners) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    open_streams = len(opened)
    connections = await asyncio.to_thread(database_connections, database_url)
    latencies.clear()  # measure with every stream open
    started = time.time()
    await asyncio.sleep(seconds)
    stop.set()
    for task in clients:
        task.cancel()
    await asyncio.gather(*clients, return_exceptions=True)
    return latencies, open_streams, started, connections


def wait_for_binding(database_url: str, owners: int, timeout: float = 180) -> None:
    """Until every plug has connected once (broker, ingestion and simulator are up, each plug bound to
    its buyer): read straight from the table, as a bench may."""
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(database_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            bound = conn.execute("SELECT count(*) FROM devices_device WHERE owner_id IS NOT NULL").fetchone()[
                0
            ]
            if bound >= owners:
                return
            time.sleep(0.5)
    sys.exit(f"only {bound} of {owners} plugs connected in {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=1000, help="Owners, each with one simulated plug.")
    parser.add_argument(
        "--pages", type=int, default=0, help="Open streams (default: one per owner); more: tabs per owner."
    )
    parser.add_argument("--interval", type=float, default=5.0, help="Seconds between a plug's reports.")
    parser.add_argument("--seconds", type=float, default=30.0, help="Measured time with every stream open.")
    args = parser.parse_args()

    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.owners + 1024)), hard))
    work = Path(tempfile.mkdtemp(prefix="millet-bench-live-"))
    env = {**postgres_env(DB_NAME, work), "REDIS_URL": REDIS_URL}
    env["MILLET_MQTT_PORT"] = str(free_port())  # a private broker: never the quick start's 1884
    fresh_postgres(DB_NAME, env)
    manifest = work / "owners.csv"
    django_script(
        SETUP.replace("sys.argv[1]", str(args.owners)).replace("sys.argv[2]", repr(str(manifest))), env
    )
    with open(manifest, newline="") as fh:
        owners = list(csv.DictReader(fh))

    port = free_port()
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [
            gunicorn,
            "millet.asgi:application",
            "-k",
            "asgi",
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "--worker-connections",
            str(max(args.owners, args.pages) + 200),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    cloud = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "millet.cli",
            "devicecloud",
            "--manifest",
            str(manifest),
            "--devices",
            str(args.owners),
            "--interval",
            str(args.interval),
            "--log",
            str(work / "cloud.log"),
        ],
        env=env,
        cwd=ROOT,
    )
    bare: list[tuple[float, float]] = []
    stop = threading.Event()
    subscriber = threading.Thread(target=bare_subscriber, args=(bare, stop), daemon=True)
    try:
        wait_for_binding(env["DATABASE_URL"], args.owners, timeout=60 + args.owners)
        subscriber.start()
        pages = [owners[i % len(owners)] for i in range(args.pages or len(owners))]  # owners' tabs
        latencies, open_streams, started, connections = asyncio.run(
            measure(port, pages, args.seconds, env["DATABASE_URL"])
        )
    finally:
        stop.set()
        cloud.terminate()
        server.terminate()
        cloud.wait(timeout=30)
        server.wait(timeout=30)
    ceiling = [latency for at, latency in bare if at >= started]
    p99, p50 = percentile(latencies, 0.99), percentile(latencies, 0.50)
    ceiling_p99 = percentile(ceiling, 0.99)
    print(
        f"streams open: {open_streams}/{len(pages)}; events read: {len(latencies)}; "
        f"page p50 {p50} ms p99 {p99} ms; bare Redis subscriber p99 {ceiling_p99} ms; "
        f"{connections} PostgreSQL connections with every stream open",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "bench": "live",
                "value": p99,
                "unit": "ms p99 device publish -> page event",
                "ceiling": ceiling_p99,
                "ratio": round(p99 / ceiling_p99, 2) if p99 and ceiling_p99 else None,
                "goal": GOAL_MS,
                "goal_met": bool(p99 is not None and p99 < GOAL_MS and open_streams >= len(pages)),
                "p50_ms": p50,
                "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
                "events": len(latencies),
                "streams_open": open_streams,
                "db_connections": connections,
                "owners": args.owners,
                "pages": len(pages),
                "interval_s": args.interval,
                "server": "gunicorn -k asgi, 1 worker (millet.asgi)",
            }
        )
    )


if __name__ == "__main__":
    main()
