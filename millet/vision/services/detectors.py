"""Face detectors behind one interface: YuNet (the default) and OpenCV's Haar cascade (the baseline).

Both ship inside their wheels and run offline on a CPU; nothing is fetched at run time:

- **YuNet** through ``yuface``: libfacedetection (Shiqi Yu et al., BSD-3) with the network's weights
  compiled into the shared library of the cp311 wheel. It gives a box, a confidence and five
  landmarks per face.
- **Haar cascade** through ``opencv-python-headless`` < 5: Viola-Jones with Lienhart's
  ``haarcascade_frontalface_default.xml`` from ``cv2.data.haarcascades`` (OpenCV 5 no longer ships
  the cascade files). It gives a box; the score is a logistic of the last stage's weight.

A detector may run on a reduced frame (``max_side``): the image is shrunk so its longest side is at
most that many pixels, and the faces are scaled back. Speed and accuracy must then be measured at the
same setting (``bench/vision.py`` does).

Loaded once per process, safe with threads and forked workers: ``get_detector`` builds each detector
lazily under a lock, never at import, so a gunicorn master that forks never holds one; a forked child
forgets any inherited detector (``os.register_at_fork``) and loads its own. YuNet's C call keeps the
GIL (measured: two threads take as long as one after the other), so one shared instance is safe; its
lazily initialised parameter tables are filled by a warm-up call under the lock. OpenCV's
``CascadeClassifier`` keeps per-call state and releases the GIL, so each thread gets its own.
"""

from __future__ import annotations

import ctypes
import math
import os
import threading
from abc import ABC, abstractmethod

import cv2
import numpy as np

from millet.vision.services.faces import Box, Face, Point, ellipse_for

DEFAULT_DETECTOR = "yunet"
# Threads one detection may use. One by default: a web server runs a worker per core, and a second
# thread per call only makes the workers fight (libgomp's threads spin while they wait). A batch run
# in one process may set MILLET_VISION_THREADS to the number of cores.
THREADS = max(1, int(os.environ.get("MILLET_VISION_THREADS", "1")))
# 640 keeps a 640x480 camera frame whole; larger uploads are shrunk to it (see bench/vision.py).
DEFAULT_MAX_SIDE = 640


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)


def _recycle_large_allocations() -> None:
    """Keep large freed blocks in the heap instead of returning them to the kernel (glibc only).

    A detector allocates and frees megabytes of buffers on every call (libfacedetection's layers,
    OpenCV's image pyramid, the decoded frame). With glibc's defaults each is a fresh mmap: a YuNet
    call on 640 x 480 took about 4,800 page faults and 43 ms of CPU; served from the heap it takes 9
    faults and 35 ms (measured here). The cost: a worker keeps up to 256 MiB of freed memory for
    reuse instead of giving it back. Process-wide, set when a detector loads.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc: leave the allocator alone
        return
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024)  # glibc's largest allowed value on 64-bit
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024)


class FaceDetector(ABC):
    """Finds faces in an RGB image (``numpy.uint8`` array of shape (height, width, 3)).

    ``min_score`` drops faces scored below it (``detect``'s own argument overrides it); the FDDB
    runner passes 0 to keep every candidate for the ROC sweep.
    """

    name: str
    default_min_score: float

    def __init__(self, max_side: int | None = DEFAULT_MAX_SIDE) -> None:
        self.max_side = max_side
        cv2.setNumThreads(THREADS)  # OpenCV's resizing and cascade share the same budget
        _recycle_large_allocations()

    def detect(self, rgb: np.ndarray, min_score: float | None = None) -> list[Face]:
        """Faces sorted by descending score, in the coordinates of ``rgb``."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 image, got shape {rgb.shape} {rgb.dtype}")
        height, width = rgb.shape[:2]
        scale = 1.0
        if self.max_side and max(height, width) > self.max_side:
            scale = self.max_side / max(height, width)
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        threshold = self.default_min_score if min_score is None else min_score
        faces = [f for f in self._detect(rgb) if f.score >= threshold]
        if scale != 1.0:
            faces = [f.scaled(1 / scale) for f in faces]
        return sorted(faces, key=lambda f: -f.score)

    @abstractmethod
    def _detect(self, rgb: np.ndarray) -> list[Face]:
        """Every candidate the detector reports, any score."""


