"""Is the live population still the one the model was trained on? Score buckets and PSI.

Population stability index: bucket the *training* scores into quantiles, bucket live scores with
the same edges, and sum ``(actual - expected) * ln(actual / expected)`` over the buckets. The usual
reading: below 0.1 stable, 0.1-0.25 drifting (watch), above 0.25 shifted (retrain or re-validate).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from millet.core.errors import Unprocessable

_FLOOR = 1e-4  # an empty bucket would make ln(0); the floor is the customary PSI smoothing


@dataclass(frozen=True)
class Bucket:
    lower: float | None  # None: open below
    upper: float | None  # None: open above; a bucket holds lower <= score < upper
    count: int
    share: float


def _quantile_edges(values: Sequence[float], bins: int) -> list[float]:
    ordered = sorted(values)
    edges = []
    for i in range(1, bins):
        edge = ordered[min(len(ordered) - 1, (i * len(ordered)) // bins)]
        if not edges or edge > edges[-1]:
            edges.append(edge)
    return edges


def _require(values: Sequence[float], what: str) -> None:
    if len(values) == 0:
        raise Unprocessable(f"{what} has no scores", code="no_scores")
    if any(isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) for v in values):
        raise Unprocessable(f"{what} must hold finite numbers", code="invalid_scores")


def score_distribution(scores: Sequence[float], bins: int | Sequence[float] = 10) -> list[Bucket]:
    """Count scores per bucket; ``bins`` is a bucket count (quantiles of ``scores``) or inner edges."""
    _require(scores, "scores")
    if isinstance(bins, int):
        if bins < 1:
            raise Unprocessable("bins must be at least 1", code="invalid_bins")
        edges = _quantile_edges(scores, bins)
    else:
        edges = list(bins)
        _require(edges or [0], "bin edges")
        if any(upper <= lower for lower, upper in zip(edges, edges[1:], strict=False)):
            raise Unprocessable("bin edges must be strictly increasing", code="invalid_bins")
    counts = [0] * (len(edges) + 1)
    for score in scores:
        counts[bisect_right(edges, score)] += 1
    bounds = [None, *edges, None]
    return [
        Bucket(lower=bounds[i], upper=bounds[i + 1], count=count, share=count / len(scores))
        for i, count in enumerate(counts)
    ]


def population_stability(expected: Sequence[float], actual: Sequence[float], bins: int = 10) -> float:
    """PSI of ``actual`` (live scores) against ``expected`` (training scores), on expected's quantiles."""
    _require(expected, "expected")
    _require(actual, "actual")
    if bins < 2:
        raise Unprocessable("bins must be at least 2", code="invalid_bins")
    edges = _quantile_edges(expected, bins)
    psi = 0.0
    for e, a in zip(score_distribution(expected, edges), score_distribution(actual, edges), strict=True):
        e_share, a_share = max(e.share, _FLOOR), max(a.share, _FLOOR)
        psi += (a_share - e_share) * math.log(a_share / e_share)
    return psi
