"""``millet expire_policies``: mark policies whose term has ended as expired. Run it daily."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from rich.console import Console

from millet.insurance.services import expire_policies


class Command(BaseCommand):
    help = "Mark device protection policies whose term has ended as expired."

    def handle(self, *args, **options) -> None:
        with Console().status("expiring policies"):
            expired = expire_policies()
        self.stdout.write(f"{expired} policies expired")
