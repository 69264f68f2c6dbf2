"""``millet insights_catch_up [--every SECONDS]``: the rollups' job.

Applies the revenue postings no event announced (refunds without serials, daily takings posted in
batches), recounts store openings, activations and units sold and failed per production batch, and
takes today's snapshot of devices online (in total, per model and per firmware). Idempotent: run it
on a schedule, or on several workers (one at a time holds the watermark). ``--every`` repeats it.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from millet.insights import services as insights


class Command(BaseCommand):
    help = "Bring the insights rollups up to date (once, or every N seconds)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Repeat every N seconds (default: once)")

    def handle(self, *args, every: float, **options) -> None:
        if every < 0:
            raise CommandError("--every is a number of seconds, 0 or more")
        while True:
            applied = insights.catch_up()
            online = insights.snapshot_devices()
            self.stdout.write(f"applied {applied} revenue postings; {online} devices online")
            if not every:
                return
            time.sleep(every)
