"""``millet ingest``: the ingestion worker, with a live line of what it stored and dropped."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand
from rich.live import Live
from rich.text import Text

from millet.devices.mqtt.config import INGEST_USER, amqp_addresses, broker_address
from millet.devices.mqtt.ingest import IngestWorker


class Command(BaseCommand):
    help = "Subscribe to every device's uplink, store telemetry in batches, apply it, send due commands."
    # A worker restarted under a supervisor should be draining its queue at once: the system checks
    # (URL configuration, templates, every view imported) concern the web processes, not this one.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--flush-ms", type=int, default=50, help="Longest wait to fill a batch.")
        parser.add_argument("--quiet", action="store_true", help="No live status line (under a supervisor).")
        parser.add_argument(
            "--instance",
            type=int,
            default=0,
            help="Run worker N of several (Mosquitto): they share the stream through $share/millet-ingest/. "
            "RabbitMQ mode needs none: every worker consumes the one shared queue.",
        )

    def handle(self, *args, batch_size: int, flush_ms: int, quiet: bool, instance: int, **options) -> None:
        address = broker_address()
        batching = {"batch_size": batch_size, "flush_seconds": flush_ms / 1000}
        if address.mode == "rabbitmq":  # every worker consumes the one shared quorum queue over AMQP
            from millet.devices.mqtt.amqp_ingest import AmqpIngestWorker

            worker = AmqpIngestWorker(amqp_addresses(), **batching)
        else:
            shared = (
                {"client_id": f"{INGEST_USER}-{instance}", "share_group": INGEST_USER} if instance else {}
            )
            worker = IngestWorker(address.host, address.port, **batching, **shared)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        if quiet:
            worker.run(stop)
            return
        with Live(refresh_per_second=2, transient=False) as live:

            def show(_batch) -> None:
                totals = worker.totals
                dropped = ", ".join(f"{k} {v}" for k, v in totals.dropped.most_common(4)) or "none"
                live.update(
                    Text(
                        f"ingest {address.host}:{address.port}  stored {totals.stored}  "
                        f"duplicates {totals.duplicates}  dropped: {dropped}"
                    )
                )

            worker.run(stop, on_batch=show)