class YuNetDetector(FaceDetector):
    name = "yunet"
    default_min_score = 0.5

    def __init__(self, max_side: int | None = DEFAULT_MAX_SIDE) -> None:
        super().__init__(max_side)
        # yuface's wrapper filters by its own threshold and warns above 960 px; the C entry point
        # returns every candidate: rows of confidence (0-100), x, y, w, h, then five (x, y) landmarks.
        # Its OpenMP runtime (a private libgomp) reads its thread count once, when first loaded.
        os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
        from yuface.yuface import detect

        self._c_detect = detect
        self._c_detect(np.zeros((32, 32, 3), np.uint8))  # fills libfacedetection's parameter tables

    def _detect(self, rgb: np.ndarray) -> list[Face]:
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        faces = []
        for row in self._c_detect(bgr).tolist():
            box = Box(float(row[1]), float(row[2]), float(row[3]), float(row[4]))
            if box.width <= 0 or box.height <= 0:
                continue
            marks = tuple(Point(float(row[i]), float(row[i + 1])) for i in range(5, 15, 2))
            faces.append(Face(box, row[0] / 100.0, marks, ellipse_for(box, marks)))  # type: ignore[arg-type]
        return faces


class HaarDetector(FaceDetector):
    name = "haar"
    default_min_score = 0.5
    CASCADE = "haarcascade_frontalface_default.xml"
    # OpenCV's defaults for detectMultiScale; the minimum face is the cascade's 24x24 window.
    SCALE_FACTOR = 1.1
    MIN_NEIGHBORS = 3

    def __init__(self, max_side: int | None = DEFAULT_MAX_SIDE) -> None:
        super().__init__(max_side)
        self._path = os.path.join(cv2.data.haarcascades, self.CASCADE)
        self._local = threading.local()
        self._classifier()  # fail now, not on the first request, if the cascade file is missing

    def _classifier(self) -> cv2.CascadeClassifier:
        classifier = getattr(self._local, "classifier", None)
        if classifier is None:
            classifier = cv2.CascadeClassifier(self._path)
            if classifier.empty():
                raise RuntimeError(f"cannot load the Haar cascade {self._path}")
            self._local.classifier = classifier
        return classifier

    def _detect(self, rgb: np.ndarray) -> list[Face]:
        gray = cv2.equalizeHist(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
        boxes, _levels, weights = self._classifier().detectMultiScale3(
            gray, scaleFactor=self.SCALE_FACTOR, minNeighbors=self.MIN_NEIGHBORS, outputRejectLevels=True
        )
        faces = []
        weights = np.asarray(weights).ravel().tolist()
        for (x, y, w, h), weight in zip(np.asarray(boxes).tolist(), weights, strict=True):
            box = Box(float(x), float(y), float(w), float(h))
            faces.append(Face(box, 1.0 / (1.0 + math.exp(-weight)), None, ellipse_for(box)))
        return faces


DETECTORS: dict[str, type[FaceDetector]] = {"yunet": YuNetDetector, "haar": HaarDetector}

_loaded: dict[tuple[str, int | None], FaceDetector] = {}
_lock = threading.Lock()


def get_detector(name: str = DEFAULT_DETECTOR, max_side: int | None = DEFAULT_MAX_SIDE) -> FaceDetector:
    """This process's detector of that name and frame size, loaded on first use.

    Raises KeyError for an unknown name (callers validate names against ``DETECTORS`` first).
    """
    key = (name, max_side)
    detector = _loaded.get(key)
    if detector is None:
        with _lock:
            detector = _loaded.get(key)
            if detector is None:
                detector = _loaded[key] = DETECTORS[name](max_side)
    return detector


def _forget_after_fork() -> None:
    global _lock
    _loaded.clear()
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
