"""A camera uploads its snapshot over HTTP with its own credentials; bad input is a precise 4xx."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from millet.devices import services as devices
from millet.vision.models import Snapshot
from millet.vision.services import MAX_IMAGE_BYTES
from tests.vision.conftest import bind, provision_unit

pytestmark = pytest.mark.django_db


def url(device_id: str) -> str:
    return f"/api/vision/devices/{device_id}/snapshots"


def upload(device_id: str, image: bytes, *, login: tuple[str, str] | None, content_type="image/jpeg"):
    headers = {}
    if login is not None:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(":".join(login).encode()).decode()
    return Client().post(url(device_id), image, content_type=content_type, **headers)


def test_a_camera_uploads_with_its_own_credentials_and_the_owner_is_told(
    camera, people, face_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(camera.device_id, face_jpeg, login=(camera.device_id, camera.secret))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["device_id"], body["face_count"], body["width"]) == (camera.device_id, 1, 512)
    assert Snapshot.objects.get(pk=body["id"]).owner_id == people.users["alice"].pk
    told = [n.message for n in devices.notifications_for(people.actor("alice"))]
    assert told == [f"Camera {camera.device_id} saw 1 face."]


def test_wrong_credentials_a_person_or_another_device_are_refused(camera, people, face_jpeg):
    assert upload(camera.device_id, face_jpeg, login=None).status_code == 401
    assert upload(camera.device_id, face_jpeg, login=(camera.device_id, "guess")).status_code == 401
    # A person's API token or browser session is not a camera's login.
    token = Client().post(
        url(camera.device_id),
        face_jpeg,
        content_type="image/jpeg",
        HTTP_AUTHORIZATION=f"Bearer {people.tokens['alice']}",
    )
    assert token.status_code == 401
    browser = Client()
    browser.force_login(people.users["alice"])
    assert browser.post(url(camera.device_id), face_jpeg, content_type="image/jpeg").status_code == 401
    # Another camera's credentials cannot put a picture into this camera's history.
    other = provision_unit("camera", "CAM-0009")
    response = upload(camera.device_id, face_jpeg, login=(other.device_id, other.secret))
    assert (response.status_code, response.json()["error"]) == (404, "unknown_device")
    assert not Snapshot.objects.exists()


def test_bad_pictures_and_devices_get_precise_answers(
    camera, people, face_jpeg, django_capture_on_commit_callbacks
):
    login = (camera.device_id, camera.secret)
    for image, status, code in (
        (face_jpeg[:200], 422, "corrupt_image"),
        (b"GIF89a" + b"\0" * 100, 415, "unsupported_image_type"),
        (b"", 422, "empty_image"),
        (b"\xff\xd8\xff" + b"\0" * MAX_IMAGE_BYTES, 413, "image_too_large"),
    ):
        response = upload(camera.device_id, image, login=login)
        assert (response.status_code, response.json()["error"]) == (status, code)
    unsold = provision_unit("camera", "CAM-0002")  # nobody owns it: its pictures are not kept
    response = upload(unsold.device_id, face_jpeg, login=(unsold.device_id, unsold.secret))
    assert (response.status_code, response.json()["error"]) == (409, "not_bound")
    plug = provision_unit("plug", "PLUG-0001")
    with django_capture_on_commit_callbacks(execute=True):
        bind(plug.device_id, "PLUG-0001", people.users["alice"])
    response = upload(plug.device_id, face_jpeg, login=(plug.device_id, plug.secret))
    assert (response.status_code, response.json()["error"]) == (422, "unknown_event")
    assert not Snapshot.objects.exists()
