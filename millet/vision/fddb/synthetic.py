"""A face-detection benchmark set in FDDB's format that anyone can rebuild offline, from a seed.

Faces come from photographs that ship inside packages: scikit-image's ``astronaut`` (Eileen Collins)
and ``camera`` (the cameraman), matplotlib's ``grace_hopper.jpg``, and the 100 face crops of
scikit-image's ``lfw_subset`` (Labeled Faces in the Wild, 25 x 25 pixels). Backgrounds are
scikit-image's other pictures (bricks, grass, gravel, coffee, coins, a rocket, the Hubble deep field,
a page of text, Chelsea the cat, ...), none with a human face.

Each face is cut out with a soft-edged mask around the head, then placed on a 640 x 480 background at
a chosen position, scale (face height 28 to 220 pixels), roll (mostly within 30 degrees), lighting
(gain and gamma), sometimes blurred, sometimes partly covered (a band over the eyes, a patch over the
mouth or one side); some images have no face. The ground truth is the face's ellipse in its source
photograph, annotated by hand in FDDB's style (chin to top of the forehead, cheek to cheek, the major
axis along the face) and carried through the same affine transform that placed the face, so it stays
exact at any scale and roll. ``previews`` draws the ellipses on a few images to check them by eye.

The same seed gives the same files: every image draws from its own generator seeded with
``(seed, index)``, and nothing else is random.
"""

from __future__ import annotations

import io
import math
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from millet.vision.fddb.formats import write_record
from millet.vision.services.faces import Ellipse

WIDTH, HEIGHT = 640, 480
IMAGE_DIR = "images"


@dataclass(frozen=True)
class FaceSource:
    """A face to paste: RGB pixels, a paste mask (0..1) around the head, and the face's ellipse."""

    name: str
    pixels: np.ndarray
    mask: np.ndarray
    face: Ellipse


# The face ellipses, annotated on the source photographs (pixel centres at integer coordinates):
# (major radius, minor radius, angle, centre x, centre y), then the head region to paste as an
# ellipse (centre x, centre y, half width, half height).
PORTRAITS = {
    "astronaut": (Ellipse(56.5, 41.0, 1.592, 224.0, 118.5), (224, 112, 80, 108)),
    "grace_hopper": (Ellipse(101.5, 86.0, 1.596, 267.0, 226.5), (266, 205, 135, 185)),
    "camera": (Ellipse(33.5, 26.5, 1.45, 226.5, 156.5), (218, 148, 58, 74)),
}
LFW_FACE = Ellipse(13.0, 10.0, math.pi / 2, 12.0, 12.5)  # the same in every 25 x 25 crop
BACKGROUNDS = (
    "brick",
    "grass",
    "gravel",
    "coffee",
    "chelsea",
    "rocket",
    "hubble_deep_field",
    "coins",
    "moon",
    "page",
    "text",
    "stereo_motorcycle",
    "retina",
    "immunohistochemistry",
    "logo",
    "horse",
    "cell",
    "clock",
)


def _rgb(pixels: np.ndarray) -> np.ndarray:
    if pixels.dtype != np.uint8:
        pixels = (np.clip(pixels, 0, 1) * 255).round().astype(np.uint8)
    if pixels.ndim == 2:
        return cv2.cvtColor(pixels, cv2.COLOR_GRAY2RGB)
    return np.ascontiguousarray(pixels[:, :, :3])


