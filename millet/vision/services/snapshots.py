"""Camera snapshots: detect the faces, keep the picture for its owner, announce what was seen.

``record_snapshot(device_id, image)`` is the one call a camera's upload path needs (MQTT within the
message limit, or HTTP with the device's own credentials): it checks the device is a bound camera,
detects faces, stores the snapshot for the device's owner and, on commit, sends ``face_detected``.

Who sees a snapshot: the camera's owner and the members it is shared with (as the device cloud
decides, ``devices.device_for_viewer``), and only snapshots taken while the current owner held it.
Staff see the fleet's devices but never the pictures inside people's homes; to anyone else a snapshot
does not exist (404). Snapshots are kept for the home's retention (7 days unless set) and wiped with
the rest of the owner's data when the unit is released, returned or resold (``device_data_wiped``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.catalog import services as catalog
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.devices import services as devices
from millet.vision.events import face_detected
from millet.vision.models import (
    DEFAULT_RETENTION_DAYS,
    MAX_RETENTION_DAYS,
    Snapshot,
    SnapshotRetention,
)
from millet.vision.services.detection import Detection, detect_faces
from millet.vision.services.detectors import DEFAULT_DETECTOR
from millet.vision.services.faces import Face

FACE_EVENT = "face-detected"  # the camera spec's event, with arguments face-count and face-score
VIEWER_ROLES = ("owner", "control", "read")


@dataclass(frozen=True)
class SnapshotInfo:
    id: int
    device_id: str
    taken_at: datetime
    content_type: str
    width: int
    height: int
    detector: str
    face_count: int
    best_score: float | None
    faces: list[dict]


def face_json(face: Face) -> dict:
    """A face as stored and served: box, score, landmarks (or null) and ellipse, in pixels."""
    b, e = face.box, face.ellipse
    return {
        "box": {"x": b.x, "y": b.y, "width": b.width, "height": b.height},
        "score": face.score,
        "landmarks": None if face.landmarks is None else [{"x": p.x, "y": p.y} for p in face.landmarks],
        "ellipse": {
            "major_axis_radius": e.major_axis_radius,
            "minor_axis_radius": e.minor_axis_radius,
            "angle": e.angle,
            "center_x": e.center_x,
            "center_y": e.center_y,
        },
    }


def _info(snapshot: Snapshot, device_id: str) -> SnapshotInfo:
    return SnapshotInfo(
        snapshot.pk,
        device_id,
        snapshot.taken_at,
        snapshot.content_type,
        snapshot.width,
        snapshot.height,
        snapshot.detector,
        snapshot.face_count,
        snapshot.best_score,
        snapshot.faces,
    )


def _event_args(detection: Detection) -> dict:
    return {"face-count": len(detection.faces), "face-score": round(detection.best_score or 0.0, 3)}


def record_snapshot(
    device_id: str, image: bytes, *, taken_at: datetime | None = None, detector: str = DEFAULT_DETECTOR
) -> SnapshotInfo:
    """Detect faces in a camera's JPEG or PNG snapshot and keep it for the camera's owner.

    Raises ``NotFound`` (unknown device), ``Conflict`` (``revoked``; ``not_bound``: nobody owns the
    unit, so nobody may see its pictures and none is kept), ``Unprocessable`` (``unknown_event``: the
    device's model has no ``face-detected`` event, so it is not a camera) and the image errors of
    ``detect_faces`` (413, 415, 422). Sends ``events.face_detected`` on commit when a face was found.
    """
    device = devices.get_device(device_id)
    if not device.enabled:
        raise Conflict("device is revoked", code="revoked")
    if device.owner_id is None:
        raise Conflict("the camera has no owner; its snapshots are not kept", code="not_bound")
    devices.validate_event(device_id, FACE_EVENT, {})
    detection = detect_faces(image, detector=detector)
    args = _event_args(detection)
    devices.validate_event(device_id, FACE_EVENT, args)
    at = taken_at or timezone.now()
    with transaction.atomic():
        snapshot = Snapshot.objects.create(
            device_id=device_id,
            owner_id=device.owner_id,
            home_id=device.home_id,
            taken_at=at,
            content_type=detection.content_type,
            image=image,
            width=detection.width,
            height=detection.height,
            detector=detection.detector,
            face_count=len(detection.faces),
            best_score=detection.best_score,
            faces=[face_json(f) for f in detection.faces],
        )
        if detection.faces:
            # robust: a listener that fails is logged; it must not undo or repeat a committed upload
            # (the ingestion worker would retry its whole batch).
            transaction.on_commit(
                lambda: face_detected.send(
                    sender=Snapshot,
                    device_id=device_id,
                    snapshot_id=snapshot.pk,
                    event=FACE_EVENT,
                    args=args,
                    at=at,
                ),
                robust=True,
            )
    return _info(snapshot, device_id)


@dataclass(frozen=True)
class CameraInfo:
    device_id: str
    serial: str
    model_name: str  # the catalog's name of its model, e.g. "Mi Home Security Camera 360"
    role: str  # owner | control | read
    online: bool


def list_cameras(actor: Actor) -> list[CameraInfo]:
    """The cameras whose snapshots the actor may see: their own and those shared with them."""
    found = []
    for info in devices.list_devices(actor):
        if info.role in VIEWER_ROLES and info.owner_id is not None and devices.is_camera(info.device_id):
            name = catalog.get_device_model(info.model_urn).name
            found.append(CameraInfo(info.device_id, info.serial, name, info.role, info.online))
    return found


def camera_for_viewer(actor: Actor, device_id: str) -> CameraInfo:
    """One camera the actor may see (``NotFound`` for anyone else, and for a device that is no camera)."""
    info = _viewable(actor, device_id)
    if not devices.is_camera(device_id):
        raise NotFound(f"unknown device {device_id!r}", code="unknown_device")
    name = catalog.get_device_model(info.model_urn).name
    return CameraInfo(info.device_id, info.serial, name, info.role, info.online)


def _viewable(actor: Actor, device_id: str) -> devices.DeviceInfo:
    """The device if the actor is its owner or a member it is shared with; otherwise it is unknown."""
    info = devices.device_for_viewer(actor, device_id)
    if info.role not in VIEWER_ROLES or info.owner_id is None:
        raise NotFound(f"unknown device {device_id!r}", code="unknown_device")
    return info


def list_snapshots(actor: Actor, device_id: str, *, limit: int = 50, offset: int = 0) -> list[SnapshotInfo]:
    """The camera's snapshots visible to the actor, newest first (404 for anyone else)."""
    info = _viewable(actor, device_id)
    rows = (
        Snapshot.objects.filter(device_id=device_id, owner_id=info.owner_id)
        .defer("image")
        .order_by("-taken_at", "-pk")[offset : offset + limit]
    )
    return [_info(s, device_id) for s in rows]


def snapshot_image(actor: Actor, snapshot_id: int) -> tuple[str, bytes]:
    """``(content type, bytes)`` of a snapshot the actor may see (404 otherwise, guessed ids included)."""
    row = (
        Snapshot.objects.filter(pk=snapshot_id)
        .values_list("device_id", "owner_id", "content_type", "image")
        .first()
    )
    if row is None:
        raise NotFound("unknown snapshot", code="unknown_snapshot")
    device_id, owner_id, content_type, image = row
    try:
        info = _viewable(actor, device_id)
    except NotFound:
        raise NotFound("unknown snapshot", code="unknown_snapshot") from None
    if info.owner_id != owner_id:
        raise NotFound("unknown snapshot", code="unknown_snapshot")
    return content_type, bytes(image)


def set_snapshot_retention(actor: Actor, home_id: int, days: int) -> int:
    """The home's owner sets how many days its cameras' snapshots are kept (1 to 365)."""
    if not isinstance(days, int) or not 1 <= days <= MAX_RETENTION_DAYS:
        raise Unprocessable(f"days must be 1 to {MAX_RETENTION_DAYS}", code="invalid_retention")
    if home_id not in {h.pk for h in devices.list_homes(actor)}:
        raise NotFound("unknown home", code="unknown_home")
    SnapshotRetention.objects.update_or_create(home_id=home_id, defaults={"days": days})
    return days


def snapshot_retention(actor: Actor, home_id: int) -> int:
    if home_id not in {h.pk for h in devices.list_homes(actor)}:
        raise NotFound("unknown home", code="unknown_home")
    row = SnapshotRetention.objects.filter(home_id=home_id).values_list("days", flat=True).first()
    return row or DEFAULT_RETENTION_DAYS


def purge_expired_snapshots(now: datetime | None = None) -> int:
    """Delete snapshots older than their home's retention (7 days without a home or a setting).

    One DELETE per distinct retention in use, so the cost does not grow with the number of homes.
    Returns how many were deleted.
    """
    now = now or timezone.now()
    deleted = 0
    by_days: dict[int, list[int]] = {}
    for home_id, days in SnapshotRetention.objects.values_list("home_id", "days"):
        by_days.setdefault(days, []).append(home_id)
    custom = [h for homes in by_days.values() for h in homes]
    for days, homes in by_days.items():
        deleted += Snapshot.objects.filter(
            home_id__in=homes, taken_at__lt=now - timedelta(days=days)
        ).delete()[0]
    deleted += (
        Snapshot.objects.filter(Q(home__isnull=True) | ~Q(home_id__in=custom))
        .filter(taken_at__lt=now - timedelta(days=DEFAULT_RETENTION_DAYS))
        .delete()[0]
    )
    return deleted


def delete_device_snapshots(device_id: str) -> int:
    """Wipe every snapshot of the device (its owner's data goes when the unit changes hands)."""
    return Snapshot.objects.filter(device_id=device_id).delete()[0]


def on_device_data_wiped(sender, *, device_id: str, **kwargs) -> None:
    delete_device_snapshots(device_id)


def on_snapshot_received(sender, *, device_id: str, image: bytes, at: datetime, **kwargs) -> None:
    """A camera's upload (``devices.events.snapshot_received``): kept, or refused with a DomainError."""
    record_snapshot(device_id, image, taken_at=at)


def on_face_detected(sender, *, device_id: str, event: str, args: dict, at: datetime, **kwargs) -> None:
    """The device cloud records the camera's ``face-detected`` event (its owner's automations run on
    it) and the owner is told."""
    devices.record_event(device_id, event, args, at)
    count = args["face-count"]
    devices.notify_owner(device_id, f"Camera {device_id} saw {count} face{'s' if count != 1 else ''}.")
