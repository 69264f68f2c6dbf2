"""A trained scorecard as plain data: load it, score an applicant, decide, and say why.

The artifact is JSON, never pickle: loading a model must not be able to run code, a risk officer
can read what the model does, and its content hash is its version. Scoring is pure Python over
that data (no pandas at decision time), so a decision takes microseconds, not the seconds the
issue allows.

Points follow the usual scorecard scaling: ``score = A - B * ln(odds of bad)`` with
``B = pdo / ln 2`` and ``A = points0 + B * ln(odds0)``; each feature's bin contributes
``-B * coefficient * woe``. A higher score is a safer applicant.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from millet.core.errors import Unprocessable
from millet.lending.credit.features import EXCLUDED, MODEL_FEATURES_BY_NAME, Feature, clean_features
from millet.lending.credit.reasons import TEXTS, reason_text

FORMAT = "millet-scorecard/2"  # 2: no protected inputs, plain-word reason codes
MAX_REASONS = 4  # like the four adverse-action reasons US credit bureaus give


@dataclass(frozen=True)
class Reason:
    """One adverse reason: which feature cost the applicant points, and how many against its best bin.

    ``text`` is plain words about the applicant's own finances (``credit.reasons``), in English as
    scored; a reader sees it in their language through ``reason_text(code)``."""

    code: str
    feature: str
    text: str
    points_lost: int


@dataclass(frozen=True)
class Decision:
    outcome: Literal["approve", "decline", "refer"]
    probability_of_default: float  # a probability, not money: float is fine here
    points: int
    reasons: list[Reason]
    version: str


def artifact_version(artifact: Mapping[str, Any]) -> str:
    """The content hash of everything but the version itself: same model, same version."""
    body = {key: value for key, value in artifact.items() if key != "version"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


class Scorecard:
    """A loaded artifact; immutable and safe to share between threads.

    Its inputs can only be ``MODEL_FEATURES``: an artifact that reads a protected attribute (or
    ``job``) is refused (422 ``invalid_artifact``), so such a model can never decide or be shown."""

    schema: Mapping[str, Feature] = MODEL_FEATURES_BY_NAME

    def __init__(self, artifact: Mapping[str, Any]) -> None:
        if artifact.get("format") != FORMAT:
            raise Unprocessable(f"not a {FORMAT} artifact", code="invalid_artifact")
        if artifact.get("version") != artifact_version(artifact):
            raise Unprocessable("artifact content does not match its version", code="invalid_artifact")
        self.artifact = artifact
        self.version: str = artifact["version"]
        self.intercept: float = artifact["intercept"]
        self.factor: float = artifact["scaling"]["factor"]
        self.offset: float = artifact["scaling"]["offset"]
        self.base_points: int = artifact["base_points"]
        self.variables: list[dict] = artifact["variables"]
        self.feature_names: tuple[str, ...] = tuple(v["feature"] for v in self.variables)
        barred = [name for name in self.feature_names if name in EXCLUDED and name not in self.schema]
        if barred:
            raise Unprocessable(f"artifact reads protected attributes {barred}", code="invalid_artifact")
        unknown = [name for name in self.feature_names if name not in self.schema]
        if unknown:
            raise Unprocessable(f"artifact uses unknown features {unknown}", code="invalid_artifact")
        codes = [
            v.get("reason_code")
            for v in self.variables
            if v["feature"] in MODEL_FEATURES_BY_NAME and v.get("reason_code") not in TEXTS
        ]
        if codes:
            raise Unprocessable(f"artifact has unknown reason codes {codes}", code="invalid_artifact")

    def _bin(self, variable: dict, value: int | str) -> dict:
        bins = variable["bins"]
        if variable["kind"] == "numeric":
            # bins are [lower, upper) in ascending order; uppers are finite except the last
            uppers = [b["upper"] for b in bins[:-1]]
            return bins[bisect_right(uppers, value)]
        for candidate in bins:
            if value in candidate["values"]:
                return candidate
        # A value training never saw gets the variable's riskiest bin: unknown is not evidence of safety.
        return max(bins, key=lambda b: b["woe"])

    def score(self, features: Mapping[str, Any]) -> tuple[float, int, list[Reason]]:
        """Probability of default, integer points and the adverse reasons, best reason first."""
        clean = clean_features(features, required=self.feature_names, schema=self.schema)
        logit = self.intercept
        points = self.base_points
        losses: list[Reason] = []
        for variable in self.variables:
            chosen = self._bin(variable, clean[variable["feature"]])
            logit += variable["coefficient"] * chosen["woe"]
            points += chosen["points"]
            lost = variable["best_points"] - chosen["points"]
            if lost > 0:
                code = variable["reason_code"]
                text = reason_text(code, "en") if code in TEXTS else variable["feature"]
                losses.append(Reason(code=code, feature=variable["feature"], text=text, points_lost=lost))
        losses.sort(key=lambda r: (-r.points_lost, r.code))
        return 1.0 / (1.0 + math.exp(-logit)), points, losses[:MAX_REASONS]

    def decide(
        self, features: Mapping[str, Any], *, approve_below_pd: float, decline_above_pd: float
    ) -> Decision:
        """Approve below one cutoff, decline above the other, refer the band between to a person.

        The cutoffs are the lender's policy, not the model's, so they are passed in.
        """
        if not 0.0 <= approve_below_pd <= decline_above_pd <= 1.0:
            raise Unprocessable(
                "cutoffs must satisfy 0 <= approve_below_pd <= decline_above_pd <= 1", code="invalid_cutoffs"
            )
        pd_, points, reasons = self.score(features)
        if pd_ < approve_below_pd:
            outcome = "approve"
        elif pd_ > decline_above_pd:
            outcome = "decline"
        else:
            outcome = "refer"
        return Decision(
            outcome=outcome, probability_of_default=pd_, points=points, reasons=reasons, version=self.version
        )

    @property
    def training_scores(self) -> list[int]:
        return list(self.artifact["training_scores"])


def save_artifact(artifact: Mapping[str, Any], directory: str | os.PathLike) -> Path:
    """Write ``credit-<version>.json`` atomically (a reader never sees half a model); return its path."""
    Scorecard(artifact)  # refuse to save what could not be loaded
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"credit-{artifact['version']}.json"
    draft = folder / f".{path.name}.{os.getpid()}"
    draft.write_text(json.dumps(artifact, indent=1, sort_keys=True))
    os.replace(draft, path)
    return path


def load_artifact(path: str | os.PathLike) -> Scorecard:
    try:
        artifact = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise Unprocessable(f"cannot read model artifact {path}: {exc}", code="invalid_artifact") from exc
    if not isinstance(artifact, dict):
        raise Unprocessable(f"model artifact {path} is not a JSON object", code="invalid_artifact")
    try:
        return Scorecard(artifact)
    except (KeyError, TypeError) as exc:
        raise Unprocessable(f"model artifact {path} is malformed: {exc}", code="invalid_artifact") from exc
