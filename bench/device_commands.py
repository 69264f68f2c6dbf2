"""Commands delivered and acknowledged per second by the device cloud on PostgreSQL, against a ceiling.

A fleet of online devices gets queued commands; the delivery loop then runs as the ingestion worker
runs it: ``commands_to_send`` hands out up to 500 due commands (one statement: closing expired and
timed-out ones, marking the due ones sent, ``SKIP LOCKED``), and the devices' answers come back as
one ingest batch, closed by ``acknowledge_commands`` in one transaction. The ceiling, measured in the
same run on the same database, is PostgreSQL doing the bare minimum of the same work with raw SQL on
a plain table: one ``UPDATE ... RETURNING`` per 500 commands to mark them sent, and one ``UPDATE ...
FROM (VALUES ...)`` closing the batch's 500 answers. Also printed: device logins checked per second
(``check_device_secret``, what the broker asks on every connection).

Goal: at least 0.30 of the ceiling (issue 14). Each command is also validated, rights-checked,
journalled and announced to its listeners (OTA rollouts); raw SQL does none of that.

    python bench/device_commands.py [--devices 500] [--commands 2000] [--rounds 3]

The last line is JSON: {"bench", "value" (commands/s), "unit", "ceiling" (raw SQL commands/s),
"ratio", "goal", ...}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = "millet_bench_devices"
GOAL = 0.3  # issue 14: the services' extra work (see above) may cost up to 70% of the bare SQL
MODEL = "urn:millet-spec:device:outlet:bench-plug:1"
SPEC = {
    "services": [
        {
            "siid": 2,
            "type": "switch",
            "properties": [
                {"piid": 1, "name": "on", "format": "bool", "access": ["read", "write", "notify"]}
            ],
            "actions": [{"aiid": 1, "name": "toggle"}],
        }
    ]
}


def fresh_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "millet.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "-v0")


def queue(devices: list, count: int) -> None:
    from millet.devices.services.commands import issue_command

    now = datetime.now(UTC)
    for i in range(count):
        issue_command(devices[i % len(devices)], "action", {"action": "toggle", "args": {}}, now=now)


def millet_round(devices: list, count: int) -> float:
    """Seconds to hand out and acknowledge ``count`` queued commands through the services."""
    from millet.devices import services

    queue(devices, count)
    done = 0
    started = time.perf_counter()
    while done < count:
        batch = services.commands_to_send(datetime.now(UTC))
        services.acknowledge_commands([services.Answer(o.device_id, o.command_id, "ok", {}) for o in batch])
        done += len(batch)
        if not batch:
            raise SystemExit(f"only {done} of {count} commands were due")
    return time.perf_counter() - started


def raw_round(count: int) -> float:
    """Seconds for PostgreSQL alone: mark 500 sent per statement, then close their 500 answers in one."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_command")
        cur.execute(
            "CREATE TABLE bench_command (id bigserial PRIMARY KEY, device int NOT NULL, "
            "status text NOT NULL, attempts int NOT NULL DEFAULT 0)"
        )
        cur.execute(
            "INSERT INTO bench_command (device, status) "
            "SELECT g %% 1000, 'queued' FROM generate_series(1, %s) g",
            [count],
        )
        cur.execute("ANALYZE bench_command")
        started = time.perf_counter()
        done = 0
        while done < count:
            cur.execute(
                "UPDATE bench_command SET status = 'sent', attempts = attempts + 1 WHERE id IN ("
                "SELECT id FROM bench_command WHERE status = 'queued' ORDER BY id LIMIT 500 "
                "FOR UPDATE SKIP LOCKED) RETURNING id"
            )
            ids = [row[0] for row in cur.fetchall()]
            if ids:
                cur.execute(
                    "UPDATE bench_command c SET status = 'acked' FROM (VALUES "
                    + ", ".join(["(%s::bigint)"] * len(ids))
                    + ") AS answer (id) WHERE c.id = answer.id AND c.status = 'sent'",
                    ids,
                )
            done += len(ids)
        return time.perf_counter() - started


def logins_per_second(identities: list, seconds: float = 2.0) -> float:
    from millet.devices.services import check_device_secret

    checked, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        identity = identities[checked % len(identities)]
        if not check_device_secret(identity.device_id, identity.secret):
            raise SystemExit("a valid secret was refused")
        checked += 1
    return checked / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    fresh_database()
    setup_django()
    from millet.accounts.actor import SYSTEM
    from millet.catalog.services import create_device_model
    from millet.devices import services
    from millet.devices.models import Command, Device

    create_device_model(MODEL, "Bench plug", SPEC, actor=SYSTEM)
    identities = services.provision_batch(
        model_urn=MODEL, serials=[f"BENCH{i:07d}" for i in range(args.devices)], batch="BENCH", actor=SYSTEM
    )
    now = datetime.now(UTC)
    for identity in identities:
        services.set_presence(identity.device_id, True, now)
    devices = list(Device.objects.order_by("pk"))
    print(
        f"{args.devices} online devices; {args.commands} commands per round; {args.rounds} rounds", flush=True
    )

    millet_rates, raw_rates = [], []
    for round_no in range(1, args.rounds + 1):
        # Alternate the two loads and keep the medians: this shared 2-core machine is noisy.
        ours = args.commands / millet_round(devices, args.commands)
        raw = args.commands / raw_round(args.commands)
        millet_rates.append(ours)
        raw_rates.append(raw)
        print(
            f"round {round_no}: device cloud {ours:.0f} commands/s; raw SQL ceiling {raw:.0f} commands/s",
            flush=True,
        )
    acked = Command.objects.filter(status="acked").count()
    lost = args.commands * args.rounds - acked
    logins = logins_per_second(identities)
    print(f"device logins checked: {logins:.0f}/s (salted SHA-256, one indexed SELECT each)")
    value, ceiling = statistics.median(millet_rates), statistics.median(raw_rates)
    print(
        json.dumps(
            {
                "bench": "device_commands",
                "value": round(value, 1),
                "unit": "commands delivered+acked/s",
                "ceiling": round(ceiling, 1),
                "ratio": round(value / ceiling, 3),
                "goal": GOAL,
                "lost": lost,
                "logins_per_s": round(logins, 1),
                "devices": args.devices,
            }
        )
    )


if __name__ == "__main__":
    main()
