"""The credit library: honest held-out metrics, a JSON artifact that is its own version, and
decisions with reasons that refuse bad input precisely."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from millet.core.errors import Unprocessable
from millet.lending.credit import (
    MODEL_FEATURES_BY_NAME,
    artifact_version,
    load_artifact,
    population_stability,
    save_artifact,
    score_distribution,
)
from millet.lending.credit.reasons import TEXTS, reason_text

CUTOFFS = {"approve_below_pd": 0.2, "decline_above_pd": 0.5}


def test_training_reports_held_out_figures(trained):
    assert len(trained.folds) == 2
    assert all(f.train_size + f.test_size == 1000 for f in trained.folds)
    assert sum(f.test_size for f in trained.folds) == 1000  # every applicant held out exactly once
    assert 0.70 < trained.auc < 0.85  # published CV figures for this data are around 0.78
    assert trained.gini == pytest.approx(2 * trained.auc - 1)
    assert 0.2 < trained.ks < 0.7
    cv = trained.artifact["cross_validation"]
    assert cv["folds"] == 2 and cv["auc"] == pytest.approx(trained.auc, abs=1e-6)


def test_artifact_is_json_and_versioned_by_content(trained):
    text = json.dumps(trained.artifact)  # no pickle, nothing that JSON cannot hold
    assert artifact_version(json.loads(text)) == trained.version
    assert len(trained.artifact["training_scores"]) == 1000
    for variable in trained.artifact["variables"]:
        assert variable["coefficient"] > 0  # WOE inputs: more risk can only cost points
        assert variable["best_points"] == max(b["points"] for b in variable["bins"])


def test_save_and_load_round_trip(trained, card, tmp_path, applicants):
    path = save_artifact(trained.artifact, tmp_path)
    assert path.name == f"credit-{trained.version}.json"
    loaded = load_artifact(path)
    assert loaded.version == card.version
    assert loaded.score(applicants[0]) == card.score(applicants[0])


def test_tampered_or_broken_artifacts_are_refused(trained, tmp_path):
    tampered = json.loads(json.dumps(trained.artifact))
    tampered["intercept"] += 1.0
    (tmp_path / "tampered.json").write_text(json.dumps(tampered))
    with pytest.raises(Unprocessable, match="does not match its version"):
        load_artifact(tmp_path / "tampered.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(Unprocessable, match="cannot read"):
        load_artifact(tmp_path / "broken.json")
    with pytest.raises(Unprocessable, match="cannot read"):
        load_artifact(tmp_path / "absent.json")
    with pytest.raises(Unprocessable, match="not a millet-scorecard"):
        save_artifact({"format": "pickle"}, tmp_path)


def test_decisions_follow_the_cutoffs_and_explain_themselves(card, applicants):
    decisions = [card.decide(a, **CUTOFFS) for a in applicants]
    assert {d.outcome for d in decisions} == {"approve", "refer", "decline"}
    for d in decisions:
        pd_ = d.probability_of_default
        expected = "approve" if pd_ < 0.2 else "decline" if pd_ > 0.5 else "refer"
        assert d.outcome == expected and d.version == card.version
        assert len(d.reasons) <= 4
        lost = [r.points_lost for r in d.reasons]
        assert lost == sorted(lost, reverse=True) and all(p > 0 for p in lost)
        assert all(r.code in TEXTS and r.text == reason_text(r.code, "en") for r in d.reasons)
    worst = max(decisions, key=lambda d: d.probability_of_default)
    best = min(decisions, key=lambda d: d.probability_of_default)
    assert worst.points < best.points  # more points, less risk
    assert worst.reasons and worst.outcome == "decline"


def test_an_applicant_in_every_best_bin_has_no_adverse_reason(card, applicants):
    best = dict(applicants[0])
    for variable in card.variables:
        top = max(variable["bins"], key=lambda b: b["points"])
        feature = variable["feature"]
        if variable["kind"] == "categorical":
            best[feature] = top["values"][0]
        else:  # any whole number inside [lower, upper)
            index = variable["bins"].index(top)
            lower = variable["bins"][index - 1]["upper"] if index else None
            best[feature] = int(lower) if lower is not None else int(top["upper"]) - 1
            best[feature] = max(best[feature], MODEL_FEATURES_BY_NAME[feature].minimum)
    _, _, reasons = card.score(best)
    assert reasons == []


@pytest.mark.parametrize(
    "change, code, message",
    [
        ({"duration_in_month": 500}, "invalid_feature", "duration_in_month must be between 1 and 120"),
        ({"duration_in_month": "30"}, "invalid_feature", "whole number"),
        ({"duration_in_month": True}, "invalid_feature", "whole number"),
        ({"age_in_years": 30}, "protected_attribute", "may not be asked"),
        ({"housing": "castle"}, "invalid_feature", "housing must be one of"),
        ({"favourite_colour": "red"}, "unknown_feature", "favourite_colour"),
    ],
)
def test_bad_features_are_refused_precisely(card, applicants, change, code, message):
    with pytest.raises(Unprocessable, match=message) as refused:
        card.decide({**applicants[0], **change}, **CUTOFFS)
    assert refused.value.code == code


def test_missing_feature_and_bad_cutoffs(card, applicants):
    incomplete = {k: v for k, v in applicants[0].items() if k != card.feature_names[0]}
    with pytest.raises(Unprocessable, match=f"missing feature.*{card.feature_names[0]}"):
        card.decide(incomplete, **CUTOFFS)
    with pytest.raises(Unprocessable) as refused:
        card.decide(applicants[0], approve_below_pd=0.6, decline_above_pd=0.5)
    assert refused.value.code == "invalid_cutoffs"
    with pytest.raises(Unprocessable):
        card.decide(["not", "a", "mapping"], **CUTOFFS)


def test_population_stability(card):
    training = card.training_scores
    assert population_stability(training, training) == pytest.approx(0.0, abs=1e-9)
    shifted = [s - 80 for s in training]
    assert population_stability(training, shifted) > 0.25
    buckets = score_distribution(training, 10)
    assert sum(b.count for b in buckets) == len(training)
    assert sum(b.share for b in buckets) == pytest.approx(1.0)
    assert buckets[0].lower is None and buckets[-1].upper is None
    fixed = score_distribution([1, 2, 3, 10], [2, 5])
    assert [b.count for b in fixed] == [1, 2, 1]
    for bad in ([], [float("nan")]):
        with pytest.raises(Unprocessable):
            population_stability(training, bad)
    with pytest.raises(Unprocessable, match="strictly increasing"):
        score_distribution(training, [5, 5])


def test_train_command_prints_json_last(trained, tmp_path, capsys, monkeypatch):
    """The command around ``train``: the session's model stands in, so the suite trains once."""
    from millet.lending.management.commands import train_credit_model

    def session_model(*, folds: int, seed: int, approve_below_pd: float, on_step) -> object:
        assert (folds, seed, approve_below_pd) == (2, 0, 0.25)
        for step in ("fold 1", "fold 2", "final"):
            on_step(step)
        return trained

    monkeypatch.setattr(train_credit_model, "train", session_model)
    call_command("train_credit_model", "--folds", "2", "--out", str(tmp_path))
    out = capsys.readouterr().out
    summary = json.loads(out.strip().splitlines()[-1])
    assert set(summary) >= {"auc", "auc_with_protected", "gini", "ks", "four_fifths", "version", "artifact"}
    assert summary["version"] == trained.version and summary["auc"] == round(trained.auc, 4)
    assert summary["auc_with_protected"] == round(trained.auc_with_protected, 4)
    assert summary["four_fifths"] == {f.attribute: round(f.ratio, 4) for f in trained.four_fifths}
    assert summary["below_four_fifths"] == [f.attribute for f in trained.four_fifths if f.ratio < 0.8]
    assert "AUC with protected" in out and "four-fifths" in out
    assert load_artifact(summary["artifact"]).version == summary["version"]
    with pytest.raises(CommandError, match="--folds"):
        call_command("train_credit_model", "--folds", "1")
