"""The vision API's request and response shapes (pixels of the uploaded image, x right, y down)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema

from millet.core.pagination import MAX_OFFSET
from millet.core.types import WholeNumber

DetectorName = Literal["yunet", "haar"]
DeviceId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.:-]+$")]
ObjectId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class DetectQuery(Schema):
    detector: DetectorName = Field("yunet", description="YuNet (default) or the Haar cascade baseline.")
    min_score: Annotated[float | None, Field(ge=0, le=1)] = Field(
        None, description="Drop faces scored below this (default: the detector's own, 0.5)."
    )


class BoxOut(Schema):
    x: float = Field(description="Left edge, pixels.")
    y: float = Field(description="Top edge, pixels.")
    width: float
    height: float


class PointOut(Schema):
    x: float
    y: float


class EllipseOut(Schema):
    major_axis_radius: float
    minor_axis_radius: float
    angle: float = Field(description="Radians from +x toward +y (FDDB's convention); upright face: pi/2.")
    center_x: float
    center_y: float


class FaceOut(Schema):
    box: BoxOut
    score: float = Field(description="0 to 1; orders one detector's faces.")
    landmarks: list[PointOut] | None = Field(
        description="Right eye, left eye, nose tip, right and left mouth corners (YuNet); null for Haar."
    )
    ellipse: EllipseOut


class DetectionOut(Schema):
    detector: str
    width: int
    height: int
    faces: list[FaceOut]


class SnapshotOut(Schema):
    id: int
    device_id: str
    taken_at: datetime
    content_type: str
    width: int
    height: int
    detector: str
    face_count: int
    best_score: float | None
    faces: list[FaceOut]


class SnapshotPage(Schema):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0


class RetentionIn(Schema):
    days: Annotated[WholeNumber, Field(ge=1, le=365)]


class RetentionOut(Schema):
    home_id: int
    days: int
