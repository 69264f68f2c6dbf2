"""FDDB (Jain & Learned-Miller 2010): its file formats, its evaluation, a synthetic set builder.

A library without tables, used by ``millet fddb_eval``, ``millet fddb_run``, ``millet vision_make_set``
and ``bench/vision.py``.
"""

from millet.vision.fddb.dataset import cases, image_path, image_size, read_detections
from millet.vision.fddb.evaluate import ImageCase, Roc, RocPoint, evaluate
from millet.vision.fddb.formats import (
    ELLIPSE,
    RECTANGLE,
    Fold,
    FormatError,
    Rect,
    Scored,
    read_folds,
    read_records,
    write_record,
)
from millet.vision.fddb.report import plot_roc_svg, roc_lines, write_roc_files

__all__ = [
    "ELLIPSE",
    "RECTANGLE",
    "Fold",
    "FormatError",
    "ImageCase",
    "Rect",
    "Roc",
    "RocPoint",
    "Scored",
    "cases",
    "evaluate",
    "image_path",
    "image_size",
    "plot_roc_svg",
    "read_detections",
    "read_folds",
    "read_records",
    "roc_lines",
    "write_record",
    "write_roc_files",
]
