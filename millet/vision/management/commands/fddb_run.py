"""``millet fddb_run``: a detector's detections for any FDDB-format set, in FDDB's detection format.

millet fddb_run --detector yunet|haar --set DIR --out FILE [--format rectangle|ellipse]
                [--max-side 640] [--images DIR] [--image-ext .jpg]
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console

from millet.core.errors import DomainError
from millet.vision import fddb
from millet.vision.fddb.run import run_detector
from millet.vision.management.progress import progress_bar
from millet.vision.services import DEFAULT_DETECTOR, DEFAULT_MAX_SIDE, DETECTORS


class Command(BaseCommand):
    help = "Run a face detector over an FDDB-format set and write its detections (every score)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--detector", choices=sorted(DETECTORS), default=DEFAULT_DETECTOR)
        parser.add_argument("--set", dest="set_dir", type=Path, required=True)
        parser.add_argument("--out", type=Path, required=True, help="The detection file to write.")
        parser.add_argument("--format", choices=(fddb.RECTANGLE, fddb.ELLIPSE), default=fddb.RECTANGLE)
        parser.add_argument(
            "--max-side",
            type=int,
            default=DEFAULT_MAX_SIDE,
            help="Longest side of the frame the detector sees (0: the full image). Default as the API.",
        )
        parser.add_argument("--images", type=Path, default=None, help="Image directory (default: --set).")
        parser.add_argument("--image-ext", default=".jpg")

    def handle(self, *args, **opts) -> None:
        try:
            folds = fddb.read_folds(opts["set_dir"])
        except fddb.FormatError as exc:
            raise CommandError(str(exc)) from None
        console = Console()
        images = sum(len(f.images) for f in folds)
        started = time.perf_counter()
        with progress_bar(console) as progress:
            task = progress.add_task(opts["detector"], total=images)
            try:
                found = run_detector(
                    folds,
                    opts["images"] or opts["set_dir"],
                    opts["out"],
                    detector=opts["detector"],
                    shape=opts["format"],
                    max_side=opts["max_side"] or None,
                    extension=opts["image_ext"],
                    progress=lambda: progress.advance(task),
                )
            except (OSError, DomainError) as exc:
                raise CommandError(f"cannot run the detector: {exc}") from None
        elapsed = time.perf_counter() - started
        console.print(
            f"{found} detections in {images} images ({images / elapsed:.1f} images/s): {opts['out']}"
        )
