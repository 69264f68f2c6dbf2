"""The owner's camera pages: the snapshots with a box drawn per face, for the owner and the members the
camera is shared with; a 404 for everyone else, staff included."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from millet.vision import services as vision

pytestmark = pytest.mark.django_db


def signed_in(people, name: str) -> Client:
    client = Client()
    client.force_login(people.users[name])
    return client


def test_the_owner_sees_each_snapshot_with_its_face_boxes(camera, people, face_jpeg, blank_jpeg):
    with_face = vision.record_snapshot(camera.device_id, face_jpeg)
    vision.record_snapshot(camera.device_id, blank_jpeg)
    for name in ("alice", "bob"):  # the owner, and bob, whom she shared the camera with
        client = signed_in(people, name)
        listing = client.get("/cameras/").content.decode()
        assert "Mi Home Security Camera 360" in listing and f"/cameras/{camera.device_id}/" in listing
        page = client.get(f"/cameras/{camera.device_id}/")
        html = page.content.decode()
        assert page.status_code == 200
        assert "1 face found" in html and "No face found" in html
        (rect,) = re.findall(
            r"<rect class=\"snapshot__face\"[^>]*>", html
        )  # one face, one box, in the picture's pixels
        box = with_face.faces[0]["box"]
        assert f'x="{box["x"]:.1f}"' in rect and f'width="{box["width"]:.1f}"' in rect
        picture = client.get(f"/cameras/snapshots/{with_face.id}/image")
        assert picture.status_code == 200 and picture.content == face_jpeg
        assert picture["Content-Type"] == "image/jpeg" and "private" in picture["Cache-Control"]


def test_anyone_else_gets_a_404_and_strangers_are_sent_to_sign_in(camera, people, face_jpeg):
    shot = vision.record_snapshot(camera.device_id, face_jpeg)
    for name in ("carol", "staff"):
        client = signed_in(people, name)
        assert camera.device_id not in client.get("/cameras/").content.decode()
        assert client.get(f"/cameras/{camera.device_id}/").status_code == 404
        assert client.get(f"/cameras/snapshots/{shot.id}/image").status_code == 404
    alice = signed_in(people, "alice")
    assert alice.get("/cameras/nosuchdevice/").status_code == 404
    assert alice.get(f"/cameras/snapshots/{shot.id + 1}/image").status_code == 404
    anonymous = Client().get(f"/cameras/{camera.device_id}/")
    assert anonymous.status_code == 302 and "/account/" in anonymous["Location"]
