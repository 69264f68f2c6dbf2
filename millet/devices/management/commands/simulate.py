"""``millet simulate``: N simulated devices over MQTT, from a factory manifest or provisioned here."""

from __future__ import annotations

import csv
import signal
import threading
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, Progress, TextColumn

from millet.accounts.actor import SYSTEM
from millet.core.private_files import open_private
from millet.devices.mqtt.config import broker_address
from millet.devices.mqtt.simulator import Credentials, Simulator, read_manifest


class Command(BaseCommand):
    help = "Run simulated devices: realistic telemetry, commands and OTA answered like firmware."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--manifest", type=Path, help="CSV: device_id,serial,model_urn,secret")
        parser.add_argument("--provision", type=int, default=0, help="Provision N new devices for this run.")
        parser.add_argument("--model", help="Device model URN for --provision.")
        parser.add_argument("--batch", default="SIM", help="Production batch name for --provision.")
        parser.add_argument(
            "--write-manifest", type=Path, help="Save the provisioned devices' manifest here."
        )
        parser.add_argument(
            "--limit", type=int, default=0, help="Use only the first N devices of the manifest."
        )
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between telemetry messages.")
        parser.add_argument(
            "--messages", type=int, default=0, help="Stop after N messages per device (0: run on)."
        )
        parser.add_argument("--ota-failure-rate", type=float, default=0.0)
        parser.add_argument(
            "--snapshot-interval",
            type=float,
            default=300.0,
            help="Seconds between a simulated camera's pictures (0: only when asked to take one).",
        )

    def handle(
        self,
        *args,
        manifest,
        provision,
        model,
        batch,
        write_manifest,
        limit,
        interval,
        messages,
        ota_failure_rate,
        snapshot_interval,
        **options,
    ) -> None:
        devices = self._devices(manifest, provision, model, batch, write_manifest)
        if limit:
            devices = devices[:limit]
        if not devices:
            raise CommandError("no devices: give --manifest or --provision N --model URN")
        address = broker_address()
        sim = Simulator(
            devices,
            address.host,
            address.port,
            interval=interval,
            messages_per_device=messages or None,
            ota_failure_rate=ota_failure_rate,
            snapshot_interval=snapshot_interval,
        )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TextColumn("{task.fields[detail]}"),
        )
        with Progress(*columns) as progress:
            task = progress.add_task("connected", total=len(devices), detail="")
            state = {"next": 0.0}

            def tick(s: Simulator) -> None:
                now = time.monotonic()
                if now < state["next"]:
                    return
                state["next"] = now + 0.25
                progress.update(
                    task,
                    completed=s.connected,
                    detail=f"sent {s.published}  acked {s.acked}  commands {s.commands}  pictures {s.frames}",
                )
                if s.done():
                    stop.set()

            sim.run(stop, on_tick=tick)

    def _devices(self, manifest, provision, model, batch, write_manifest) -> list[Credentials]:
        if manifest:
            return read_manifest(manifest)
        if not provision:
            return []
        if not model:
            raise CommandError("--provision needs --model URN")
        import secrets

        from millet.devices.services import provision_batch

        prefix = f"SIM{secrets.token_hex(3).upper()}"
        issued = provision_batch(
            model_urn=model,
            serials=[f"{prefix}{i:06d}" for i in range(provision)],
            batch=batch,
            actor=SYSTEM,
        )
        from millet.devices.mqtt.broker import wait_for_sync

        wait_for_sync()  # Mosquitto: the new clients must exist before the devices knock
        if write_manifest:
            with open_private(Path(write_manifest), newline="") as fh:  # device secrets
                out = csv.writer(fh)
                out.writerow(["device_id", "serial", "model_urn", "secret"])
                out.writerows([p.device_id, p.serial, p.model_urn, p.secret] for p in issued)
        return [Credentials(p.device_id, p.secret, p.model_urn) for p in issued]
