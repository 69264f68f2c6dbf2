"""``millet devicecloud``: the quick start's device cloud, supervised: embedded broker,
ingestion worker, the automation, rollout and snapshot-retention clocks and simulated demo devices, as child
processes that stop when Millet's server stops.

``millet start`` launches it with ``--parent-pid`` (its own pid, which gunicorn keeps after exec);
when that process is gone, or on SIGINT/SIGTERM, every child is terminated. A child that dies is
restarted after a pause, so a crash of the broker does not end the demo.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand

from millet.devices.mqtt.config import broker_address
from millet.devices.mqtt.mosquitto import wait_for_port


class Command(BaseCommand):
    help = "Run the embedded broker, the ingestion worker and N simulated demo devices together."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--devices", type=int, default=40, help="Simulated devices from the manifest.")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between telemetry messages.")
        parser.add_argument("--manifest", type=Path, default=None, help="Default: the demo's manifest.")
        parser.add_argument("--parent-pid", type=int, default=0, help="Stop everything when this pid exits.")
        parser.add_argument("--log", type=Path, default=None, help="Children's output (default: DATA_DIR).")

    def handle(self, *args, devices: int, interval: float, manifest, parent_pid: int, log, **options) -> None:
        from django.conf import settings

        from millet.devices.manifest import default_manifest_path

        manifest = manifest or default_manifest_path()
        log = log or Path(settings.DATA_DIR) / "devicecloud.log"
        env = {**os.environ, "MILLET_MQTT_MODE": "embedded"}
        address = broker_address()
        millet = [sys.executable, "-m", "millet.cli"]
        specs = {
            "broker": [*millet, "broker"],
            "ingest": [*millet, "ingest", "--quiet"],
            # The clocks of time-triggered automations and OTA rollouts, as cron would run them.
            "automations": [*millet, "run_automations", "--every", "60"],
            "rollouts": [*millet, "advance_rollouts", "--every", "5"],
            # Camera snapshots past their home's retention (the vision domain's clock, by name).
            "snapshots": [*millet, "purge_snapshots", "--every", "3600"],
        }
        if manifest.exists() and devices > 0:
            specs["simulate"] = [
                *millet,
                "simulate",
                "--manifest",
                str(manifest),
                "--limit",
                str(devices),
                "--interval",
                str(interval),
            ]
        stopping = False

        def stop(*_args) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        children: dict[str, subprocess.Popen] = {}
        with open(log, "ab") as out:

            def spawn(name: str) -> None:
                children[name] = subprocess.Popen(specs[name], env=env, stdout=out, stderr=out)
                if name == "broker":
                    wait_for_port(address.host, address.port, timeout=30)

            try:
                for name in specs:
                    spawn(name)
                while not stopping and (not parent_pid or _alive(parent_pid)):
                    for name, child in list(children.items()):
                        if child.poll() is not None and not stopping:
                            time.sleep(1)
                            spawn(name)
                    time.sleep(0.5)
            finally:
                for child in reversed(list(children.values())):
                    if child.poll() is None:
                        child.terminate()
                for child in children.values():
                    try:
                        child.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        child.kill()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
