"""Credit-risk model library (no tables): train a scorecard, save and load it as JSON, decide with
reasons, and monitor the live population. The lending domain owns registries and applications;
this package is the model itself, so it can be trained, tested and audited on its own."""

from millet.lending.credit.features import (
    EXCLUDED,
    FEATURES,
    FEATURES_BY_NAME,
    MODEL_FEATURES,
    MODEL_FEATURES_BY_NAME,
    PROTECTED,
    Feature,
    clean_features,
)
from millet.lending.credit.monitoring import Bucket, population_stability, score_distribution
from millet.lending.credit.scorecard import (
    Decision,
    Reason,
    Scorecard,
    artifact_version,
    load_artifact,
    save_artifact,
)
from millet.lending.credit.training import FoldResult, FourFifths, GroupRate, TrainingResult, train

__all__ = [
    "EXCLUDED",
    "FEATURES",
    "FEATURES_BY_NAME",
    "MODEL_FEATURES",
    "MODEL_FEATURES_BY_NAME",
    "PROTECTED",
    "Bucket",
    "Decision",
    "Feature",
    "FoldResult",
    "FourFifths",
    "GroupRate",
    "Reason",
    "Scorecard",
    "TrainingResult",
    "artifact_version",
    "clean_features",
    "load_artifact",
    "population_stability",
    "save_artifact",
    "score_distribution",
    "train",
]