def _soft_ellipse(shape: tuple[int, int], cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    """1 inside the ellipse, fading to 0 over its outer eighth."""
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    r = np.sqrt(((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2)
    return np.clip((1.0 - r) * 8.0, 0.0, 1.0)


def _soft_square(size: int, border: float) -> np.ndarray:
    ramp = np.minimum(np.arange(size) + 0.5, size - 0.5 - np.arange(size)) / border
    line = np.clip(ramp, 0.0, 1.0).astype(np.float32)
    return np.minimum.outer(line, line)


@cache
def face_sources() -> tuple[FaceSource, ...]:
    """The faces that ship offline, loaded once per process."""
    import matplotlib
    from skimage import data

    photos = {
        "astronaut": data.astronaut(),
        "camera": data.camera(),
        "grace_hopper": np.asarray(
            Image.open(os.path.join(matplotlib.get_data_path(), "sample_data", "grace_hopper.jpg"))
        ),
    }
    sources = []
    for name, (face, (hx, hy, hw, hh)) in PORTRAITS.items():
        pixels = _rgb(photos[name])
        sources.append(FaceSource(name, pixels, _soft_ellipse(pixels.shape[:2], hx, hy, hw, hh), face))
    crops = data.lfw_subset()[:100]  # the first 100 are faces, the rest are not
    lfw_mask = _soft_square(25, 2.0)
    sources += [FaceSource(f"lfw_{i:03d}", _rgb(crop), lfw_mask, LFW_FACE) for i, crop in enumerate(crops)]
    return tuple(sources)


@cache
def backgrounds() -> tuple[np.ndarray, ...]:
    from skimage import data

    pictures = [getattr(data, name)() for name in BACKGROUNDS]
    return tuple(_rgb(p[0] if isinstance(p, tuple) else p) for p in pictures)  # stereo pairs: the left


def _background(rng: np.random.Generator) -> np.ndarray:
    source = backgrounds()[rng.integers(len(backgrounds()))]
    h, w = source.shape[:2]
    crop_w = int(min(w, h * 4 / 3) * rng.uniform(0.5, 1.0))
    crop_h = max(1, int(crop_w * 3 / 4))
    x, y = rng.integers(0, w - crop_w + 1), rng.integers(0, h - crop_h + 1)
    out = cv2.resize(source[y : y + crop_h, x : x + crop_w], (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        out = out[:, ::-1]
    return np.ascontiguousarray(out)


def _transform_ellipse(e: Ellipse, matrix: np.ndarray) -> Ellipse:
    """The ellipse under a similarity transform (rotation, uniform scale, translation)."""
    linear = matrix[:, :2]
    cx, cy = matrix @ np.array([e.center_x, e.center_y, 1.0])
    major = linear @ np.array([math.cos(e.angle), math.sin(e.angle)]) * e.major_axis_radius
    scale = math.sqrt(abs(np.linalg.det(linear)))
    return Ellipse(
        float(np.hypot(*major)),
        e.minor_axis_radius * scale,
        float(math.atan2(major[1], major[0])),
        float(cx),
        float(cy),
    )


def _lit(pixels: np.ndarray, gain: float, gamma: float) -> np.ndarray:
    return np.clip(255.0 * (gain * pixels.astype(np.float32) / 255.0) ** gamma, 0, 255)


@dataclass(frozen=True)
class Placement:
    """Where one face goes: ``matrix`` maps source pixels to image pixels; ``face`` is its ellipse."""

    source: FaceSource
    matrix: np.ndarray
    face: Ellipse
    head_box: tuple[float, float, float, float]  # left, top, right, bottom in the image


def _place(source: FaceSource, rng: np.random.Generator) -> Placement:
    lfw = source.name.startswith("lfw_")
    # Face height in pixels: a 640 x 480 home camera sees faces from about 28 pixels (across a room) up;
    # the 25-pixel LFW crops are not enlarged past 96 (they would be only blur).
    height = math.exp(rng.uniform(math.log(28), math.log(96 if lfw else 220)))
    scale = height / (2 * source.face.major_axis_radius)
    roll = rng.normal(0, 12) if rng.random() < 0.9 else rng.uniform(-45, 45)  # degrees
    cx = rng.uniform(height * 0.5, WIDTH - height * 0.5)
    cy = rng.uniform(height * 0.55, HEIGHT - height * 0.55)
    matrix = cv2.getRotationMatrix2D((source.face.center_x, source.face.center_y), roll, scale)
    matrix[:, 2] += (cx - source.face.center_x, cy - source.face.center_y)
    ys, xs = np.nonzero(source.mask > 0.05)
    corners = np.array(
        [[xs.min(), ys.min(), 1], [xs.max(), ys.min(), 1], [xs.min(), ys.max(), 1], [xs.max(), ys.max(), 1]],
        float,
    )
    mapped = corners @ matrix.T
    head = (mapped[:, 0].min(), mapped[:, 1].min(), mapped[:, 0].max(), mapped[:, 1].max())
    return Placement(source, matrix, _transform_ellipse(source.face, matrix), head)


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _occlude(canvas: np.ndarray, face: Ellipse, rng: np.random.Generator) -> None:
    """Cover part of the face: dark glasses over the eyes, a patch over the mouth, or one side."""
    up = np.array([math.cos(face.angle), math.sin(face.angle)])  # along the face, towards the chin
    across = np.array([-up[1], up[0]])
    a, b = face.major_axis_radius, face.minor_axis_radius
    centre = np.array([face.center_x, face.center_y])
    kind = rng.integers(3)
    if kind == 0:  # glasses: a band across the eye line, a third of the way up the face
        mid, half_up, half_across = centre - up * a * 0.25, a * 0.16, b * 1.0
    elif kind == 1:  # a mask or a hand over the mouth and chin
        mid, half_up, half_across = centre + up * a * 0.55, a * 0.45, b * 0.9
    else:  # something in front of one side of the face
        side = 1 if rng.random() < 0.5 else -1
        mid, half_up, half_across = centre + across * b * 0.6 * side, a * 1.1, b * 0.5
    corners = [
        mid + up * du * half_up + across * da * half_across for du, da in ((-1, -1), (-1, 1), (1, 1), (1, -1))
    ]
    colour = (
        tuple(int(c) for c in rng.integers(0, 90, size=3))
        if kind == 0
        else tuple(int(c) for c in rng.integers(40, 230, size=3))
    )
    cv2.fillPoly(canvas, [np.round(np.array(corners)).astype(np.int32)], colour, lineType=cv2.LINE_AA)


def _faces_in_image(rng: np.random.Generator) -> int:
    return int(rng.choice([0, 1, 2, 3, 4], p=[0.1, 0.4, 0.27, 0.15, 0.08]))


def render(seed: int, index: int) -> tuple[np.ndarray, list[Ellipse], int]:
    """Image ``index`` of the set for ``seed``: RGB pixels, its face ellipses, its JPEG quality."""
    rng = np.random.default_rng([seed, index])
    canvas = _background(rng).astype(np.float32) * rng.uniform(0.6, 1.2)
    sources = face_sources()
    placed: list[Placement] = []
    for _ in range(_faces_in_image(rng)):
        for _attempt in range(20):
            # A third of the faces are the portraits, the rest LFW crops (more identities).
            pool = sources[:3] if rng.random() < 0.35 else sources[3:]
            placement = _place(pool[rng.integers(len(pool))], rng)
            if not any(_overlaps(placement.head_box, p.head_box) for p in placed):
                placed.append(placement)
                break
    for p in placed:
        pixels = _lit(p.source.pixels, rng.uniform(0.55, 1.35), rng.uniform(0.65, 1.5))
        warped = cv2.warpAffine(pixels, p.matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
        mask = cv2.warpAffine(p.source.mask.astype(np.float32), p.matrix, (WIDTH, HEIGHT))[:, :, None]
        if rng.random() < 0.25:
            sigma = rng.uniform(0.8, 2.5)
            warped = cv2.GaussianBlur(warped, (0, 0), sigma)
        canvas = warped * mask + canvas * (1 - mask)
    for p in placed:
        if rng.random() < 0.15:
            _occlude(canvas, p.face, rng)
    if rng.random() < 0.3:
        canvas = canvas + rng.normal(0, rng.uniform(2, 8), canvas.shape)
    pixels = np.clip(canvas, 0, 255).round().astype(np.uint8)
    return pixels, [p.face for p in placed], int(rng.integers(70, 96))


def jpeg_bytes(pixels: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def camera_frame(device_id: str, index: int, *, max_bytes: int) -> tuple[bytes, list[Ellipse]]:
    """Frame ``index`` of a simulated camera: a 640 x 480 JPEG of at most ``max_bytes`` and its faces.

    The same picture as image ``index`` of the benchmark set whose seed is the device id's CRC-32, so a
    camera's frames are reproducible and their ground truth known. The quality is lowered (by 10, down
    to 30) until the JPEG fits; ``ValueError`` if even that does not fit.
    """
    pixels, faces, quality = render(zlib.crc32(device_id.encode()), index)
    while True:
        data = jpeg_bytes(pixels, quality)
        if len(data) <= max_bytes:
            return data, faces
        if quality <= 30:
            raise ValueError(f"a frame does not fit in {max_bytes} bytes")
        quality = max(30, quality - 10)


def on_camera_frame_wanted(sender, *, device_id: str, index: int, max_bytes: int, **kwargs) -> bytes:
    """``devices.events.camera_frame_wanted``: the simulated camera's next picture."""
    return camera_frame(device_id, index, max_bytes=max_bytes)[0]


@dataclass(frozen=True)
class MadeSet:
    folds: list[list[str]]  # each fold's image names
    faces: int
    empty: int  # images without a face


def make_set(
    out: Path,
    *,
    n: int,
    seed: int,
    folds: int = 10,
    previews: int = 0,
    progress: Callable[[], None] | None = None,
) -> MadeSet:
    """Write ``n`` images and ``folds`` fold lists with their ellipse lists into ``out``.

    Images are ``out/images/img_SSSS_NNNN.jpg`` (FDDB names without extension:
    ``images/img_SSSS_NNNN``); fold ``k`` holds a contiguous block of about n/folds images, as FDDB's
    ten folds do. The first ``previews`` images are also written to ``out/previews/`` as PNGs with their
    ellipses drawn.
    """
    if n < 1 or not 1 <= folds <= 99:
        raise ValueError("need at least one image and 1 to 99 folds")
    folds = min(folds, n)
    (out / IMAGE_DIR).mkdir(parents=True, exist_ok=True)
    bounds = [round(k * n / folds) for k in range(folds + 1)]
    names_by_fold, faces_total, empty = [], 0, 0
    for k in range(folds):
        names = []
        lists = out / f"FDDB-fold-{k + 1:02d}.txt", out / f"FDDB-fold-{k + 1:02d}-ellipseList.txt"
        with lists[0].open("w") as fold_list, lists[1].open("w") as ellipse_list:
            for index in range(bounds[k], bounds[k + 1]):
                name = f"{IMAGE_DIR}/img_{seed % 10000:04d}_{index:04d}"
                pixels, faces, quality = render(seed, index)
                (out / f"{name}.jpg").write_bytes(jpeg_bytes(pixels, quality))
                fold_list.write(name + "\n")
                write_record(ellipse_list, name, faces)
                if index < previews:
                    draw_preview(pixels, faces, out / "previews" / f"{Path(name).name}.png")
                names.append(name)
                faces_total += len(faces)
                empty += not faces
                if progress is not None:
                    progress()
        names_by_fold.append(names)
    return MadeSet(names_by_fold, faces_total, empty)


def draw_preview(pixels: np.ndarray, faces: list[Ellipse], path: Path) -> None:
    """The image with its ground-truth ellipses drawn, to check the annotation by eye."""
    canvas = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    for e in faces:
        centre = (round(e.center_x), round(e.center_y))
        axes = (round(e.major_axis_radius), round(e.minor_axis_radius))
        cv2.ellipse(canvas, centre, axes, math.degrees(e.angle), 0, 360, (0, 0, 255), 1, cv2.LINE_AA)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), canvas)
