"""An FDDB-format set on disk, paired with a detector's output, as evaluation cases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from millet.vision.fddb.evaluate import ImageCase
from millet.vision.fddb.formats import Fold, FormatError, Record, read_records

IMAGE_EXTENSION = ".jpg"  # FDDB's originalPics are JPEGs named by the list entry plus ".jpg"


def image_path(image_dir: Path, name: str, extension: str = IMAGE_EXTENSION) -> Path:
    return image_dir / f"{name}{extension}"


def image_size(path: Path) -> tuple[int, int]:
    """Width and height from the file's header, without decoding its pixels."""
    try:
        with Image.open(path) as image:
            return image.size
    except OSError as exc:
        raise FormatError(f"{path}: cannot read the image ({exc})") from None


def read_detections(path: Path, folds: list[Fold], shape: str) -> dict[str, Record]:
    """Detections by image name, from one file for all images or a directory of ``fold-xx-out.txt``
    files (the layout FDDB's ``runEvaluate.pl`` reads). Every image of the set must have its entry,
    as the original requires; an entry for an image outside the set is an error too."""
    files = [path] if path.is_file() else [path / f"fold-{f.number:02d}-out.txt" for f in folds]
    records: dict[str, Record] = {}
    for file in files:
        if not file.is_file():
            raise FormatError(f"{file}: no such detection file")
        with file.open() as stream:
            for record in read_records(stream, str(file), shape):
                if record.name in records:
                    raise FormatError(f"{file}: {record.name!r} appears twice")
                records[record.name] = record
    names = {name for fold in folds for name in fold.images}
    missing = [name for fold in folds for name in fold.images if name not in records]
    if missing:
        raise FormatError(f"{path}: no detections for {len(missing)} images, e.g. {missing[0]!r}")
    extra = sorted(set(records) - names)
    if extra:
        raise FormatError(f"{path}: detections for {len(extra)} images not in the set, e.g. {extra[0]!r}")
    return records


def cases(
    folds: list[Fold], detections: dict[str, Record], image_dir: Path, extension: str = IMAGE_EXTENSION
) -> Iterator[ImageCase]:
    """Every image of every fold, in fold order, with its size, faces and detections."""
    for fold in folds:
        for name in fold.images:
            width, height = image_size(image_path(image_dir, name, extension))
            yield ImageCase(name, width, height, fold.faces[name], detections[name].regions)
