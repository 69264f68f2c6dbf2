"""HTTP routes of the vision domain; thin over ``millet.vision.services``.

``POST /detect`` is for staff and for apps holding an API token (any account's bearer token); a
signed-in customer's browser session is refused. Snapshots are for the camera's owner and the members
it is shared with. A camera uploads its own snapshots with its device credentials (HTTP Basic: device
id and secret, the same as its MQTT login), never with a person's session or token.
"""

from __future__ import annotations

from functools import wraps

from django.http import HttpResponse
from django.utils import timezone
from ninja import File, Query, Router, Status, UploadedFile
from ninja.decorators import decorate_view
from ninja.security import HttpBasicAuth

from millet.accounts.services import TokenOwner
from millet.core.errors import NotFound
from millet.devices.services import check_device_secret
from millet.vision import services
from millet.vision.schemas import (
    DetectionOut,
    DetectQuery,
    DeviceId,
    ObjectId,
    RetentionIn,
    RetentionOut,
    SnapshotOut,
    SnapshotPage,
)

router = Router(tags=["vision"])

MULTIPART_OVERHEAD = 64 * 1024  # a form's boundaries and part headers around the one image


def declared_size_first(run):
    """Refuse a body whose declared length is over the image limit (413 ``image_too_large``) before
    anything reads it: the authentication's CSRF check and the parameters would otherwise parse the
    whole multipart body, spooling any size to disk, before ``check_size`` saw the file."""

    @wraps(run)
    def checked(request, *args, **kwargs):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django reads such a body as empty
        try:
            services.check_size(max(declared - MULTIPART_OVERHEAD, 0))
        except services.ImageTooLarge as exc:
            return run.__self__.api.on_exception(request, exc)  # the API's own error body
        return run(request, *args, **kwargs)

    return checked


class CameraAuth(HttpBasicAuth):
    """A device's own login (HTTP Basic, device id and secret); ``request.auth`` is the device id.

    A revoked device's secret no longer matches (``check_device_secret``), so it gets a 401 too.
    """

    def authenticate(self, request, username: str, password: str) -> str | None:
        return username if check_device_secret(username, password) else None


@router.post(
    "/detect",
    response=DetectionOut,
    openapi_extra={
        "responses": {
            413: {"description": "image_too_large: over the byte limit"},
            415: {"description": "unsupported_image_type: not a JPEG or PNG"},
            422: {"description": "corrupt_image, empty_image or too_many_pixels"},
        }
    },
)
@decorate_view(declared_size_first)
def detect(request, image: File[UploadedFile], query: Query[DetectQuery]):
    """Faces in a JPEG or PNG (multipart field ``image``): box, score, landmarks, ellipse for each.

    Limits: 8 MiB, 24 megapixels and 10,000 pixels on a side (413 ``image_too_large``, 422
    ``too_many_pixels``, both checked before any pixel is decoded; a body declared over the byte
    limit is refused before it is read, whoever sends it); a corrupt image is a 422.
    """
    if not isinstance(request.auth, TokenOwner):
        request.actor.require_staff()
    services.check_size(image.size)  # before reading a byte of it
    found = services.detect_faces(image.read(), detector=query.detector, min_score=query.min_score)
    return {
        "detector": found.detector,
        "width": found.width,
        "height": found.height,
        "faces": [services.face_json(f) for f in found.faces],
    }


@router.post(
    "/devices/{device_id}/snapshots",
    auth=CameraAuth(),
    response={201: SnapshotOut},
    openapi_extra={
        "requestBody": {"content": {"image/jpeg": {}, "image/png": {}}},
        "responses": {
            401: {"description": "not this device's credentials (or the device is revoked)"},
            404: {"description": "unknown_device: the path names another device"},
            409: {"description": "not_bound: nobody owns the camera, so no picture is kept"},
            413: {"description": "image_too_large"},
            415: {"description": "unsupported_image_type: not a JPEG or PNG"},
            422: {"description": "corrupt_image, too_many_pixels; unknown_event: not a camera"},
        },
    },
)
def upload_snapshot(request, device_id: DeviceId):
    """A camera's picture (the request body, a JPEG or PNG): faces are detected, the snapshot is kept
    for the owner and a ``face-detected`` event drives the owner's automations."""
    if request.auth != device_id:
        raise NotFound(f"unknown device {device_id!r}", code="unknown_device")
    image = request.read(services.MAX_IMAGE_BYTES + 1)  # the stream, so Django's form-body cap is no 400
    services.check_size(len(image))
    return Status(201, services.record_snapshot(device_id, image, taken_at=timezone.now()))


@router.get("/devices/{device_id}/snapshots", response=list[SnapshotOut])
def list_snapshots(request, device_id: DeviceId, page: Query[SnapshotPage]):
    """The camera's snapshots, newest first, with the faces found in each."""
    return services.list_snapshots(request.actor, device_id, limit=page.limit, offset=page.offset)


@router.get(
    "/snapshots/{snapshot_id}/image",
    response={200: bytes},
    openapi_extra={"responses": {200: {"content": {"image/jpeg": {}, "image/png": {}}}}},
)
def snapshot_image(request, snapshot_id: ObjectId):
    content_type, data = services.snapshot_image(request.actor, snapshot_id)
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@router.get("/homes/{home_id}/snapshot-retention", response=RetentionOut)
def get_retention(request, home_id: ObjectId):
    return {"home_id": home_id, "days": services.snapshot_retention(request.actor, home_id)}


@router.put("/homes/{home_id}/snapshot-retention", response=RetentionOut)
def set_retention(request, home_id: ObjectId, payload: RetentionIn):
    """How many days (1 to 365) this home's cameras keep their snapshots; the owner only."""
    return {"home_id": home_id, "days": services.set_snapshot_retention(request.actor, home_id, payload.days)}
