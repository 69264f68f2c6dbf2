"""What a face detection is: a box, a score, five landmarks where the detector gives them, an ellipse.

Coordinates are pixels of the image as uploaded (after its EXIF orientation is applied), x to the
right and y down, origin at the top-left corner of the top-left pixel.

The ellipse follows FDDB's annotation format (Jain & Learned-Miller 2010): ``major_axis_radius``,
``minor_axis_radius``, ``angle`` (radians, the direction of the major axis measured from the +x axis
toward +y, as FDDB's ``evaluate`` hands it to OpenCV's ``cvEllipse``), ``center_x``, ``center_y``.
FDDB draws the major axis along the face from chin to forehead, so an upright face has angle pi/2.

How a detector's box becomes an ellipse (``ellipse_for``): the face's up axis is perpendicular to the
line through the two eyes when landmarks are known (its roll), and vertical otherwise. The ellipse is
the one, with its major axis along that up axis and its centre at the box centre, whose axis-aligned
bounding box is the detector's box: detectors are trained on axis-aligned boxes around the face, so
the box is read as the bounding box of the face's ellipse. For an upright face that is the ellipse
inscribed in the box. When no ellipse with that roll fits the box (a roll near 45 degrees, or a box
far from the face's proportions), the inscribed ellipse is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True)
class Box:
    """Axis-aligned: ``x``, ``y`` is the top-left corner; ``width`` and ``height`` in pixels."""

    x: float
    y: float
    width: float
    height: float

    @property
    def center(self) -> Point:
        return Point(self.x + self.width / 2, self.y + self.height / 2)

    def scaled(self, factor: float) -> Box:
        return Box(self.x * factor, self.y * factor, self.width * factor, self.height * factor)


@dataclass(frozen=True)
class Ellipse:
    """FDDB's ellipse: radii in pixels, ``angle`` of the major axis in radians from +x toward +y."""

    major_axis_radius: float
    minor_axis_radius: float
    angle: float
    center_x: float
    center_y: float

    def bounding_box(self) -> Box:
        """The axis-aligned box that just contains the ellipse."""
        cos, sin = math.cos(self.angle), math.sin(self.angle)
        a, b = self.major_axis_radius, self.minor_axis_radius
        half_w = math.sqrt((a * cos) ** 2 + (b * sin) ** 2)
        half_h = math.sqrt((a * sin) ** 2 + (b * cos) ** 2)
        return Box(self.center_x - half_w, self.center_y - half_h, 2 * half_w, 2 * half_h)


@dataclass(frozen=True)
class Face:
    """One detected face. ``score`` is in [0, 1] and orders detections of one detector; for YuNet it
    is the network's confidence, for the Haar cascade a logistic of the last stage's weight (an
    ordering, not a probability). ``landmarks``: right eye, left eye, nose tip, right and left mouth
    corners (the subject's right and left, YuNet's order), or None when the detector gives none."""

    box: Box
    score: float
    landmarks: tuple[Point, Point, Point, Point, Point] | None
    ellipse: Ellipse

    def scaled(self, factor: float) -> Face:
        """The same face in an image ``factor`` times as large (a detector ran on a resized frame)."""
        e = self.ellipse
        return Face(
            box=self.box.scaled(factor),
            score=self.score,
            landmarks=None
            if self.landmarks is None
            else tuple(Point(p.x * factor, p.y * factor) for p in self.landmarks),  # type: ignore[arg-type]
            ellipse=Ellipse(
                e.major_axis_radius * factor,
                e.minor_axis_radius * factor,
                e.angle,
                e.center_x * factor,
                e.center_y * factor,
            ),
        )


UPRIGHT = math.pi / 2
# Past this roll the bounding-box equations are too ill-conditioned to trust (they are singular at 45°).
MAX_ROLL = math.radians(40)


def roll_from_landmarks(landmarks: tuple[Point, ...]) -> float:
    """The face's in-plane rotation: the angle of the line from the right eye to the left eye."""
    right_eye, left_eye = landmarks[0], landmarks[1]
    return math.atan2(left_eye.y - right_eye.y, left_eye.x - right_eye.x)


def ellipse_for(box: Box, landmarks: tuple[Point, ...] | None = None) -> Ellipse:
    """The face ellipse for a detector's box (see the module docstring for the rule)."""
    center = box.center
    half_w, half_h = box.width / 2, box.height / 2
    inscribed = Ellipse(
        max(half_h, half_w), min(half_h, half_w), UPRIGHT if half_h >= half_w else 0.0, center.x, center.y
    )
    if landmarks is None:
        return inscribed
    roll = roll_from_landmarks(landmarks)
    if abs(roll) > MAX_ROLL:
        return inscribed
    # The bounding box of an ellipse with radius a along the up axis (rolled by r from vertical) and b
    # across it: half_w^2 = a^2 sin^2 r + b^2 cos^2 r, half_h^2 = a^2 cos^2 r + b^2 sin^2 r.
    c2, s2 = math.cos(roll) ** 2, math.sin(roll) ** 2
    det = c2 - s2  # cos 2r, > 0 below 45 degrees
    a2 = (half_h**2 * c2 - half_w**2 * s2) / det
    b2 = (half_w**2 * c2 - half_h**2 * s2) / det
    if a2 <= 0 or b2 <= 0:
        return inscribed
    a, b = math.sqrt(a2), math.sqrt(b2)
    if a >= b:
        return Ellipse(a, b, UPRIGHT + roll, center.x, center.y)
    return Ellipse(b, a, roll, center.x, center.y)
