"""``millet fddb_eval``: score detections on an FDDB-format set the way FDDB's ``evaluate`` does.

    millet fddb_eval --set DIR --detections FILE_OR_DIR [--format rectangle|ellipse]
                     [--extend-height] [--out DIR] [--images DIR] [--image-ext .jpg]

Writes ``DiscROC.txt``, ``ContROC.txt`` and ``roc.svg`` into ``--out`` and prints the discrete and
continuous true positive rates at 1,000 and 2,000 false positives (``--fp`` to choose others).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from millet.vision import fddb
from millet.vision.fddb.evaluate import PUBLISHED_HEIGHT_FACTOR
from millet.vision.management.progress import progress_bar


class Command(BaseCommand):
    help = "Evaluate face detections on an FDDB-format set (discrete and continuous ROC, FDDB protocol)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--set",
            dest="set_dir",
            type=Path,
            required=True,
            help="Directory with FDDB-fold-xx.txt and FDDB-fold-xx-ellipseList.txt files.",
        )
        parser.add_argument(
            "--detections",
            type=Path,
            required=True,
            help="One detection file for every image, or a directory of fold-xx-out.txt.",
        )
        parser.add_argument(
            "--format",
            choices=(fddb.RECTANGLE, fddb.ELLIPSE),
            default=fddb.RECTANGLE,
            help="How detections are written (FDDB's -f 0 or 1).",
        )
        parser.add_argument(
            "--extend-height",
            action="store_true",
            help="Make detected rectangles 20%% taller about their centre first, as the "
            "published FDDB curves of rectangle detectors were computed.",
        )
        parser.add_argument("--images", type=Path, default=None, help="Image directory (default: --set).")
        parser.add_argument("--image-ext", default=".jpg", help="Appended to each image name (FDDB: .jpg).")
        parser.add_argument("--out", type=Path, default=Path("."), help="Where the ROC files go.")
        parser.add_argument(
            "--fp",
            type=int,
            nargs="+",
            default=[1000, 2000],
            help="False-positive counts to read the true positive rate at.",
        )

    def handle(self, *args, **opts) -> None:
        set_dir: Path = opts["set_dir"]
        try:
            folds = fddb.read_folds(set_dir)
            detections = fddb.read_detections(opts["detections"], folds, opts["format"])
            console = Console()
            total = sum(len(f.images) for f in folds)
            with progress_bar(console) as progress:
                task = progress.add_task("evaluating", total=total)
                roc = fddb.evaluate(
                    fddb.cases(folds, detections, opts["images"] or set_dir, opts["image_ext"]),
                    height_factor=PUBLISHED_HEIGHT_FACTOR if opts["extend_height"] else 1.0,
                    progress=lambda: progress.advance(task),
                )
        except fddb.FormatError as exc:
            raise CommandError(str(exc)) from None
        out: Path = opts["out"]
        disc, cont = fddb.write_roc_files(roc, out)
        svg = out / "roc.svg"
        fddb.plot_roc_svg(
            {opts["detections"].name: roc},
            svg,
            title=f"FDDB ROC: {set_dir.name}",
            max_false_positives=max(opts["fp"]),
            marks=tuple(opts["fp"]),
        )
        table = Table(title=f"{roc.images} images, {roc.faces} faces, {len(folds)} folds")
        table.add_column("false positives", justify="right")
        table.add_column("TPR discrete", justify="right")
        table.add_column("TPR continuous", justify="right")
        for fp in opts["fp"]:
            table.add_row(str(fp), f"{roc.tpr_at(fp):.4f}", f"{roc.tpr_at(fp, continuous=True):.4f}")
        console.print(table)
        console.print(f"wrote {disc}, {cont} and {svg}")
