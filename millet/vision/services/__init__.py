"""The vision domain's service functions: what the API, the admin, the commands and other domains call.

Faces are detected, never identified: no embedding, descriptor or identity is computed or stored.
"""

from millet.vision.services.detection import Detection, detect_faces
from millet.vision.services.detectors import (
    DEFAULT_DETECTOR,
    DEFAULT_MAX_SIDE,
    DETECTORS,
    FaceDetector,
    get_detector,
)
from millet.vision.services.faces import Box, Ellipse, Face, Point, ellipse_for
from millet.vision.services.images import (
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    MAX_IMAGE_SIDE,
    DecodedImage,
    ImageTooLarge,
    check_size,
    decode_image,
)
from millet.vision.services.snapshots import (
    FACE_EVENT,
    CameraInfo,
    SnapshotInfo,
    camera_for_viewer,
    delete_device_snapshots,
    face_json,
    list_cameras,
    list_snapshots,
    purge_expired_snapshots,
    record_snapshot,
    set_snapshot_retention,
    snapshot_image,
    snapshot_retention,
)

__all__ = [
    "FACE_EVENT",
    "CameraInfo",
    "SnapshotInfo",
    "camera_for_viewer",
    "delete_device_snapshots",
    "face_json",
    "list_cameras",
    "list_snapshots",
    "purge_expired_snapshots",
    "record_snapshot",
    "set_snapshot_retention",
    "snapshot_image",
    "snapshot_retention",
    "DEFAULT_DETECTOR",
    "DEFAULT_MAX_SIDE",
    "DETECTORS",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "MAX_IMAGE_SIDE",
    "Box",
    "DecodedImage",
    "ImageTooLarge",
    "Detection",
    "Ellipse",
    "Face",
    "FaceDetector",
    "Point",
    "check_size",
    "decode_image",
    "detect_faces",
    "ellipse_for",
    "get_detector",
]
