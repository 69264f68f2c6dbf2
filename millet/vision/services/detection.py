"""Faces in an uploaded image: decode within the limits, run a detector, answer in the image's pixels."""

from __future__ import annotations

from dataclasses import dataclass

from millet.core.errors import Unprocessable
from millet.vision.services.detectors import DEFAULT_DETECTOR, DEFAULT_MAX_SIDE, DETECTORS, get_detector
from millet.vision.services.faces import Face
from millet.vision.services.images import decode_image


@dataclass(frozen=True)
class Detection:
    """``width``/``height``: the image's size in pixels; ``faces`` by descending score, in its pixels."""

    detector: str
    width: int
    height: int
    content_type: str
    faces: list[Face]

    @property
    def best_score(self) -> float | None:
        return self.faces[0].score if self.faces else None


def detect_faces(
    data: bytes,
    *,
    detector: str = DEFAULT_DETECTOR,
    min_score: float | None = None,
    max_side: int | None = DEFAULT_MAX_SIDE,
) -> Detection:
    """Detect faces in a JPEG or PNG.

    ``min_score`` in [0, 1] drops weaker faces (default: the detector's own, 0.5); ``max_side`` is the
    longest side of the frame the detector works on (``detectors.DEFAULT_MAX_SIDE``). Raises the errors
    of ``images.decode_image`` (413, 415, 422) and ``Unprocessable`` (``unknown_detector``,
    ``invalid_min_score``).
    """
    if detector not in DETECTORS:
        raise Unprocessable(
            f"unknown detector {detector!r}; choose one of {sorted(DETECTORS)}", code="unknown_detector"
        )
    if min_score is not None and not 0.0 <= min_score <= 1.0:
        raise Unprocessable("min_score must be between 0 and 1", code="invalid_min_score")
    found = get_detector(detector, max_side)
    image = decode_image(data, max_side=found.max_side)
    faces = found.detect(image.pixels, min_score=min_score)
    if image.scale != 1.0:
        faces = [f.scaled(1 / image.scale) for f in faces]
    return Detection(detector, image.width, image.height, image.content_type, faces)
