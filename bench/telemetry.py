"""Telemetry messages stored per second: simulated devices -> private Mosquitto -> ingestion -> PostgreSQL.

One run measures three rates over the same messages, each as a drain of a backlog:

1. simulated devices (paho, QoS 1) publish N messages while two persistent sessions are subscribed
   but offline, so Mosquitto queues every message for both (the broker PUBACKed each one);
2. ceiling A: a do-nothing paho subscriber drains its queue (Mosquitto passing the messages on);
3. ceiling B: PostgreSQL's own bulk insert of the same rows (COPY into a table with the same key);
4. the value: ``millet ingest`` (``--workers`` processes, 2 by default, one per core, sharing the
   stream through a Mosquitto shared subscription, as in production: validation against the model
   spec, batch insert with de-duplication, shadow updates off the write path, acks after commit)
   drains its queue.

Ceiling A is one do-nothing paho subscriber, the rate at which one Python process can take what
Mosquitto passes on; the ingestion workers together are measured against it. Goal (issue 14): at
least 0.70 of the lower ceiling, with 0 lost.

``lost`` counts messages the broker acknowledged to a device that are not in the table. A second
part connects many quiet devices at once and reports how many held a connection and the memory per
connection (Mosquitto's RSS and the simulator's, per connection).

    python bench/telemetry.py [--devices 200] [--messages 250] [--connections 5000] [--workers 2]

The last line is JSON: {"bench", "value" (messages stored/s), "unit", "ceiling" (lower of the two),
"ratio", "goal", "lost", ...}.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from support import cpu

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = "millet_bench_telemetry"
GOAL = 0.7
DB_URL = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + DB_NAME

sys.path.insert(0, str(ROOT))
os.environ.update(
    {
        "DATABASE_URL": DB_URL,
        "DJANGO_SETTINGS_MODULE": "millet.settings",
        "MILLET_DATA_DIR": tempfile.mkdtemp(prefix="millet-bench-telemetry-"),
        # Provisioning syncs nothing here: the devices are loaded into Mosquitto's dynsec file offline.
        "MILLET_MQTT_MODE": "embedded",
    }
)
os.environ.pop("REDIS_URL", None)


def fresh_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def provision(n: int, batch: str):
    from millet.accounts.actor import SYSTEM
    from millet.catalog import services as catalog
    from millet.demo.data import DEVICE_MODELS
    from millet.devices.services import provision_batch

    urn, title, services = DEVICE_MODELS["plug"]
    try:
        catalog.get_device_model(urn)
    except Exception:  # noqa: BLE001 - first call: the model does not exist yet
        catalog.create_device_model(urn, title, {"services": services}, actor=SYSTEM)
    serials = [f"{batch}{i:07d}" for i in range(n)]
    issued = []
    for start in range(0, n, 2000):
        issued += provision_batch(
            model_urn=urn, serials=serials[start : start + 2000], batch=batch, actor=SYSTEM
        )
    return issued


def duplicates_counted() -> int:
    """Messages the ingestion workers received again after another stored them (the key refused them)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(count), 0) FROM telemetry_ingestcounter WHERE reason = %s", ["duplicate"]
        )
        return int(cursor.fetchone()[0])


