"""The demo's trained scorecard is kept on disk (joblib.Memory), keyed by its arguments and the
training code's fingerprint: a second build trains nothing, and changed training code trains again."""

from __future__ import annotations

from types import SimpleNamespace

from millet.demo import lending as demo_lending


def test_the_second_build_reads_the_trained_artifact_and_new_training_code_trains_again(
    tmp_path, monkeypatch
):
    fits: list[int] = []

    def counted_train(*, folds: int, seed: int, approve_below_pd: float) -> SimpleNamespace:
        fits.append(seed)
        return SimpleNamespace(artifact={"folds": folds, "seed": seed, "cutoff": approve_below_pd})

    monkeypatch.setattr(demo_lending, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(demo_lending, "train", counted_train)
    for _ in range(2):  # two processes' builds: the in-process cache is gone between them
        demo_lending._trained_artifact.cache_clear()
        assert demo_lending._trained_artifact() == {"folds": 5, "seed": 0, "cutoff": 0.25}
    assert fits == [0]

    monkeypatch.setattr(demo_lending, "training_fingerprint", lambda: "changed training code")
    demo_lending._trained_artifact.cache_clear()
    demo_lending._trained_artifact()
    assert fits == [0, 0]
    demo_lending._trained_artifact.cache_clear()


def test_the_fingerprint_changes_with_a_library_version(monkeypatch):
    before = demo_lending.training_fingerprint()
    assert before == demo_lending.training_fingerprint()
    monkeypatch.setattr(demo_lending, "version", lambda name: "0+other")
    assert demo_lending.training_fingerprint() != before
