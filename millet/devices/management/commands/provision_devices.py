"""``millet provision_devices``: give a production run its identities and write the factory manifest."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from millet.accounts.actor import SYSTEM
from millet.core.errors import DomainError
from millet.devices.manifest import default_manifest_path, write_manifest
from millet.devices.services import provision_batch

CHUNK = 500


class Command(BaseCommand):
    help = "Provision a batch of devices (all or nothing) and write the factory manifest CSV."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--model", required=True, help="Device model URN, e.g. urn:millet-spec:device:..."
        )
        parser.add_argument("--batch", required=True, help="Production batch code (quality control).")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--serials-file", type=Path, help="One serial number per line.")
        source.add_argument("--count", type=int, help="Generate this many serials from --prefix.")
        parser.add_argument("--prefix", default="SN", help="Serial prefix with --count.")
        parser.add_argument(
            "--out", type=Path, help="Manifest path (default: <data dir>/devices/manifest.csv)."
        )
        parser.add_argument("--append", action="store_true", help="Append to an existing manifest.")

    def handle(self, *args, model, batch, serials_file, count, prefix, out, append, **options) -> None:
        if serials_file is not None:
            try:
                serials = [line.strip() for line in serials_file.read_text().splitlines() if line.strip()]
            except OSError as exc:
                raise CommandError(f"cannot read {serials_file}: {exc}") from None
        else:
            if not 1 <= count <= 1_000_000:
                raise CommandError("--count must be 1 to 1000000")
            serials = [f"{prefix}{batch}{n:07d}" for n in range(1, count + 1)]
        out = out or default_manifest_path()
        console = Console()
        issued = []
        columns = (TextColumn("provision"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        try:
            with transaction.atomic(), Progress(*columns, console=console) as progress:
                task = progress.add_task("provision", total=len(serials))
                for start in range(0, len(serials), CHUNK):
                    chunk = serials[start : start + CHUNK]
                    issued += provision_batch(model_urn=model, serials=chunk, batch=batch, actor=SYSTEM)
                    progress.advance(task, len(chunk))
        except DomainError as exc:
            raise CommandError(f"nothing provisioned: {exc.detail}") from None
        write_manifest(out, issued, append=append)
        console.print(f"[green]Provisioned {len(issued)} devices of batch {batch}; manifest: {out}[/green]")
