"""One trained scorecard per test session: training takes seconds, so every test shares it."""

from __future__ import annotations

import pytest

from millet.lending.credit import Scorecard, TrainingResult
from tests.factories import trained_scorecard


@pytest.fixture(scope="session")
def trained() -> TrainingResult:
    return trained_scorecard()


@pytest.fixture(scope="session")
def card(trained) -> Scorecard:
    return Scorecard(trained.artifact)


@pytest.fixture(scope="session")
def rows() -> list[dict]:
    """The German Credit rows as plain dicts, every column (the protected ones too)."""
    from millet.lending.credit.training import _germancredit, _records

    frame, _ = _germancredit()
    return _records(frame)


@pytest.fixture(scope="session")
def applicants(rows) -> list[dict]:
    """The rows as a live application's model features arrive: nothing protected."""
    from millet.lending.credit import MODEL_FEATURES_BY_NAME

    return [{k: v for k, v in row.items() if k in MODEL_FEATURES_BY_NAME} for row in rows]
