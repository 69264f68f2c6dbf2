"""``millet expire_orders``: the payment window's clock; run it every minute (cron or a scheduler).

It also keeps every partitioned table's partitions ahead (``core.partitions.ensure_all``: orders,
ledger transfers, stock movements, telemetry on PostgreSQL), so a deployment that runs no ingest
worker never starts filling a default partition. A run that finds them all present costs a handful
of catalog lookups.
"""

from django.core.management.base import BaseCommand

from millet.core import partitions
from millet.sales.services import expire_unpaid_orders


class Command(BaseCommand):
    help = "Cancel placed orders whose stock hold expired and put their stock back; keep partitions ahead."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"expired {expire_unpaid_orders()} unpaid orders")
        if created := partitions.ensure_all():
            self.stdout.write(f"created {created} partitions ahead")
