"""Run a face detector over an FDDB-format set and write its detections in FDDB's format.

Each image goes through the same path as ``POST /api/vision/detect`` (``services.detect_faces``: the
same decoding, frame size and detector), keeping every candidate (score >= 0) so the evaluation can
sweep all thresholds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from millet.vision.fddb.dataset import IMAGE_EXTENSION, image_path
from millet.vision.fddb.formats import RECTANGLE, Fold, Rect, Scored, write_record
from millet.vision.services.detection import detect_faces
from millet.vision.services.detectors import DEFAULT_MAX_SIDE


def run_detector(
    folds: list[Fold],
    image_dir: Path,
    out: Path,
    *,
    detector: str,
    shape: str = RECTANGLE,
    max_side: int | None = DEFAULT_MAX_SIDE,
    extension: str = IMAGE_EXTENSION,
    progress: Callable[[], None] | None = None,
) -> int:
    """Write one detection file for every image of the folds, in fold order; returns the detections."""
    out.parent.mkdir(parents=True, exist_ok=True)
    total = 0
    with out.open("w") as stream:
        for fold in folds:
            for name in fold.images:
                data = image_path(image_dir, name, extension).read_bytes()
                faces = detect_faces(data, detector=detector, min_score=0.0, max_side=max_side).faces
                write_record(stream, name, [_region(face, shape) for face in faces])
                total += len(faces)
                if progress is not None:
                    progress()
    return total


def _region(face, shape: str) -> Scored:
    if shape == RECTANGLE:
        return Scored(Rect(face.box.x, face.box.y, face.box.width, face.box.height), face.score)
    return Scored(face.ellipse, face.score)
