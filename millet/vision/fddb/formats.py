"""FDDB's text formats (the README of the FDDB-folds archive, Jain & Learned-Miller 2010).

A set directory holds, for each fold ``xx`` (01, 02, ...):

- ``FDDB-fold-xx.txt``: one image name per line, a path without extension (``2002/07/19/big/img_130``
  is the image ``2002/07/19/big/img_130.jpg`` under the image directory);
- ``FDDB-fold-xx-ellipseList.txt``: for each image of the fold, in order, its name, the number of
  faces, then one line per face: ``major_axis_radius minor_axis_radius angle center_x center_y 1``.

A detection file has the same layout with one line per detected face, either a rectangle
``left_x top_y width height detection_score`` or an ellipse
``major_axis_radius minor_axis_radius angle center_x center_y detection_score``.

Fields are separated by any run of spaces or tabs (the published lists use two spaces before the
final ``1``); blank lines between records are skipped. A malformed file raises ``FormatError`` naming
the file and line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from millet.vision.services.faces import Ellipse

FOLD_LIST = re.compile(r"^FDDB-fold-(\d+)\.txt$", re.IGNORECASE)
RECTANGLE, ELLIPSE = "rectangle", "ellipse"


class FormatError(ValueError):
    """A fold, annotation or detection file that does not follow FDDB's format."""


@dataclass(frozen=True)
class Rect:
    """A detected rectangle: ``left``, ``top`` of its corner, ``width``, ``height``, in pixels."""

    left: float
    top: float
    width: float
    height: float

    def taller(self, factor: float) -> Rect:
        """The rectangle with its height times ``factor``, about the same centre."""
        extra = self.height * (factor - 1)
        return Rect(self.left, self.top - extra / 2, self.width, self.height + extra)


Shape = Rect | Ellipse


@dataclass(frozen=True)
class Scored:
    """A detected region with the detector's score."""

    shape: Shape
    score: float


@dataclass(frozen=True)
class Record:
    """One image's entry in an annotation or detection file."""

    name: str
    regions: list


@dataclass(frozen=True)
class Fold:
    """One fold: its number and its images, in the fold file's order, with their annotated faces."""

    number: int
    images: list[str]
    faces: dict[str, list[Ellipse]]


def _numbers(line: str, count: int, where: str) -> list[float]:
    fields = line.split()
    if len(fields) != count:
        raise FormatError(f"{where}: expected {count} numbers, got {len(fields)}: {line.strip()!r}")
    try:
        values = [float(f) for f in fields]
    except ValueError:
        raise FormatError(f"{where}: not a number in {line.strip()!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise FormatError(f"{where}: numbers must be finite: {line.strip()!r}")
    return values


def _lines(stream: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


def read_records(stream: TextIO, source: str, shape: str) -> list[Record]:
    """Parse an ellipse list (``shape`` = ``"annotation"``) or a detection file (``RECTANGLE`` or
    ``ELLIPSE``) into records in file order."""
    fields = 5 if shape == RECTANGLE else 6
    lines = _lines(stream)
    records = []
    for number, name_line in lines:
        name = name_line.strip()
        where = f"{source}:{number}"
        count_entry = next(lines, None)
        if count_entry is None:
            raise FormatError(f"{where}: {name!r} has no face count line")
        count_line = count_entry[1].strip()
        if not count_line.isdigit():
            raise FormatError(f"{source}:{count_entry[0]}: expected the number of faces, got {count_line!r}")
        regions = []
        for _ in range(int(count_line)):
            entry = next(lines, None)
            if entry is None:
                raise FormatError(f"{source}: {name!r} ends before its {count_line} faces")
            values = _numbers(entry[1], fields, f"{source}:{entry[0]}")
            if shape == RECTANGLE:
                regions.append(Scored(Rect(*values[:4]), values[4]))
            else:
                major, minor, angle, cx, cy, last = values
                if major <= 0 or minor <= 0:
                    raise FormatError(f"{source}:{entry[0]}: ellipse radii must be positive")
                ellipse = Ellipse(major, minor, angle, cx, cy)
                regions.append(ellipse if shape == "annotation" else Scored(ellipse, last))
        records.append(Record(name, regions))
    return records


def read_image_list(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def fold_files(set_dir: Path) -> list[tuple[int, Path, Path]]:
    """``(fold number, image list, ellipse list)`` for every fold in ``set_dir`` (or its
    ``FDDB-folds`` subdirectory, as the FDDB archive unpacks), by fold number."""
    folder = set_dir / "FDDB-folds" if (set_dir / "FDDB-folds").is_dir() else set_dir
    found = []
    for path in folder.iterdir():
        match = FOLD_LIST.match(path.name)
        if match:
            ellipses = path.with_name(path.name[: -len(".txt")] + "-ellipseList.txt")
            if not ellipses.is_file():
                raise FormatError(f"{path}: no ellipse list {ellipses.name} beside it")
            found.append((int(match.group(1)), path, ellipses))
    if not found:
        raise FormatError(f"{folder}: no FDDB-fold-xx.txt files")
    return sorted(found)


def read_folds(set_dir: Path) -> list[Fold]:
    """Every fold of a set, with the annotation of each listed image (checked against the list)."""
    folds = []
    for number, list_path, ellipse_path in fold_files(set_dir):
        images = read_image_list(list_path)
        with ellipse_path.open() as stream:
            records = read_records(stream, str(ellipse_path), "annotation")
        if [r.name for r in records] != images:
            raise FormatError(f"{ellipse_path}: its images differ from {list_path.name} (names or order)")
        folds.append(Fold(number, images, {r.name: r.regions for r in records}))
    return folds


def format_number(value: float) -> str:
    """As C++ streams print a double by default (six significant digits), like FDDB's tools."""
    return f"{value:g}"


def write_record(stream: TextIO, name: str, regions: Iterable[Scored | Ellipse]) -> None:
    """Append one image's entry: scored rectangles or ellipses (a detection file), or bare ellipses
    (an ellipse list, each line ending in FDDB's ``  1``)."""
    regions = list(regions)
    stream.write(f"{name}\n{len(regions)}\n")
    for region in regions:
        shape = region.shape if isinstance(region, Scored) else region
        if isinstance(shape, Rect):
            values = [shape.left, shape.top, shape.width, shape.height]
        else:
            values = [
                shape.major_axis_radius,
                shape.minor_axis_radius,
                shape.angle,
                shape.center_x,
                shape.center_y,
            ]
        line = " ".join(f"{v:.6f}" for v in values)
        stream.write(f"{line} {region.score:.6f}\n" if isinstance(region, Scored) else f"{line}  1\n")
