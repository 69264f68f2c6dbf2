"""``millet train_credit_model``: cross-validate the scorecard, save its artifact, print the figures.

The shipped scorecard reads no protected attribute (sex, marital status, age, nationality). The
command prints, from the same folds, the held-out AUC without them (shipped) and with them (a
comparison model, never saved), and for each removed attribute the approval rate of each group and
the ratio of the lowest to the highest (four-fifths rule: below 0.8 is flagged).

The last line is one JSON object (auc, auc_with_protected, gini, ks, the four-fifths ratios, the
version and the artifact's path) so scripts and the lending registry can read it without parsing
the tables.
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
from millet.lending.credit.training import FOUR_FIFTHS, TrainingResult
from millet.lending.policy import APPROVE_BELOW_PD


class Command(BaseCommand):
    help = (
        "Train the German Credit scorecard without protected attributes (stratified k-fold CV), print "
        "AUC with and without them and the four-fifths ratios, and save a versioned JSON artifact."
    )

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
                approve_below_pd=APPROVE_BELOW_PD,
                on_step=lambda step: progress.update(task, advance=1, description=step),
            )
        console.print(_folds_table(result, folds, seed))
        variables = result.artifact["variables"]
        console.print(f"{len(variables)} variables: {', '.join(v['feature'] for v in variables)}")
        console.print(f"Left out: {', '.join(result.artifact['excluded_features'])}")
        console.print(_fairness_table(result))
        path = save_artifact(result.artifact, out or Path(settings.DATA_DIR) / "models" / "credit")
        summary = {
            "auc": round(result.auc, 4),
            "auc_with_protected": round(result.auc_with_protected, 4),
            "gini": round(result.gini, 4),
            "ks": round(result.ks, 4),
            "folds": folds,
            "four_fifths": {f.attribute: round(f.ratio, 4) for f in result.four_fifths},
            "below_four_fifths": [f.attribute for f in result.four_fifths if f.flagged],
            "version": result.version,
            "artifact": str(path),
        }
        self.stdout.write(json.dumps(summary))


def _folds_table(result: TrainingResult, folds: int, seed: int) -> Table:
    table = Table(title=f"Held-out folds (stratified {folds}-fold, seed {seed})")
    for column in ("fold", "train", "test", "AUC", "AUC with protected", "Gini", "KS"):
        table.add_column(column, justify="right")
    for fold in result.folds:
        table.add_row(
            str(fold.fold),
            str(fold.train_size),
            str(fold.test_size),
            f"{fold.auc:.4f}",
            f"{fold.auc_with_protected:.4f}",
            f"{fold.gini:.4f}",
            f"{fold.ks:.4f}",
        )
    table.add_row(
        "mean",
        "",
        "",
        f"{result.auc:.4f}",
        f"{result.auc_with_protected:.4f}",
        f"{result.gini:.4f}",
        f"{result.ks:.4f}",
    )
    return table


def _fairness_table(result: TrainingResult) -> Table:
    cutoff = result.artifact["cross_validation"]["approve_below_pd"]
    table = Table(title=f"Approval rates on the held-out folds (approve below PD {cutoff}), four-fifths rule")
    for column, justify in (("attribute", "left"), ("approval rate by group", "left"), ("ratio", "right")):
        table.add_column(column, justify=justify)
    table.add_column("with protected", justify="right")
    table.add_column(f"below {FOUR_FIFTHS}", justify="center")
    for f in result.four_fifths:
        rates = ", ".join(f"{g.group} {g.rate:.1%} ({g.approved}/{g.applicants})" for g in f.groups)
        table.add_row(
            f.attribute,
            rates,
            f"{f.ratio:.3f}",
            f"{f.ratio_with_protected:.3f}",
            "FLAG" if f.flagged else "ok",
        )
    return table