def backends() -> list[int]:
    """The PostgreSQL server processes serving this bench's database (the workers' and the count's)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return [pid for (pid,) in cursor.fetchall()]


def table_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM telemetry_message")
        return cursor.fetchone()[0]


class NullSubscriber:
    """A persistent QoS 1 session that does nothing with what it gets (paho acks after the callback)."""

    def __init__(self, host: str, port: int, password: str) -> None:
        import paho.mqtt.client as mqtt

        from millet.devices.mqtt import topics
        from millet.devices.mqtt.config import INGEST_USER

        self.host, self.port = host, port
        self.received = 0
        self.first: float | None = None
        self.last = 0.0
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id="bench-null",
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        self.client.username_pw_set(INGEST_USER, password)
        self.subscribed = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(
            [(t, 1) for t in topics.INGEST_FILTERS[:1]]
        )
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_message = self._on_message

    def _on_message(self, client, userdata, message) -> None:
        now = time.perf_counter()
        if self.first is None:
            self.first = now
        self.received += 1
        self.last = now

    def start(self) -> None:
        self.client.connect(self.host, self.port, keepalive=60)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def run_simulator(sim, until, timeout: float = 600.0) -> float:
    stop = threading.Event()
    thread = threading.Thread(target=sim.run, args=(stop,), daemon=True)
    started = time.perf_counter()
    thread.start()
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    stop.set()
    thread.join(60)
    return elapsed


def copy_ceiling(sim) -> float:
    """PostgreSQL's bulk-insert rate for the same rows: COPY into a table with the same key and index."""
    import psycopg

    now = datetime.now(UTC)
    buf = io.StringIO()
    for device in sim.devices:
        for seq in range(1, device.seq + 1):
            body = json.dumps({"on": True, "power": 12.5})
            buf.write(f"{device.creds.device_id}\tt\t{seq}\t{now.isoformat()}\t{now.isoformat()}\t{body}\n")
    data = buf.getvalue()
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy")
        conn.execute(
            "CREATE TABLE bench_copy (device_id varchar(64) NOT NULL, kind char(1) NOT NULL,"
            " seq bigint NOT NULL, ts timestamptz NOT NULL, received_at timestamptz NOT NULL,"
            " body jsonb NOT NULL,"
            " PRIMARY KEY (device_id, kind, seq, ts))"
        )
        conn.execute("CREATE INDEX bench_copy_device_ts ON bench_copy (device_id, ts)")
        started = time.perf_counter()
        with conn.transaction(), conn.cursor().copy("COPY bench_copy FROM STDIN") as copy:
            copy.write(data)
        elapsed = time.perf_counter() - started
        rows = conn.execute("SELECT count(*) FROM bench_copy").fetchone()[0]
        conn.execute("DROP TABLE bench_copy")
    return rows / elapsed


def rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--messages", type=int, default=250, help="Messages per device.")
    parser.add_argument("--connections", type=int, default=5000, help="Devices connected at once (part 2).")
    parser.add_argument("--workers", type=int, default=2, help="Ingestion processes sharing the stream.")
    parser.add_argument("--ingest-args", default="", help="Extra millet ingest options: --batch-size 2000")
    args = parser.parse_args()

    print(f"fresh database {DB_NAME}", flush=True)
    fresh_database()
    import django

    django.setup()
    from django.core.management import call_command

    from millet.devices.mqtt.config import ADMIN_USER, INGEST_USER, service_credentials
    from millet.devices.mqtt.ingest import IngestWorker
    from millet.devices.mqtt.mosquitto import PrivateMosquitto, preload_devices
    from millet.devices.mqtt.simulator import Credentials, Simulator

    call_command("migrate", verbosity=0)
    creds = service_credentials()
    total = args.devices * args.messages
    print(f"provisioning {args.devices} plugs + {args.connections} quiet devices", flush=True)
    issued = provision(args.devices, "BENCHA")
    crowd = provision(args.connections, "BENCHB") if args.connections else []
    broker = PrivateMosquitto(
        Path(os.environ["MILLET_DATA_DIR"]) / "mosquitto", admin_password=creds[ADMIN_USER]
    )
    preload_devices(broker.directory, [(p.device_id, p.secret) for p in issued + crowd])
    broker.start()
    ingests: list[subprocess.Popen] = []
    try:
        admin = broker.admin()
        admin.ensure_service(creds[INGEST_USER])
        admin.close()
        # Both persistent sessions subscribe once, then go away: Mosquitto queues everything for them.
        null = NullSubscriber(broker.host, broker.port, creds[INGEST_USER])
        null.start()
        null.subscribed.wait(10)
        null.stop()
        for instance in range(args.workers):
            shared = {"client_id": f"{INGEST_USER}-{instance + 1}", "share_group": INGEST_USER}
            worker = IngestWorker(broker.host, broker.port, **(shared if args.workers > 1 else {}))
            stop = threading.Event()
            t = threading.Thread(target=worker.run, args=(stop,), daemon=True)
            t.start()
            worker.connected.wait(10)
            time.sleep(0.5)
            stop.set()
            t.join(30)

        sim = Simulator(
            [Credentials(p.device_id, p.secret) for p in issued],
            broker.host,
            broker.port,
            interval=0.0,
            messages_per_device=args.messages,
        )
        print(f"publishing {total} QoS 1 messages from {args.devices} devices", flush=True)
        took = run_simulator(sim, sim.done)
        acked = sim.acked
        print(f"  devices got PUBACK for {acked} messages in {took:.1f}s ({acked / took:.0f}/s)", flush=True)

        null = NullSubscriber(broker.host, broker.port, creds[INGEST_USER])
        null.start()
        deadline = time.monotonic() + 300
        while null.received < acked and time.monotonic() < deadline:
            time.sleep(0.02)
        null.stop()
        broker_rate = (null.received - 1) / (null.last - null.first)
        print(
            f"ceiling A: Mosquitto -> do-nothing subscriber {broker_rate:.0f} msg/s ({null.received})",
            flush=True,
        )

        pg_rate = copy_ceiling(sim)
        print(f"ceiling B: PostgreSQL COPY of the same rows {pg_rate:.0f} rows/s", flush=True)

        env = {**os.environ, "MILLET_MQTT_MODE": "mosquitto", "MILLET_MQTT_PORT": str(broker.port)}
        profile = (
            ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get("BENCH_PROFILE") else []
        )
        instances = [str(i + 1) for i in range(args.workers)] if args.workers > 1 else ["0"]
        ingests = [
            subprocess.Popen(
                [
                    sys.executable,
                    *profile,
                    "-m",
                    "millet.cli",
                    "ingest",
                    "--quiet",
                    "--instance",
                    instance,
                    *args.ingest_args.split(),
                ],
                env=env,
                cwd=ROOT,
            )
            for instance in instances
        ]
        first_at, first_count, count = None, 0, 0
        deadline = time.monotonic() + 600

        def ours() -> list[int]:
            workers = [pid for p in ingests for pid in cpu.descendants(p.pid)]
            return [*workers, broker.process.pid, *backends()]

        while count < acked and time.monotonic() < deadline and all(p.poll() is None for p in ingests):
            count = table_count()
            if count and first_at is None:
                first_at, first_count, cpu_before = time.perf_counter(), count, cpu.sample(ours())
            time.sleep(0.05)
        done_at = time.perf_counter()
        # The cores left to the workers while they drained (bench/capacity.py compares like with like).
        cores = cpu.share(cpu_before, cpu.sample(ours())) if first_at else {}
        value = (count - first_count) / (done_at - first_at) if first_at and count > first_count else 0.0
        time.sleep(1.0)  # anything still arriving would be a duplicate: the key refuses it
        stored = table_count()
        lost = acked - stored
        duplicates = duplicates_counted()
        print(f"ingestion: {stored} stored, {value:.0f} msg/s, lost {lost}, duplicates {duplicates}")
        for process in ingests:
            process.terminate()
            process.wait(30)
        ingests = []

        held, broker_kb, sim_kb = 0, 0.0, 0.0
        if crowd:
            print(f"connecting {len(crowd)} quiet devices at once", flush=True)
            broker.restart()  # a fresh process: its memory growth is the connections'
            time.sleep(0.5)
            base_broker, base_self = rss_mb(broker.process.pid), rss_mb(os.getpid())
            quiet = Simulator(
                [Credentials(p.device_id, p.secret) for p in crowd],
                broker.host,
                broker.port,
                interval=3600,
                backoff_cap=5.0,
            )
            stop = threading.Event()
            t = threading.Thread(target=quiet.run, args=(stop,), daemon=True)
            t.start()
            deadline = time.monotonic() + 120
            while quiet.connected < len(crowd) and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1.0)
            held = quiet.connected
            broker_kb = (rss_mb(broker.process.pid) - base_broker) * 1024 / max(held, 1)
            sim_kb = (rss_mb(os.getpid()) - base_self) * 1024 / max(held, 1)
            stop.set()
            t.join(60)
            print(
                f"  {held} devices held a connection at once; Mosquitto {broker_kb:.1f} KiB and the "
                f"simulator {sim_kb:.1f} KiB per connection",
                flush=True,
            )
    finally:
        for process in ingests:
            process.terminate()
        broker.stop()

    ceiling = min(broker_rate, pg_rate)
    print(
        json.dumps(
            {
                "bench": "telemetry",
                "value": round(value),
                "unit": "messages stored/s",
                "ceiling": round(ceiling),
                "ratio": round(value / ceiling, 3) if ceiling else 0,
                "goal": GOAL,
                "lost": lost,
                "messages": acked,
                "duplicates": duplicates,
                "workers": args.workers,
                "ceiling_mosquitto": round(broker_rate),
                "ceiling_postgres_copy": round(pg_rate),
                "connections_held": held,
                "mosquitto_kib_per_connection": round(broker_kb, 1),
                "simulator_kib_per_connection": round(sim_kb, 1),
                "cores": cores,
            }
        )
    )


if __name__ == "__main__":
    main()
