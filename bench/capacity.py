"""How many nodes of each kind Millet needs for 1 to 500 million devices and 10,000 to 500,000 orders
a second, from figures this repository's benches measure, checked against a 3-node simulation.

1. Measure: runs the benches that give the per-node figures (short versions with ``--quick``) and
   keeps each one's last JSON line in ``bench/results/<bench>.json``; ``--reuse`` reads those files
   instead of running again. Nothing in the model is typed in but the assumptions, which are printed:
   - bench/telemetry.py: ingest messages/s per worker, the broker's pass-through messages/s, its KiB
     per held connection, PostgreSQL's COPY rows/s;
   - bench/checkout.py (``--no-peer``): orders/s of one node (2 sync workers);
   - bench/flashsale.py: gate decisions/s of one node through HTTP, the gate script on one Redis;
   - bench/ledger.py: ledger transactions/s of one PostgreSQL primary (one transfer each);
   - bench/storefront.py: the product page's server time.
2. Model (``bench/support/capacity_model.py``): nodes of each kind per step, the part that saturates
   first, and the distribution key (market, then device id or order number, with Citus for
   PostgreSQL beyond one primary per market).
3. Simulate 3 nodes in network namespaces (``bench/support/netns.py``): ``data`` runs the broker
   (a private Mosquitto; ``--broker`` is the hook for the RabbitMQ cluster mode of issue 15) and the
   PostgreSQL primary; ``app1`` and ``app2`` each run a web server (1 sync worker) and an ingestion
   worker, and ``app1`` the streaming replica (``pg_basebackup -R``) that the web servers' read-only
   work reads; a fourth namespace, ``client``, runs wrk and the device simulator. Three phases:
   a telemetry backlog drained by the two workers, checkout on both web hosts, and both at once.
   The namespaces share this machine's cores, so the model's prediction for the simulation is one
   node's worth of CPU, less what the machine's other sessions take (each phase measures the cores
   left to it, ``support/cpu.py``), less the overheads of going across hosts, which the run measures
   too: the extra time of a round trip across the bridge, the statements per order and per message
   (``pg_stat_statements`` on the primary) and replication's share of the CPU
   (``capacity_model.shared_cpu_prediction``, ``Overheads``); the measured run stands beside it.
   Its figures are kept in ``bench/results/simulation.json``, which ``--reuse-sim`` reads instead of
   simulating (``--reuse`` reuses the benches' figures and simulates again).

    python bench/capacity.py [--quick] [--reuse [--remeasure telemetry]] [--no-sim] [--reuse-sim]
        [--messages-per-minute 1]
        [--connections-per-broker 1000000] [--headroom 0.5] [--delay-ms 0]

The last line is JSON: {"bench": "capacity", "value" (the simulation's combined share of the
prediction), "unit", "ceiling" (1.0, the prediction), "ratio", "goal", "figures", "plans", ...}.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import checkout
from rich.console import Console
from rich.table import Table
from support import cpu
from support.capacity_model import (
    Assumptions,
    Figures,
    Overheads,
    across_network,
    broker_memory_gib,
    checkout_factor,
    combined_share,
    device_plan,
    ingest_factor,
    order_plan,
    saturation_order,
    shared_cpu_prediction,
    whole_node,
)
from support.harness import wrk
from support.netns import Host, hosts, pids, stop

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEVICES = (1_000_000, 50_000_000, 100_000_000, 500_000_000)
ORDERS = (10_000, 100_000, 500_000)
GOAL = 0.8  # the simulation should reach at least 0.8 of the model's prediction
console = Console()

# Each bench's arguments: (quick, full). checkout leaves its Oscar peer out: only Millet's rate counts.
# A quick run still needs a backlog the workers take seconds to drain, and a checkout window past the
# workers' warm-up: 4,000 messages and 5 s measured 2,246 messages/s and 22 orders/s, where 50,000
# and 15 s measured 17,576 and 126 on the same machine.
BENCHES = {
    "telemetry": (["--devices", "100", "--messages", "500", "--connections", "2000"], []),
    "checkout": (["--no-peer", "--seconds", "15", "--rounds", "1"], ["--no-peer"]),
    "ledger": (["--clients", "4", "--seconds", "4", "--pgbench-seconds", "4", "--history", "20000"], []),
    "storefront": (["--requests", "40", "--rounds", "1"], []),
    "flashsale": (
        ["--units", "1000", "--customers", "2000", "--attempts", "2000", "--seconds", "3", "--pay", "50"],
        [],
    ),
}

# Published figures to set beside the model (docs/SCALE.md gives the sources).
EMQX = {"connections": 100_000_000, "nodes": 23, "messages_per_s": 1_000_000}
ALIBABA_ORDERS_PER_S = 583_000


def run_bench(name: str, quick: bool) -> dict:
    """Run ``bench/<name>.py`` with its quick or full arguments; keep and return its last JSON line."""
    argv = [sys.executable, str(ROOT / "bench" / f"{name}.py"), *BENCHES[name][0 if quick else 1]]
    console.print(f"[bold]measure[/] {' '.join(argv[1:])}")
    started = time.monotonic()
    done = subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    if done.returncode:
        sys.exit(f"bench/{name}.py failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    record = keep(name, " ".join(["python", *argv[1:]]).replace(str(ROOT) + "/", ""), started, result)
    console.print(f"  {name}: {result['value']} {result['unit']} ({record['seconds']} s)")
    return record


def keep(name: str, command: str, started: float, result: dict) -> dict:
    """Write ``bench/results/<name>.json``: when, how, how long, and the result."""
    record = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "seconds": round(time.monotonic() - started, 1),
        "result": result,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
    return record


def measured(quick: bool, reuse: bool, remeasure: list[str]) -> dict[str, dict]:
    records = {}
    for name in BENCHES:
        path = RESULTS / f"{name}.json"
        if reuse and name not in remeasure:
            if not path.exists():
                sys.exit(f"--reuse: {path} is missing; run without --reuse first")
            records[name] = json.loads(path.read_text())
        else:
            records[name] = run_bench(name, quick)
    return records


def figures_from(records: dict[str, dict]) -> Figures:
    r = {name: record["result"] for name, record in records.items()}
    telemetry = r["telemetry"]
    return Figures(
        cores=os.cpu_count() or 1,
        ingest_msgs_per_s_per_worker=telemetry["value"] / telemetry["workers"],
        ingest_workers=telemetry["workers"],
        broker_msgs_per_s=telemetry["ceiling_mosquitto"],
        broker_kib_per_connection=max(telemetry["mosquitto_kib_per_connection"], 0.1),
        telemetry_rows_per_s_per_primary=telemetry["ceiling_postgres_copy"],
        checkout_orders_per_s_per_node=r["checkout"]["value"],
        gate_decisions_per_s_per_node=r["flashsale"]["value"],
        redis_gate_per_s_per_master=r["flashsale"]["core_redis_fsync_always_per_s"],
        ledger_tps_per_primary=r["ledger"]["single_tps"],
        page_ms=r["storefront"]["pages"]["product"]["p50_ms"],
        ingest_cores_available=telemetry.get("cores", {}).get("available_cores"),
        checkout_cores_available=(r["checkout"].get("cores") or {}).get("available_cores"),
    )


def overheads_from(sim: dict | None) -> Overheads:
    """The structural overheads the simulation measured (none from a run that predates them)."""
    if not sim or "phases" not in sim:
        return Overheads()
    a, b = sim["phases"]["A"], sim["phases"]["B"]

    def replication(phase: dict) -> float:
        return (phase["cpu_s"].get("replica", 0.0) + phase["cpu_s"].get("walsender", 0.0)) / sum(
            phase["cpu_s"].values()
        )

    return Overheads(
        extra_round_trip_us=sim["round_trip"]["network_us"] - sim["round_trip"]["loopback_us"],
        statements_per_order=b["per_order"],
        statements_per_message=a["per_message"],
        replication_share_checkout=replication(b),
        replication_share_telemetry=replication(a),
    )


# --- the 3-node simulation ------------------------------------------------------------------------

SEED = (
    checkout.SETUP
    + """
