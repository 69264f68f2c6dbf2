"""Credit decisions never use protected attributes: the shipped model cannot read sex, marital
status, age or nationality (nor job, whose values carry residency), the figures of what that costs
and of how groups fare are measured in the same cross-validation, and no reason a customer sees
names them."""

from __future__ import annotations

import json

import pytest

from millet.core.errors import Unprocessable
from millet.lending.credit import (
    EXCLUDED,
    FEATURES,
    MODEL_FEATURES,
    PROTECTED,
    Scorecard,
    artifact_version,
)
from millet.lending.credit.reasons import REASONS
from millet.lending.credit.training import FOUR_FIFTHS, GROUPS, ComparisonScorecard

CUTOFFS = {"approve_below_pd": 0.25, "decline_above_pd": 0.55}


def test_no_protected_attribute_is_a_model_input(trained):
    assert set(PROTECTED) == {"personal_status_and_sex", "age_in_years", "foreign_worker"}
    assert not {f.name for f in MODEL_FEATURES} & set(EXCLUDED)
    assert {f.name for f in MODEL_FEATURES} | set(EXCLUDED) == {f.name for f in FEATURES}
    inputs = {v["feature"] for v in trained.artifact["variables"]}
    assert inputs and not inputs & set(EXCLUDED)
    assert trained.artifact["excluded_features"] == sorted(EXCLUDED)
    assert set(REASONS) == {f.name for f in MODEL_FEATURES}  # a reason exists only for a model input


def test_an_artifact_that_reads_a_protected_attribute_cannot_be_loaded(trained):
    artifact = json.loads(json.dumps(trained.artifact))
    artifact["variables"][0]["feature"] = "age_in_years"
    artifact["version"] = artifact_version(artifact)
    with pytest.raises(Unprocessable, match="protected") as refused:
        Scorecard(artifact)
    assert refused.value.code == "invalid_artifact"
    assert ComparisonScorecard(artifact).feature_names[0] == "age_in_years"  # measurement only


def test_auc_with_and_without_them_comes_from_the_same_folds(trained):
    assert 0.70 < trained.auc < 0.85 and 0.70 < trained.auc_with_protected < 0.85
    assert trained.auc == pytest.approx(sum(f.auc for f in trained.folds) / len(trained.folds))
    assert trained.auc_with_protected == pytest.approx(
        sum(f.auc_with_protected for f in trained.folds) / len(trained.folds)
    )
    cv = trained.artifact["cross_validation"]
    assert cv["auc_with_protected"] == pytest.approx(trained.auc_with_protected, abs=1e-6)
    assert [f["auc_with_protected"] for f in cv["per_fold"]] == [
        round(f.auc_with_protected, 6) for f in trained.folds
    ]


def test_four_fifths_ratios_cover_every_removed_attribute_on_the_held_out_folds(trained, rows, card):
    assert [f.attribute for f in trained.four_fifths] == list(GROUPS)
    for figures in trained.four_fifths:
        assert sum(g.applicants for g in figures.groups) == len(rows)  # every applicant held out once
        rates = [g.approved / g.applicants for g in figures.groups]
        assert figures.ratio == pytest.approx(min(rates) / max(rates))
        assert figures.flagged == (figures.ratio < FOUR_FIFTHS)
        assert 0 < figures.ratio <= 1 and 0 < figures.ratio_with_protected <= 1
    sex = next(f for f in trained.four_fifths if f.attribute == "sex")
    assert {g.group for g in sex.groups} == {"female", "male"}
    assert {g.group: g.applicants for g in sex.groups}["female"] == sum(
        row["personal_status_and_sex"].startswith("female") for row in rows
    )
    stored = trained.artifact["cross_validation"]["four_fifths"]
    assert {name: value["ratio"] for name, value in stored.items()} == {
        f.attribute: round(f.ratio, 6) for f in trained.four_fifths
    }


def test_no_reason_ever_names_a_protected_attribute(card, applicants):
    for applicant in applicants:
        for reason in card.decide(applicant, **CUTOFFS).reasons:
            assert reason.feature not in EXCLUDED and reason.code in {code for code, _ in REASONS.values()}
            for word in ("age", "sex", "single", "married", "foreign", "resident"):
                assert word not in reason.text.lower().split()
