"""Regions as filled pixel masks the size of the image, drawn as FDDB's ``evaluate`` draws them.

The official program paints each region on an image-sized mask with OpenCV and counts pixels:

- an ellipse with ``cvEllipse(mask, cvPointFrom32f(centre), cvSize((int) a, (int) b), angle in
  degrees, 0, 360, value, CV_FILLED)``: the centre rounded, the radii truncated to integers;
- a rectangle with ``cvRectangle(mask, (x, y), (x + w, y + h), value, CV_FILLED)``: both corners
  rounded and both included, so ``0 0 10 10`` covers 11 x 11 pixels.

OpenCV draws the same pixels here (``cv2.ellipse`` and the inclusive rectangle), so overlaps are those
of the official tool. Each mask is kept only over its bounding box, clipped to the image: pixels
outside the image are never counted, exactly as on an image-sized mask, without allocating one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from millet.vision.fddb.formats import Rect, Shape


@dataclass(frozen=True)
class Mask:
    """``pixels`` (bool) covering rows ``top..top+h-1`` and columns ``left..left+w-1`` of the image."""

    top: int
    left: int
    pixels: np.ndarray

    @property
    def area(self) -> int:
        return int(self.pixels.sum())


EMPTY = Mask(0, 0, np.zeros((0, 0), bool))


def rasterize(shape: Shape, width: int, height: int) -> Mask:
    """The shape's pixels inside a ``width`` x ``height`` image."""
    if isinstance(shape, Rect):
        x0, x1 = sorted((round(shape.left), round(shape.left + shape.width)))
        y0, y1 = sorted((round(shape.top), round(shape.top + shape.height)))
        left, right = max(x0, 0), min(x1, width - 1)
        top, bottom = max(y0, 0), min(y1, height - 1)
        if left > right or top > bottom:
            return EMPTY
        return Mask(top, left, np.ones((bottom - top + 1, right - left + 1), bool))
    cx, cy = round(shape.center_x), round(shape.center_y)
    a, b = int(shape.major_axis_radius), int(shape.minor_axis_radius)
    reach = max(a, b) + 1  # the ellipse lies within this distance of its centre, at any angle
    left, right = max(cx - reach, 0), min(cx + reach, width - 1)
    top, bottom = max(cy - reach, 0), min(cy + reach, height - 1)
    if left > right or top > bottom:
        return EMPTY
    canvas = np.zeros((bottom - top + 1, right - left + 1), np.uint8)
    cv2.ellipse(canvas, (cx - left, cy - top), (a, b), math.degrees(shape.angle), 0, 360, 1, thickness=-1)
    return Mask(top, left, canvas.astype(bool))


def intersection(m1: Mask, m2: Mask) -> int:
    top, left = max(m1.top, m2.top), max(m1.left, m2.left)
    bottom = min(m1.top + m1.pixels.shape[0], m2.top + m2.pixels.shape[0])
    right = min(m1.left + m1.pixels.shape[1], m2.left + m2.pixels.shape[1])
    if top >= bottom or left >= right:
        return 0
    a = m1.pixels[top - m1.top : bottom - m1.top, left - m1.left : right - m1.left]
    b = m2.pixels[top - m2.top : bottom - m2.top, left - m2.left : right - m2.left]
    return int(np.count_nonzero(a & b))


def overlap_matrix(truths: list[Mask], detections: list[Mask]) -> np.ndarray:
    """Pixel intersection over union of every (truth, detection) pair: shape (len(truths), len(dets))."""
    scores = np.zeros((len(truths), len(detections)))
    for i, truth in enumerate(truths):
        for j, det in enumerate(detections):
            shared = intersection(truth, det)
            if shared:
                scores[i, j] = shared / (truth.area + det.area - shared)
    return scores