import csv
from millet.catalog import services as catalog
from millet.core.private_files import open_private
from millet.demo.data import DEVICE_MODELS
from millet.devices.mqtt.config import ADMIN_USER, INGEST_USER, service_credentials
from millet.devices.mqtt.mosquitto import preload_devices, write_setup
from millet.devices.services import provision_batch
from pathlib import Path

urn, title, services = DEVICE_MODELS["plug"]
catalog.create_device_model(urn, title, {"services": services}, actor=SYSTEM)
issued = provision_batch(model_urn=urn, serials=[f"CAP{i:07d}" for i in range(%(devices)d)], batch="CAP",
                         actor=SYSTEM)
with open_private(Path(%(manifest)r), newline="") as fh:
    out = csv.writer(fh)
    out.writerow(["device_id", "serial", "model_urn", "secret"])
    out.writerows([p.device_id, p.serial, p.model_urn, p.secret] for p in issued)
creds = service_credentials()
broker = Path(%(broker_dir)r)
conf = write_setup(broker, port=%(port)d, admin_password=creds[ADMIN_USER], bind=%(bind)r)
preload_devices(broker, [(p.device_id, p.secret) for p in issued])
print(json.dumps({"tokens": tokens, "skus": skus, "conf": str(conf), "admin": creds[ADMIN_USER],
                  "ingest": creds[INGEST_USER]}))
"""
)

WAIT_PORT = """
import socket, sys, time
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(f"nothing listens on {sys.argv[1]}:{sys.argv[2]}")
"""

# A web server is ready when its workers answer, not when gunicorn's master has bound the port.
WAIT_HEALTH = """
import sys, time, urllib.request
deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    try:
        urllib.request.urlopen(sys.argv[1], timeout=5)
        sys.exit(0)
    except OSError:
        time.sleep(0.5)
