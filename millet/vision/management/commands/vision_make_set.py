"""``millet vision_make_set``: build an FDDB-format face set from images that ship in packages.

    millet vision_make_set --n 500 --seed 1 --out DIR [--folds 10] [--previews 8]

The same seed always writes the same set (see ``millet.vision.fddb.synthetic``).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console

from millet.vision.fddb.synthetic import make_set
from millet.vision.management.progress import progress_bar


class Command(BaseCommand):
    help = "Write a synthetic FDDB-format set (images, fold lists, ellipse lists) for a seed."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--n", type=int, default=500, help="Number of images.")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--folds", type=int, default=10)
        parser.add_argument(
            "--previews", type=int, default=0, help="Also draw the ellipses on the first N images."
        )

    def handle(self, *args, n: int, seed: int, out: Path, folds: int, previews: int, **opts) -> None:
        if not 1 <= n <= 100_000 or not 1 <= folds <= 99 or seed < 0:
            raise CommandError("--n must be 1 to 100000, --folds 1 to 99, --seed not negative")
        console = Console()
        with progress_bar(console) as progress:
            task = progress.add_task("rendering", total=n)
            made = make_set(
                out, n=n, seed=seed, folds=folds, previews=previews, progress=lambda: progress.advance(task)
            )
        console.print(
            f"{n} images ({made.empty} without a face), {made.faces} faces, {len(made.folds)} folds in {out}"
        )
