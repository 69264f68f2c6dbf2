"""One trained scorecard per test session: training takes seconds, so every test shares it."""

from __future__ import annotations

import pytest

from millet.lending.credit import Scorecard, TrainingResult, train


@pytest.fixture(scope="session")
def trained() -> TrainingResult:
    return train(folds=2, seed=0)


@pytest.fixture(scope="session")
def card(trained) -> Scorecard:
    return Scorecard(trained.artifact)


@pytest.fixture(scope="session")
def applicants() -> list[dict]:
    """The German Credit rows as plain dicts, the shape a live application arrives in."""
    from millet.lending.credit.training import _germancredit, _records

    frame, _ = _germancredit()
    return _records(frame)
