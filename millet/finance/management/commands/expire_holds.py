"""``millet expire_holds``: void pending ledger transfers (payment holds) whose time ran out."""

from django.core.management.base import BaseCommand

from millet.finance.services import expire_pending_transfers


class Command(BaseCommand):
    help = "Void expired pending transfers so held customer funds are released; run it every few minutes."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"voided {expire_pending_transfers()} expired pending transfers")
