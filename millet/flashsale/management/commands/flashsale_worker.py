"""``millet flashsale_worker``: writes the orders behind the gate and runs the payment-window clock.

Run one or more next to the web workers. Each pass writes accepted claims as orders (Redis stream
consumer group, or the claim outbox without Redis), expires unpaid claims (their units go back to
the sale, waitlist first) and closes ended campaigns. Several workers may run at once: the consumer
group and row locks share the work, and a killed worker's claims are taken over by the others.
"""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from rich.console import Console
from rich.live import Live

from millet.core.redis_client import UNAVAILABLE
from millet.flashsale import services
from millet.flashsale.services.gate import GateUnavailable


class Command(BaseCommand):
    help = "Write flash-sale orders from the gate's claims, expire unpaid claims, close ended sales."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit (cron or tests)")
        parser.add_argument("--batch", type=int, default=200, help="claims per order-writing transaction")
        parser.add_argument("--block-ms", type=int, default=500, help="wait this long for new claims")
        parser.add_argument(
            "--reclaim-idle-ms",
            type=int,
            default=15_000,
            help="take over claims a dead writer left this long",
        )
        parser.add_argument("--expire-every", type=float, default=1.0, help="seconds between expiry passes")

    def handle(self, *args, **opts) -> None:
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
        console = Console(stderr=True)
        totals = {"written": 0, "expired": 0, "closed": 0}
        last_expiry = 0.0
        with Live(console=console, refresh_per_second=2, transient=opts["once"]) as live:
            while not stop:
                close_old_connections()
                try:
                    written = services.write_claims(
                        batch=opts["batch"],
                        block_ms=opts["block_ms"],
                        reclaim_idle_ms=opts["reclaim_idle_ms"],
                    )
                    totals["written"] += written
                    if opts["once"] or time.monotonic() - last_expiry >= opts["expire_every"]:
                        totals["expired"] += services.expire_claims()
                        totals["closed"] += services.close_ended_campaigns()
                        last_expiry = time.monotonic()
                except (*UNAVAILABLE, GateUnavailable) as exc:
                    # Redis restarting or failing over: nothing was acknowledged, so the next pass
                    # redoes it all.
                    live.console.print(f"[yellow]gate unavailable ({exc}); retrying[/]")
                    time.sleep(0.5)
                    continue
                except Exception:  # noqa: BLE001 - a worker must outlive one bad batch; it stays pending
                    live.console.print_exception()
                    time.sleep(1)
                    continue
                live.update(
                    f"[bold]flash-sale worker[/] orders written {totals['written']}, "
                    f"claims expired {totals['expired']}, campaigns closed {totals['closed']}"
                )
                if opts["once"]:
                    break
                if not written:
                    time.sleep(0.05 if opts["block_ms"] else 0.2)
        self.stdout.write(
            f"written {totals['written']}, expired {totals['expired']}, closed {totals['closed']}"
        )
