"""Camera snapshots: detection and storage for the owner, the face_detected event, who sees what,
retention per home, and the wipe when a unit changes hands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.devices import services as devices
from millet.devices.models import Command
from millet.vision import services as vision
from millet.vision.events import face_detected
from millet.vision.models import Snapshot
from tests.vision.conftest import bind, provision

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    seen = []

    def listen(sender, **kwargs):
        seen.append(kwargs)

    face_detected.connect(listen)
    yield seen
    face_detected.disconnect(listen)


def test_a_snapshot_with_a_face_is_kept_for_the_owner_and_announced(
    camera, people, face_jpeg, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        info = vision.record_snapshot(camera.device_id, face_jpeg)
    assert (info.face_count, info.width, info.height, info.detector) == (1, 512, 512, "yunet")
    stored = Snapshot.objects.get(pk=info.id)
    assert stored.owner_id == people.users["alice"].pk and stored.home_id == camera.home_id
    assert bytes(stored.image) == face_jpeg and stored.content_type == "image/jpeg"
    assert set(stored.faces[0]) == {"box", "score", "landmarks", "ellipse"}  # geometry only, no identity
    (event,) = events
    assert event["device_id"] == camera.device_id and event["snapshot_id"] == info.id
    assert event["event"] == "face-detected"
    assert event["args"] == {"face-count": 1, "face-score": round(info.best_score, 3)}


def test_a_snapshot_without_faces_is_kept_but_announces_nothing(
    camera, blank_jpeg, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        info = vision.record_snapshot(camera.device_id, blank_jpeg)
    assert (info.face_count, info.best_score, events) == (0, None, [])


def test_a_face_at_the_door_after_22_turns_on_the_hallway_light_and_tells_the_owner(
    camera, people, face_jpeg, django_capture_on_commit_callbacks
):
    light = provision("bulb", "BULB-0001")
    with django_capture_on_commit_callbacks(execute=True):
        bind(light, "BULB-0001", people.users["alice"])
    alice = people.actor("alice")
    devices.create_automation(
        alice,
        camera.home_id,
        name="face at the door at night",
        trigger_type="event",
        trigger={"device": camera.device_id, "event": "face-detected"},
        conditions=[{"type": "time", "after": "22:00", "before": "06:00"}],
        actions=[{"type": "set", "device": light, "props": {"on": True}}],
    )
    # The flat is in Shanghai (UTC+8): 07:00 UTC is 15:00 there, 15:00 UTC is 23:00.
    for hour in (7, 15):
        with django_capture_on_commit_callbacks(execute=True):
            vision.record_snapshot(
                camera.device_id, face_jpeg, taken_at=datetime(2026, 5, 1, hour, tzinfo=UTC)
            )
    (command,) = Command.objects.all()  # only the face seen at 23:00 local time
    assert command.params["props"] == {"on": True} and command.device.device_id == light
    told = [n.message for n in devices.notifications_for(alice)]
    assert told == [f"Camera {camera.device_id} saw 1 face."] * 2
    # Bob, a read-only member, was told of his invitation, never of what the owner's camera saw.
    assert told[0] not in [n.message for n in devices.notifications_for(people.actor("bob"))]


def test_only_bound_enabled_cameras_may_upload(camera, people, face_jpeg, django_capture_on_commit_callbacks):
    unsold = provision("camera", "CAM-0002")
    with pytest.raises(Conflict) as refused:
        vision.record_snapshot(unsold, face_jpeg)
    assert refused.value.code == "not_bound"
    plug = provision("plug", "PLUG-0001")
    with django_capture_on_commit_callbacks(execute=True):
        bind(plug, "PLUG-0001", people.users["alice"])
    with pytest.raises(Unprocessable) as not_camera:
        vision.record_snapshot(plug, face_jpeg)
    assert not_camera.value.code == "unknown_event"
    with pytest.raises(NotFound):
        vision.record_snapshot("d0000000000000000000", face_jpeg)
    with django_capture_on_commit_callbacks(execute=True):
        devices.revoke_device(people.actor("staff"), camera.device_id)
    with pytest.raises(Conflict) as revoked:
        vision.record_snapshot(camera.device_id, face_jpeg)
    assert revoked.value.code == "revoked"
    assert not Snapshot.objects.exists()


def test_a_bad_image_is_refused_and_nothing_is_stored(camera):
    with pytest.raises(Unprocessable) as refused:
        vision.record_snapshot(camera.device_id, b"\xff\xd8\xff garbage")
    assert refused.value.code == "corrupt_image"
    assert not Snapshot.objects.exists()


def test_the_owner_and_shared_members_see_snapshots_nobody_else_does(camera, people, face_jpeg):
    info = vision.record_snapshot(camera.device_id, face_jpeg)
    for name in ("alice", "bob"):
        (seen,) = vision.list_snapshots(people.actor(name), camera.device_id)
        assert seen.id == info.id and seen.faces[0]["landmarks"]
        assert vision.snapshot_image(people.actor(name), info.id) == ("image/jpeg", face_jpeg)
    for name in ("carol", "staff"):  # a stranger, and staff: the fleet, never the pictures
        with pytest.raises(NotFound):
            vision.list_snapshots(people.actor(name), camera.device_id)
        with pytest.raises(NotFound):
            vision.snapshot_image(people.actor(name), info.id)
    with pytest.raises(NotFound):
        vision.snapshot_image(people.actor("alice"), info.id + 1000)


def test_snapshot_routes(camera, people, face_jpeg):
    info = vision.record_snapshot(camera.device_id, face_jpeg)
    alice, carol = Client(), Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {people.tokens['alice']}"}
    listed = alice.get(f"/api/vision/devices/{camera.device_id}/snapshots", **auth)
    assert listed.status_code == 200 and [s["id"] for s in listed.json()] == [info.id]
    assert listed.json()[0]["faces"][0]["box"]["width"] > 0
    image = alice.get(f"/api/vision/snapshots/{info.id}/image", **auth)
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg" and image.content == face_jpeg
    other = {"HTTP_AUTHORIZATION": f"Bearer {people.tokens['carol']}"}
    assert carol.get(f"/api/vision/snapshots/{info.id}/image", **other).status_code == 404
    assert carol.get(f"/api/vision/devices/{camera.device_id}/snapshots", **other).status_code == 404


def test_retention_is_set_per_home_by_its_owner(camera, people):
    url = f"/api/vision/homes/{camera.home_id}/snapshot-retention"
    alice = {"HTTP_AUTHORIZATION": f"Bearer {people.tokens['alice']}"}
    bob = {"HTTP_AUTHORIZATION": f"Bearer {people.tokens['bob']}"}
    client = Client()
    assert client.get(url, **alice).json() == {"home_id": camera.home_id, "days": 7}
    changed = client.put(url, data={"days": 3}, content_type="application/json", **alice)
    assert changed.status_code == 200 and changed.json()["days"] == 3
    assert client.put(url, data={"days": 0}, content_type="application/json", **alice).status_code == 422
    assert client.put(url, data={"days": 3}, content_type="application/json", **bob).status_code == 404
    with pytest.raises(Unprocessable):
        vision.set_snapshot_retention(people.actor("alice"), camera.home_id, 366)


def test_purge_keeps_each_home_its_own_days(camera, people, face_jpeg, blank_jpeg):
    now = timezone.now()
    alice = people.actor("alice")
    vision.set_snapshot_retention(alice, camera.home_id, 3)
    for days in (1, 4):
        vision.record_snapshot(camera.device_id, blank_jpeg, taken_at=now - timedelta(days=days))
    other = provision("camera", "CAM-0009")  # no home: the default 7 days
    bind(other, "CAM-0009", people.users["carol"])
    for days in (4, 8):
        vision.record_snapshot(other, blank_jpeg, taken_at=now - timedelta(days=days))
    assert vision.purge_expired_snapshots(now) == 2
    kept = sorted((s.device_id, (now - s.taken_at).days) for s in Snapshot.objects.all())
    assert kept == sorted([(camera.device_id, 1), (other, 4)])
    call_command("purge_snapshots")  # the cron entry point: nothing more is due
    assert Snapshot.objects.count() == 2


@pytest.mark.parametrize("how", ["released", "returned", "resold"])
def test_snapshots_are_wiped_when_the_unit_changes_hands(
    camera, people, face_jpeg, django_capture_on_commit_callbacks, how
):
    vision.record_snapshot(camera.device_id, face_jpeg)
    with django_capture_on_commit_callbacks(execute=True):
        if how == "released":
            devices.release_device(people.actor("alice"), camera.device_id)
        elif how == "returned":
            devices.record_return(serials=[camera.serial])
        else:
            devices.record_sale(
                order_number="CN1-RESALE", customer_id=people.users["carol"].pk, serials=[camera.serial]
            )
    assert not Snapshot.objects.exists()


def test_snapshots_stay_out_of_the_back_office_pictures(camera, people, face_jpeg):
    info = vision.record_snapshot(camera.device_id, face_jpeg)
    client = Client()
    client.force_login(people.users["staff"])
    people.users["staff"].is_superuser = True
    people.users["staff"].save()
    listed = client.get("/admin/vision/snapshot/")
    assert listed.status_code == 200 and camera.device_id in listed.content.decode()
    page = client.get(f"/admin/vision/snapshot/{info.id}/change/")
    assert page.status_code == 200 and "image" not in [f.name for f in page.context["adminform"].form]
    assert client.get("/admin/vision/snapshot/add/").status_code == 403
    assert client.get("/admin/vision/snapshotretention/").status_code == 200


def test_faces_are_detected_never_identified(camera, face_jpeg):
    """No embedding, descriptor or identity is computed or kept: the tables have no place for one, and
    a stored face is its geometry and score, numbers only."""
    from django.apps import apps

    for model in apps.get_app_config("vision").get_models():
        names = {f.name for f in model._meta.get_fields()}
        assert not {n for n in names if any(w in n for w in ("embed", "descriptor", "identity", "person"))}
    assert {f.name for f in Snapshot._meta.get_fields()} == {
        "id", "device_id", "owner", "home", "taken_at", "content_type", "image", "width", "height",
        "detector", "face_count", "best_score", "faces",
    }  # fmt: skip
    vision.record_snapshot(camera.device_id, face_jpeg)
    (face,) = Snapshot.objects.get().faces
    assert set(face) == {"box", "score", "landmarks", "ellipse"}
    numbers = [face["score"], *face["box"].values(), *face["ellipse"].values()]
    numbers += [v for point in face["landmarks"] for v in point.values()]
    assert all(isinstance(n, int | float) for n in numbers) and len(numbers) == 1 + 4 + 5 + 10
