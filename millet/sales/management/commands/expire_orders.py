"""``millet expire_orders``: the payment window's clock; run it every minute (cron or a scheduler)."""

from django.core.management.base import BaseCommand

from millet.sales.services import expire_unpaid_orders


class Command(BaseCommand):
    help = "Cancel placed orders whose stock hold expired and put their stock back."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"expired {expire_unpaid_orders()} unpaid orders")
