"""``millet train_credit_model``: cross-validate the scorecard, save its artifact, print the figures.

The last line is one JSON object (auc, gini, ks on held-out folds, the version and the artifact's
path) so scripts and the lending registry can read it without parsing the table.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from millet.lending.credit import save_artifact, train


class Command(BaseCommand):
    help = "Train the German Credit scorecard with stratified k-fold CV and save a versioned JSON artifact."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--out",
            type=Path,
            default=None,
            help="Directory for the artifact (default: MILLET_DATA_DIR/models/credit).",
        )

    def handle(self, *args, folds: int, seed: int, out: Path | None, **options) -> None:
        if not 2 <= folds <= 20:
            raise CommandError("--folds must be between 2 and 20")
        console = Console()
        columns = (
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("training", total=folds + 1)
            result = train(
                folds=folds,
                seed=seed,
                on_step=lambda step: progress.update(task, advance=1, description=step),
            )
        table = Table(title=f"Held-out folds (stratified {folds}-fold, seed {seed})")
        for column in ("fold", "train", "test", "AUC", "Gini", "KS"):
            table.add_column(column, justify="right")
        for fold in result.folds:
            table.add_row(
                str(fold.fold),
                str(fold.train_size),
                str(fold.test_size),
                f"{fold.auc:.4f}",
                f"{fold.gini:.4f}",
                f"{fold.ks:.4f}",
            )
        table.add_row("mean", "", "", f"{result.auc:.4f}", f"{result.gini:.4f}", f"{result.ks:.4f}")
        console.print(table)
        variables = result.artifact["variables"]
        console.print(f"{len(variables)} variables: {', '.join(v['feature'] for v in variables)}")
        path = save_artifact(result.artifact, out or Path(settings.DATA_DIR) / "models" / "credit")
        summary = {
            "auc": round(result.auc, 4),
            "gini": round(result.gini, 4),
            "ks": round(result.ks, 4),
            "folds": folds,
            "version": result.version,
            "artifact": str(path),
        }
        self.stdout.write(json.dumps(summary))
