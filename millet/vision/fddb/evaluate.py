"""FDDB's evaluation, as the official ``evaluate`` program computes it (Jain & Learned-Miller 2010).

For each image, detections are compared with the annotated ellipses by the pixel intersection over
union of their filled regions (``regions``). Then, for each distinct score ``t`` of the image's
detections, the detections scored ``>= t`` are matched one-to-one to the faces by a maximum-weight
bipartite matching on those overlaps (the original uses the Hungarian algorithm; SciPy's
``linear_sum_assignment`` solves the same problem). Rows and columns with no overlap at all are left
out, as the original does, and a pair joins the matching only if its overlap is above zero.

- discrete true positives: matched pairs with overlap > 0.5;
- continuous true positives: the sum of the overlaps of all matched pairs;
- false positives: detections scored ``>= t`` minus the discrete true positives.

The curve pools every image of every fold: at each threshold ``t`` among all distinct detection
scores, each image contributes its counts for the detections scored ``>= t`` (none, above its highest
score), and the true positive rate divides by all annotated faces. An image without detections adds
the threshold "none at all", which the original writes as the largest double (``DBL_MAX``).
"""

from __future__ import annotations

import bisect
import sys
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from millet.vision.fddb.formats import Rect, Scored
from millet.vision.fddb.regions import overlap_matrix, rasterize
from millet.vision.services.faces import Ellipse

MATCH_THRESHOLD = 0.5  # a discrete match needs overlap strictly above this (the original's ">")
NO_DETECTION = sys.float_info.max  # the threshold of an image with no detections, as the original writes it
PUBLISHED_HEIGHT_FACTOR = 1.2


@dataclass(frozen=True)
class ImageCase:
    """One image's annotated faces and detections, and its size in pixels."""

    name: str
    width: int
    height: int
    faces: list[Ellipse]
    detections: list[Scored]


@dataclass(frozen=True)
class Counts:
    threshold: float
    tp_discrete: int
    tp_continuous: float
    false_positives: int


@dataclass(frozen=True)
class RocPoint:
    threshold: float
    tpr_discrete: float
    tpr_continuous: float
    false_positives: int


@dataclass(frozen=True)
class Roc:
    """The pooled curve by ascending threshold (so descending false positives) over ``faces`` faces."""

    faces: int
    images: int
    points: list[RocPoint]

    def tpr_at(self, false_positives: int, *, continuous: bool = False) -> float:
        """The highest true positive rate reached with at most ``false_positives`` false positives
        (0 when even the strictest threshold makes more)."""
        rates = [
            p.tpr_continuous if continuous else p.tpr_discrete
            for p in self.points
            if p.false_positives <= false_positives
        ]
        return max(rates, default=0.0)

    @property
    def total_false_positives(self) -> int:
        return max((p.false_positives for p in self.points), default=0)


def image_counts(case: ImageCase, *, height_factor: float = 1.0) -> list[Counts]:
    """The counts at each distinct detection score of one image, ascending by threshold."""
    if not case.detections:
        return [Counts(NO_DETECTION, 0, 0.0, 0)]
    truths = [rasterize(face, case.width, case.height) for face in case.faces]
    shapes = [
        d.shape.taller(height_factor) if isinstance(d.shape, Rect) and height_factor != 1.0 else d.shape
        for d in case.detections
    ]
    overlaps = overlap_matrix(truths, [rasterize(s, case.width, case.height) for s in shapes])
    return counts_from_overlaps(overlaps, [d.score for d in case.detections])


def counts_from_overlaps(overlaps: np.ndarray, scores: list[float]) -> list[Counts]:
    """Counts at each distinct score, from the (faces x detections) overlap matrix and the scores."""
    scores = np.asarray(scores, dtype=float)
    counts = []
    for threshold in np.unique(scores):
        valid = scores >= threshold
        matched = _matched_overlaps(overlaps[:, valid])
        discrete = int(np.count_nonzero(matched > MATCH_THRESHOLD))
        counts.append(Counts(float(threshold), discrete, float(matched.sum()), int(valid.sum()) - discrete))
    return counts


def _matched_overlaps(overlaps: np.ndarray) -> np.ndarray:
    """The overlaps of the pairs in a maximum-weight one-to-one matching (pairs above zero only)."""
    rows = overlaps[overlaps.sum(axis=1) > 0]
    if rows.size == 0:
        return np.zeros(0)
    useful = rows[:, rows.sum(axis=0) > 0]
    r, c = linear_sum_assignment(useful, maximize=True)
    matched = useful[r, c]
    return matched[matched > 0]


def pool(per_image: list[list[Counts]], faces: int) -> Roc:
    """Merge images' counts into one curve, as the original's ``Results::merge`` does image by image."""
    thresholds = sorted({c.threshold for counts in per_image for c in counts})
    n = len(thresholds)
    # Each image adds its counts at its own threshold u over the global thresholds in (previous u, u].
    delta = np.zeros((n + 1, 3))
    for counts in per_image:
        start = 0
        for c in counts:
            end = bisect.bisect_right(thresholds, c.threshold)
            delta[start] += (c.tp_discrete, c.tp_continuous, c.false_positives)
            delta[end] -= (c.tp_discrete, c.tp_continuous, c.false_positives)
            start = end
    totals = np.cumsum(delta[:n], axis=0)
    points = [
        RocPoint(
            t,
            float(tp_disc / faces) if faces else 0.0,
            float(tp_cont / faces) if faces else 0.0,
            int(round(fp)),
        )
        for t, (tp_disc, tp_cont, fp) in zip(thresholds, totals, strict=True)
    ]
    return Roc(faces, len(per_image), points)


def evaluate(cases: Iterable[ImageCase], *, height_factor: float = 1.0, progress=None) -> Roc:
    """The pooled discrete and continuous ROC of detections against annotations.

    ``height_factor`` 1.2 makes every detected rectangle 20 % taller about its centre before matching,
    as the published FDDB curves of rectangle detectors (Viola-Jones and others) were computed; the
    official program itself leaves rectangles as given. ``progress``, if given, is called once per image.
    """
    per_image, faces = [], 0
    for case in cases:
        per_image.append(image_counts(case, height_factor=height_factor))
        faces += len(case.faces)
        if progress is not None:
            progress()
    return pool(per_image, faces)