sys.exit(f"{sys.argv[1]} did not answer in 300 s")
"""

ENSURE_INGEST = """
import sys
import django
django.setup()
from millet.devices.mqtt.mosquitto import DynsecAdmin
admin = DynsecAdmin(sys.argv[1], int(sys.argv[2]), sys.argv[3])
admin.ensure_service(sys.argv[4])
admin.close()
"""


# One database round trip, timed: ``SELECT 1`` on a held connection, the median of argv[2] of them in us.
ROUND_TRIP = """
import statistics, sys, time, psycopg
conn = psycopg.connect(host=sys.argv[1], port=5432, user="monitor", dbname="millet", autocommit=True)
for _ in range(200):
    conn.execute("SELECT 1")
times = []
for _ in range(int(sys.argv[2])):
    started = time.perf_counter()
    conn.execute("SELECT 1")
    times.append(time.perf_counter() - started)
print(statistics.median(times) * 1e6)
"""


def role(host: str, cmdline: str) -> str:
    """What a process in the simulation is, from the host it runs on and its command line."""
    if "postgres" in cmdline:
        if host != "data":
            return "replica"
        return "walsender" if "walsender" in cmdline else "primary"
    for word, name in (("mosquitto", "broker"), ("gunicorn", "web"), (" ingest ", "ingest")):
        if word in cmdline:
            return name
    return "other"  # ip netns exec, runuser, pg_ctl


def pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        sys.exit(f"PostgreSQL's {name} is missing (scripts/services.sh installs postgresql)")
    return str(found[-1])


def as_postgres(host: Host, *argv: str) -> str:
    """PostgreSQL refuses to run as root: its private servers run as the postgres account."""
    return host.run("runuser", "-u", "postgres", "--", *argv)


class Simulation:
    """The 3 hosts and their services; :meth:`run` measures the three phases."""

    def __init__(self, net, work: Path, args) -> None:
        self.net, self.work, self.args = net, work, args
        self.data, self.app1, self.app2, self.client = (net[n] for n in ("data", "app1", "app2", "client"))
        self.pg = work / "pg"
        self._monitor, self._monitor_pid = None, None
        self.processes: list = []
        self.started_pg: list[tuple[Host, Path]] = []

    # services
    def pg_ctl(self, host: Host, data: Path, socket_dir: Path, action: str, extra: str = "") -> None:
        options = f"-c listen_addresses={host.address} -c unix_socket_directories={socket_dir} -c port=5432"
        log = str(self.pg / f"{data.name}.log")
        as_postgres(
            host, pg_bin("pg_ctl"), "-D", str(data), "-w", "-l", log, "-o", f"{options} {extra}", action
        )

    def start_primary(self) -> None:
        """The primary, with fsync off while the schema and the seed are loaded (migrating a fresh
        database commits hundreds of times; nothing here needs to survive a crash yet)."""
        self.pg.mkdir()
        (self.pg / "replica-socket").mkdir()
        shutil.chown(self.pg, "postgres")
        shutil.chown(self.pg / "replica-socket", "postgres")
        subnet = self.data.address.rsplit(".", 1)[0] + ".0/24"
        primary = self.pg / "primary"
        as_postgres(self.data, pg_bin("initdb"), "-D", str(primary), "--auth=trust", "-U", "postgres")
        with open(primary / "pg_hba.conf", "a") as hba:
            hba.write(f"host all all {subnet} trust\nhost replication all {subnet} trust\n")
        # Every statement the hosts send is counted: round trips per order and per stored message.
        with open(primary / "postgresql.conf", "a") as conf:
            conf.write("shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.max = 10000\n")
        self.pg_ctl(self.data, primary, self.pg, "start", "-c fsync=off -c synchronous_commit=off")
        self.started_pg.append((self.data, primary))
        as_postgres(self.data, pg_bin("createdb"), "-h", self.data.address, "-U", "postgres", "millet")
        # The simulation's own polling runs as ``monitor``, so its statements are not the hosts'.
        setup = "CREATE EXTENSION pg_stat_statements; CREATE ROLE monitor SUPERUSER LOGIN"
        as_postgres(self.data, pg_bin("psql"), "-h", self.data.address, "-U", "postgres", "-d", "millet",
                    "-c", setup)  # fmt: skip

    def start_replica(self) -> None:
        """The primary restarted durable (fsync on, as the machine's own PostgreSQL runs), then the
        streaming replica on app1, copied from it over the simulated network."""
        primary, replica = self.pg / "primary", self.pg / "replica"
        self.pg_ctl(self.data, primary, self.pg, "restart")
        as_postgres(self.app1, pg_bin("pg_basebackup"), "-h", self.data.address, "-U", "postgres",
                    "-D", str(replica), "-R", "-X", "stream")  # fmt: skip
        self.pg_ctl(self.app1, replica, self.pg / "replica-socket", "start")
        self.started_pg.append((self.app1, replica))

    def stop_postgres(self) -> None:
        for host, data in reversed(self.started_pg):
            subprocess.run(
                host.command(
                    "runuser", "-u", "postgres", "--", pg_bin("pg_ctl"), "-D", str(data), "-m", "fast", "stop"
                ),
                capture_output=True,
            )

    def env(self, **extra: str) -> dict:
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@{self.data.address}:5432/millet",
            "DJANGO_SETTINGS_MODULE": "millet.settings",
            "MILLET_DB_CONN_MAX_AGE": "600",
            "MILLET_DATA_DIR": str(self.work / "data"),
            "MILLET_MQTT_MODE": "mosquitto",
            "MILLET_MQTT_HOST": self.data.address,
            "MILLET_MQTT_PORT": "1883",
            "MILLET_ALLOWED_HOSTS": ",".join(h.address for h in self.net.hosts.values()),
            "PYTHONPATH": str(ROOT),
            **extra,
        }
        env.pop("REDIS_URL", None)
        return env

    def monitor(self):
        """The simulation's one held connection to the primary, through its Unix socket (this process
        is outside the namespaces), as the ``monitor`` role. Polling on a new connection each time
        forked a backend 20 times a second on the cores the hosts share; the benches hold one too."""
        if self._monitor is None:
            import psycopg

            self._monitor = psycopg.connect(
                host=str(self.pg), port=5432, user="monitor", dbname="millet", autocommit=True
            )
            self._monitor_pid = self._monitor.execute("SELECT pg_backend_pid()").fetchone()[0]
        return self._monitor

    def count(self, table: str) -> int:
        return self.monitor().execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def statements(self) -> dict[str, int]:
        """Statements the hosts have sent the primary so far (each one a round trip), and how many of
        them were telemetry batches (one COPY each)."""
        total, batches = (
            self.monitor()
            .execute(
                "SELECT coalesce(sum(calls), 0), coalesce(sum(calls) FILTER (WHERE query LIKE %s), 0)"
                " FROM pg_stat_statements WHERE userid <> 'monitor'::regrole",
                ["COPY telemetry_inbox%"],
            )
            .fetchone()
        )
        return {"statements": int(total), "batches": int(batches)}

    def round_trip_us(self, rounds: int = 3, count: int = 2000) -> dict[str, float]:
        """``SELECT 1`` on a held connection to the primary: from app1, across veth and the bridge,
        and from the data host itself (the kernel routes its own address through loopback, as the
        benches' 127.0.0.1). Alternated ``rounds`` times; the median of each side's medians."""
        sides = {"network_us": self.app1, "loopback_us": self.data}
        got: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(rounds):
            for side, host in sides.items():
                out = host.run(sys.executable, "-c", ROUND_TRIP, self.data.address, str(count))
                got[side].append(float(out))
        return {side: round(statistics.median(values), 1) for side, values in got.items()}

    def snapshot(self) -> dict:
        """CPU seconds used so far by each process of the hosts (and its role), by this process (the
        monitor's polling) and its reaped children (wrk, the simulator), and by the whole machine;
        statements and batches sent to the primary so far."""
        roles = {}
        for host in self.net.hosts.values():
            for pid in pids(host.namespace):
                if (got := cpu.process(pid)) is not None:
                    roles[pid] = "monitor" if pid == self._monitor_pid else role(host.name, got[0])
        return {"cpu": cpu.sample(roles), "roles": roles, **self.statements()}

    @staticmethod
    def usage(before: dict, after: dict) -> dict:
        """Between two snapshots: CPU seconds by role, cores (``cpu.share``: the simulation's own, the
        machine's, everyone else's, those left to it), statements and batches. A process that ended
        between them is missing (its time is lost) unless it was this process's child."""
        start, end = before["cpu"], after["cpu"]
        seconds: dict[str, float] = defaultdict(float)
        for pid, used in end.processes.items():
            seconds[after["roles"][pid]] += used - start.processes.get(pid, 0.0)
        seconds["client"] += end.children_s - start.children_s
        seconds["monitor"] += end.self_s - start.self_s
        return {
            "elapsed_s": round(end.at - start.at, 2),
            "cpu_s": {kind: round(value, 2) for kind, value in sorted(seconds.items())},
            **cpu.share(start, end),
            "statements": after["statements"] - before["statements"],
            "batches": after["batches"] - before["batches"],
        }

    def wait_port(self, host: Host, port: int) -> None:
        self.client.run(sys.executable, "-c", WAIT_PORT, host.address, str(port))

    def setup(self) -> None:
        self.start_primary()
        env = self.env(MILLET_MQTT_MODE="embedded")  # provisioning syncs nothing: the file is preloaded
        self.data.run(sys.executable, "-m", "millet.cli", "migrate", "-v0", env=env)
        seed = SEED % {
            "devices": self.args.devices,
            "manifest": str(self.work / "manifest.csv"),
            "broker_dir": str(self.work / "mosquitto"),
            "port": 1883,
            "bind": self.data.address,
        }
        out = self.data.run(sys.executable, "-c", "import django; django.setup()\n" + seed, env=env)
        self.seed = json.loads(out.strip().splitlines()[-1])
        self.start_replica()
        broker = self.args.broker
        if broker != "mosquitto":  # the hook: a RabbitMQ cluster (MILLET_MQTT_MODE=rabbitmq, issue 15)
            sys.exit(f"--broker {broker}: only mosquitto is built so far")
        self.processes.append(
            self.data.start(shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", self.seed["conf"])
        )
        self.wait_port(self.data, 1883)
        self.data.run(
            sys.executable,
            "-c",
            ENSURE_INGEST,
            self.data.address,
            "1883",
            self.seed["admin"],
            self.seed["ingest"],
            env=self.env(),
        )
        self.lua = self.work / "checkout.lua"
        self.lua.write_text(
            checkout.LUA
            % {
                "tokens": ",".join(f'"{t}"' for t in self.seed["tokens"]),
                "skus": ",".join(f'"{s}"' for s in self.seed["skus"]),
            }
        )

    def ingest(self) -> list:
        """``--ingest-workers`` ingestion workers on each app host, all sharing the stream (persistent
        shared sessions)."""
        log = open(self.work / "ingest.log", "a")
        per_host = self.args.ingest_workers
        return [
            host.start(
                sys.executable,
                "-m",
                "millet.cli",
                "ingest",
                "--quiet",
                "--instance",
                str(h * per_host + n + 1),
                env=self.env(),
                log=log,
                cwd=ROOT,
            )
            for h, host in enumerate((self.app1, self.app2))
            for n in range(per_host)
        ]

    def wait_ingest(self, workers: list) -> None:
        """Until every worker holds a connection to the broker (starting Django takes a while here)."""
        apps = {self.app1.address, self.app2.address}
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if any(w.poll() is not None for w in workers):
                sys.exit(f"an ingestion worker stopped; see {self.work / 'ingest.log'}")
            lines = self.data.run("ss", "-Htn", "state", "established", "( sport = :1883 )")
            peers = [line.split()[-1].rsplit(":", 1)[0] for line in lines.splitlines()]
            if sum(peer in apps for peer in peers) >= len(workers):
                time.sleep(2)  # connected; the subscription follows on the connection's answer
                return
            time.sleep(0.5)
        sys.exit("the ingestion workers did not connect to the broker in 300 s")

    def web(self) -> list:
        replica = f"postgres://postgres@{self.app1.address}:5432/millet"
        gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn"
        log = open(self.work / "web.log", "a")
        servers = [
            host.start(
                gunicorn,
                "millet.wsgi:application",
                "-b",
                f"{host.address}:8000",
                "--workers",
                str(self.args.web_workers),
                "--worker-class",
                "sync",
                "--log-level",
                "warning",
                env=self.env(DATABASE_REPLICA_URLS=replica),
                log=log,
                cwd=ROOT,
            )
            for host in (self.app1, self.app2)
        ]
        for host in (self.app1, self.app2):
            self.client.run(sys.executable, "-c", WAIT_HEALTH, f"http://{host.address}:8000/api/health")
        return servers

    def publish(self, messages_per_device: int) -> int:
        """A backlog: every device publishes its messages (QoS 1) while the workers are away."""
        before = self.count("telemetry_message")
        self.client.run(
            sys.executable,
            "-m",
            "millet.cli",
            "simulate",
            "--manifest",
            str(self.work / "manifest.csv"),
            "--interval",
            "0",
            "--messages",
            str(messages_per_device),
            env=self.env(),
        )
        return before + self.args.devices * messages_per_device

    def checkout_load(self, seconds: int) -> list[dict]:
        """wrk from the client host against both web hosts at once."""
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            runs = [
                pool.submit(
                    wrk,
                    f"http://{host.address}:8000/api/sales/orders",
                    seconds=seconds,
                    connections=4,
                    script=str(self.lua),
                    prefix=tuple(self.client.command()),
                )
                for host in (self.app1, self.app2)
            ]
            return [r.result() for r in runs]

    def run(self) -> dict:
        t = self.args.seconds
        self.setup()
        round_trip = self.round_trip_us()
        console.print(
            f"  SELECT 1 round trip: {round_trip['network_us']} us from app1 across the bridge, "
            f"{round_trip['loopback_us']} us on the data host (loopback)"
        )
        # The workers' persistent sessions subscribe once, then go: the broker queues for them.
        workers = self.ingest()
        self.wait_ingest(workers)
        for w in workers:
            stop(w)
        target = self.publish(self.args.messages)
        console.print(f"  backlog of {self.args.devices * self.args.messages} messages queued")

        # Phase A: telemetry alone.
        workers = self.ingest()
        self.wait_ingest(workers)  # measured from the moment all work: one may start well before another
        first = self.count("telemetry_message")
        if first >= target:
            sys.exit("the backlog was stored before the workers connected: raise --messages")
        before = self.snapshot()
        count, progress_at = first, time.monotonic()
        while count < target and time.monotonic() - progress_at < 60:
            time.sleep(0.05)
            if (now := self.count("telemetry_message")) > count:
                count, progress_at = now, time.monotonic()
        phase_a = self.usage(before, self.snapshot())
        telemetry_alone = (count - first) / phase_a["elapsed_s"]
        phase_a["per_message"] = round(phase_a["statements"] / max(count - first, 1), 4)
        lost = target - self.count("telemetry_message")
        for w in workers:
            stop(w)
        console.print(
            f"  phase A, telemetry alone: {telemetry_alone:.0f} messages stored/s, lost {lost}; {phase_a}"
        )

        # Phase B: checkout alone, on both web hosts.
        servers = self.web()
        self.processes += servers
        for host in (self.app1, self.app2):  # warm-up: imports, connections
            wrk(
                f"http://{host.address}:8000/api/health",
                seconds=2,
                connections=2,
                prefix=tuple(self.client.command()),
            )
        orders_before = self.count("sales_order")
        before = self.snapshot()
        runs = self.checkout_load(t)
        phase_b = self.usage(before, self.snapshot())
        orders = self.count("sales_order") - orders_before
        orders_alone = orders / t
        phase_b["per_order"] = round(phase_b["statements"] / max(orders, 1), 2)
        p50 = ", ".join(str(r["p50_ms"]) for r in runs)
        console.print(
            f"  phase B, checkout alone: {orders_alone:.1f} orders/s "
            f"(p50 {p50} ms; non-2xx {sum(r['non_2xx'] for r in runs)}); {phase_b}"
        )

        # Phase C: both at once, the backlog sized to outlast the window at the alone rate.
        per_device = max(self.args.messages, math.ceil(telemetry_alone * t * 1.2 / self.args.devices))
        target = self.publish(per_device)
        workers = self.ingest()
        self.wait_ingest(workers)
        rows_before, orders_before = self.count("telemetry_message"), self.count("sales_order")
        before = self.snapshot()
        runs = self.checkout_load(t)
        phase_c = self.usage(before, self.snapshot())
        rows_after, orders_after = self.count("telemetry_message"), self.count("sales_order")
        drained_early = rows_after >= target
        telemetry_mixed = (rows_after - rows_before) / phase_c["elapsed_s"]
        orders_mixed = (orders_after - orders_before) / t
        for w in workers:
            stop(w)
        console.print(
            f"  phase C, both: {orders_mixed:.1f} orders/s and {telemetry_mixed:.0f} messages stored/s"
            + (" (the backlog ran out: a lower bound)" if drained_early else "")
            + f"; {phase_c}"
        )
        streaming = (
            self.monitor()
            .execute(
                "SELECT state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication"
            )
            .fetchone()
        )
        return {
            "telemetry_alone": telemetry_alone,
            "orders_alone": orders_alone,
            "telemetry_mixed": telemetry_mixed,
            "orders_mixed": orders_mixed,
            "lost": lost,
            "drained_early": drained_early,
            "non_2xx": sum(r["non_2xx"] for r in runs),
            "replica_state": streaming[0] if streaming else None,
            "replica_lag_bytes": int(streaming[1]) if streaming and streaming[1] is not None else None,
            "web_workers_per_host": self.args.web_workers,
            "ingest_workers_per_host": self.args.ingest_workers,
            "round_trip": round_trip,
            "phases": {"A": phase_a, "B": phase_b, "C": phase_c},
        }


def simulated(args) -> dict:
    """The 3-node run's figures: measured now, or with ``--reuse-sim`` the ones kept in bench/results/."""
    path = RESULTS / "simulation.json"
    if args.reuse_sim and path.exists():
        saved = json.loads(path.read_text())["result"]
        if "phases" not in saved:
            sys.exit(f"{path} predates the per-phase CPU and statement counts: simulate again")
        return saved
    started = time.monotonic()
    result = simulate(args)
    command = "python bench/capacity.py " + " ".join(
        f"--{name.replace('_', '-')} {getattr(args, name)}"
        for name in ("devices", "messages", "seconds", "web_workers", "ingest_workers")
    )
    keep("simulation", command, started, result)
    return result


def simulate(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="millet-capacity-"))
    os.chmod(work, 0o755)  # the postgres account reaches its directory below
    with hosts(["data", "app1", "app2", "client"], delay_ms=args.delay_ms) as net:
        sim = Simulation(net, work, args)
        try:
            return sim.run()
        finally:
            for process in sim.processes:
                stop(process)
            if sim._monitor is not None:
                sim._monitor.close()
            sim.stop_postgres()
            shutil.rmtree(work, ignore_errors=True)


# --- output ----------------------------------------------------------------------------------------


def nodes_cell(plan, kind: str) -> str:
    need = next(n for n in plan.needs if n.kind == kind)
    return f"{need.nodes:,}"


def print_tables(f: Figures, a: Assumptions, device_plans, order_plans) -> None:
    table = Table(title=f"Devices ({a.messages_per_device_per_minute:g} message per device per minute)")
    for column in (
        "devices",
        "messages/s",
        "broker nodes (conn.)",
        "broker nodes (msg/s)",
        "ingest nodes",
        "PostgreSQL primaries",
        "saturates first",
        "distribution key",
    ):
        table.add_column(column, justify="right" if column != "distribution key" else "left")
    for p in device_plans:
        table.add_row(
            f"{p.devices:,}",
            f"{p.messages_per_s:,.0f}",
            nodes_cell(p, "broker (connections)"),
            nodes_cell(p, "broker (messages)"),
            nodes_cell(p, "ingest"),
            nodes_cell(p, "PostgreSQL (telemetry)"),
            p.first,
            p.key,
        )
    console.print(table)
    table = Table(
        title=f"Orders ({a.pages_per_order:g} pages and {a.ledger_transactions_per_order:g} ledger "
        f"transactions per order; {a.gate_attempts_per_order:g} gate claims per order in a sale)"
    )
    for column in (
        "orders/s",
        "web nodes",
        "gate web nodes",
        "Redis masters",
        "PostgreSQL primaries",
        "saturates first",
        "distribution key",
    ):
        table.add_column(column, justify="right" if column != "distribution key" else "left")
    for p in order_plans:
        table.add_row(
            f"{p.orders_per_s:,.0f}",
            nodes_cell(p, "web"),
            nodes_cell(p, "web (flash-sale gate)"),
            nodes_cell(p, "Redis Cluster masters"),
            nodes_cell(p, "PostgreSQL (ledger)"),
            p.first,
            p.key,
        )
    console.print(table)
    console.print("[bold]Saturation order[/] (what one node carries at the headroom, lowest first):")
    for kind, limit, unit in saturation_order(f, a):
        console.print(f"  {kind:<24} {limit:>14,.1f} {unit}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="Short bench runs (a few minutes in all).")
    parser.add_argument(
        "--reuse", action="store_true", help="Read bench/results/*.json instead of measuring."
    )
    parser.add_argument(
        "--remeasure",
        action="append",
        default=[],
        choices=list(BENCHES),
        help="With --reuse: measure this bench again all the same (repeatable).",
    )
    parser.add_argument("--no-sim", dest="sim", action="store_false", help="Skip the 3-node simulation.")
    parser.add_argument(
        "--reuse-sim", action="store_true", help="Read bench/results/simulation.json instead of simulating."
    )
    parser.add_argument(
        "--messages-per-minute", type=float, default=Assumptions.messages_per_device_per_minute
    )
    parser.add_argument("--connections-per-broker", type=int, default=Assumptions.connections_per_broker_node)
    parser.add_argument("--headroom", type=float, default=Assumptions.headroom)
    parser.add_argument("--pages-per-order", type=float, default=Assumptions.pages_per_order)
    parser.add_argument("--broker", default="mosquitto", choices=["mosquitto", "rabbitmq"])
    parser.add_argument("--devices", type=int, default=100, help="Simulated devices in the 3-node run.")
    parser.add_argument("--messages", type=int, default=2500, help="Backlog messages per device (phase A).")
    parser.add_argument("--seconds", type=int, default=10, help="Length of each load phase.")
    # One of each per app host: the two hosts share the machine's 2 cores, so together they run what
    # one 2-core node runs in the benches (2 web workers, 2 ingest workers). Two per host measured
    # 16.1 ms of web CPU per order against 12.3, and 63 us of ingest CPU per message against 56.
    parser.add_argument("--web-workers", type=int, default=1, help="gunicorn sync workers per app host.")
    parser.add_argument("--ingest-workers", type=int, default=1, help="Ingestion workers per app host.")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="tc netem one-way delay on every host.")
    args = parser.parse_args()

    started = time.monotonic()
    records = measured(args.quick, args.reuse, args.remeasure)
    f = figures_from(records)
    a = Assumptions(
        messages_per_device_per_minute=args.messages_per_minute,
        connections_per_broker_node=args.connections_per_broker,
        headroom=args.headroom,
        pages_per_order=args.pages_per_order,
    )
    sim, saved = None, RESULTS / "simulation.json"
    if args.sim:
        console.print("[bold]3-node simulation[/] in network namespaces (they share this machine's cores)")
        sim = simulated(args)
    # Without a simulation now, the plans take the overheads the last one measured.
    o = overheads_from(sim or (json.loads(saved.read_text())["result"] if saved.exists() else None))
    # A node with its cores to itself, whose database is on another host.
    planned = across_network(whole_node(f), o)
    device_plans = [device_plan(n, planned, a) for n in DEVICES]
    order_plans = [order_plan(n, planned, a) for n in ORDERS]

    console.print(
        f"[bold]Measured per node[/] ({f.cores} cores; database, workers and load generator share them):"
    )
    for key, value in asdict(f).items():
        console.print(f"  {key:<36} {value if value is None else f'{value:>12,.1f}'}")
    console.print(
        "[bold]Across hosts[/] (measured by the simulation): "
        + ", ".join(f"{k} {v:,.3f}" for k, v in asdict(o).items())
        + f"; a web node keeps {checkout_factor(whole_node(f), o):.4f} of its orders/s and an ingest node "
        f"{ingest_factor(whole_node(f), o):.4f} of its messages/s. The plans use whole nodes across the "
        f"network: {planned.checkout_orders_per_s_per_node:,.1f} orders/s, "
        f"{planned.ingest_msgs_per_s_per_node:,.0f} messages/s"
    )
    console.print("[bold]Assumed[/]: " + ", ".join(f"{k} {v:,}" for k, v in asdict(a).items()))
    console.print(
        f"  a broker node holding {a.connections_per_broker_node:,} connections needs "
        f"{broker_memory_gib(a.connections_per_broker_node, f):.1f} GiB at the measured "
        f"{f.broker_kib_per_connection} KiB per connection"
    )
    print_tables(planned, a, device_plans, order_plans)

    at_100m = next(p for p in device_plans if p.devices == EMQX["connections"])
    emqx_per_node = EMQX["connections"] / EMQX["nodes"]
    broker_100m = max(n.nodes for n in at_100m.needs if n.kind.startswith("broker"))
    alibaba = order_plan(ALIBABA_ORDERS_PER_S, planned, a)
    console.print(
        f"[bold]Published[/]: EMQX 5.0 held {EMQX['connections']:,} connections on {EMQX['nodes']} nodes "
        f"({emqx_per_node:,.0f} per node) and passed {EMQX['messages_per_s']:,} messages/s; the model asks "
        f"{broker_100m:,} broker nodes for 100 million devices at {a.messages_per_device_per_minute:g}/min "
        f"({at_100m.messages_per_s:,.0f} messages/s). Alibaba's peak of {ALIBABA_ORDERS_PER_S:,} orders/s "
        f"(Singles Day 2020) needs "
        + ", ".join(f"{n.nodes:,} {n.kind}" for n in alibaba.needs)
        + f"; key: {alibaba.key}."
    )

    prediction, share, predicted = None, None, {}
    if sim:
        phases = sim["phases"]
        # Each phase's prediction with the cores the machine's other sessions left it.
        predicted = {
            phase: shared_cpu_prediction(f, phases[phase]["available_cores"], o) for phase in ("A", "B", "C")
        }
        prediction = {
            "messages_per_s": predicted["A"]["messages_per_s"],
            "orders_per_s": predicted["B"]["orders_per_s"],
            "combined_share": 1.0,
        }
        share = combined_share(sim["orders_mixed"], sim["telemetry_mixed"], predicted["C"])
        # The same split against phases A and B of this run: free of the drift between the benches'
        # minutes and the simulation's on a shared machine.
        alone = {"orders_per_s": sim["orders_alone"], "messages_per_s": sim["telemetry_alone"]}
        sim["additivity"] = combined_share(sim["orders_mixed"], sim["telemetry_mixed"], alone)
        table = Table(title="3 nodes: the model's prediction beside the measured run")
        for column in ("load", "cores left", "predicted", "measured", "measured / predicted"):
            table.add_column(column, justify="right" if column != "load" else "left")
        rows = [
            ("telemetry alone (messages/s)", "A", prediction["messages_per_s"], sim["telemetry_alone"]),
            ("checkout alone (orders/s)", "B", prediction["orders_per_s"], sim["orders_alone"]),
            ("both at once (share of one node)", "C", 1.0, share),
            ("both at once, against phases A and B", "C", 1.0, sim["additivity"]),
        ]
        for label, phase, expected, got in rows:
            table.add_row(
                label,
                f"{phases[phase]['available_cores']:.2f}",
                f"{expected:,.2f}",
                f"{got:,.2f}",
                f"{got / expected:.2f}",
            )
        console.print(table)
        console.print(
            f"  cores left to the benches: telemetry {f.ingest_cores_available}, "
            f"checkout {f.checkout_cores_available}. "
            f"With their own {f.cores} cores each, the two app hosts would carry "
            f"{2 * planned.checkout_orders_per_s_per_node:,.0f} orders/s or "
            f"{2 * planned.ingest_msgs_per_s_per_node:,.0f} messages/s (the model); here they share one "
            f"machine. Replica: {sim['replica_state']}, {sim['replica_lag_bytes']} bytes behind at the end."
        )
    console.print(f"capacity took {time.monotonic() - started:.0f} s")
    print(
        json.dumps(
            {
                "bench": "capacity",
                "value": round(share, 3) if share is not None else None,
                "unit": "share of the model's 3-node prediction reached by the simulation (both loads)",
                "ceiling": 1.0,
                "ratio": round(share, 3) if share is not None else None,
                "goal": GOAL,
                "figures": {k: v if v is None else round(v, 2) for k, v in asdict(f).items()},
                "assumptions": asdict(a),
                "devices": {
                    str(p.devices): {
                        "needs": {n.kind: n.nodes for n in p.needs},
                        "first": p.first,
                        "key": p.key,
                    }
                    for p in device_plans
                },
                "orders": {
                    str(int(p.orders_per_s)): {
                        "needs": {n.kind: n.nodes for n in p.needs},
                        "first": p.first,
                        "key": p.key,
                    }
                    for p in order_plans
                },
                "prediction": {k: round(v, 1) for k, v in (prediction or {}).items()},
                "overheads": {k: round(v, 4) for k, v in asdict(o).items()},
                "simulation": {
                    k: (round(v, 3) if isinstance(v, float) else v) for k, v in (sim or {}).items()
                },
                "quick": args.quick,
                "reused": args.reuse,
            }
        )
    )


if __name__ == "__main__":
    main()
