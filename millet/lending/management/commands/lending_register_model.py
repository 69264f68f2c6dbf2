"""``millet lending_register_model PATH [--approve]``: put a trained artifact in the model registry.

Pairs with ``train_credit_model``, whose last line names the artifact; ``--approve`` makes it the
version that decides applications (the previous one is retired).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from millet.accounts.actor import SYSTEM
from millet.core.errors import DomainError
from millet.lending import services as lending
from millet.lending.credit import load_artifact


class Command(BaseCommand):
    help = "Register a credit-model artifact (JSON) in the lending registry, optionally approving it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--approve", action="store_true")

    def handle(self, *args, path: Path, approve: bool, **options) -> None:
        try:
            model = lending.register_model(load_artifact(path).artifact)
            if approve:
                model = lending.approve_model(SYSTEM, model.version)
        except DomainError as exc:
            raise CommandError(exc.detail) from None
        self.stdout.write(
            json.dumps({"version": model.version, "status": model.status, "metrics": model.metrics})
        )
