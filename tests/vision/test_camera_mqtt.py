"""A camera's snapshot over real MQTT (embedded amqtt and a private Mosquitto): only the camera may
publish on its snapshot topic, the ingestion worker keeps the picture, a face turns on the hallway
light after 22:00 and the owner is told; bad pictures are counted, never a crash of the worker."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.catalog import services as catalog
from millet.core.errors import NotFound
from millet.demo.data import DEVICE_MODELS
from millet.devices import services as devices
from millet.devices.models import Command
from millet.devices.mqtt import topics
from millet.devices.mqtt.broker import wait_for_sync
from millet.devices.mqtt.config import MAX_SNAPSHOT_BYTES
from millet.devices.mqtt.ingest import IngestWorker
from millet.devices.mqtt.simulator import Credentials, Simulator
from millet.devices.telemetry import services as telemetry
from millet.vision.fddb.synthetic import camera_frame
from millet.vision.models import Snapshot
from tests.devices.mqtt_fixtures import Device, Running, broker_fixture, wait_subscribed, wait_until  # noqa: F401
from tests.vision.conftest import jpeg

pytestmark = pytest.mark.django_db(transaction=True)


def provision(model_key: str, n: int = 1) -> list[devices.ProvisionedDevice]:
    urn, title, services = DEVICE_MODELS[model_key]
    try:
        catalog.get_device_model(urn)
    except NotFound:
        catalog.create_device_model(urn, title, {"services": services}, actor=SYSTEM)
    serials = [f"{model_key[:3].upper()}{uuid.uuid4().hex[:8].upper()}" for _ in range(n)]
    issued = devices.provision_batch(actor=SYSTEM, model_urn=urn, serials=serials, batch="T1")
    assert wait_for_sync(), "credentials did not reach the broker"
    return issued


def night_zone() -> str:
    """A fixed-offset zone where it is 23:00 now, so "after 22:00" holds whenever the test runs."""
    offset = (23 - datetime.now(UTC).hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


@pytest.fixture
def flat(transactional_db):
    """Alice's door camera and hallway light in a home where it is night; bob has a camera too."""
    devices.forget_specs()
    alice = get_user_model().objects.create_user(username="alice", password="x")
    bob = get_user_model().objects.create_user(username="bob", password="x")
    (cam,), (light,), (other,) = provision("camera"), provision("bulb"), provision("camera")
    for unit, owner in ((cam, alice), (light, alice), (other, bob)):
        devices.record_sale(order_number=f"CN1-{unit.serial}", customer_id=owner.pk, serials=[unit.serial])
        devices.set_presence(unit.device_id, True, timezone.now())
    actor = actor_for_user(alice)
    home = devices.create_home(actor, "Flat", night_zone())
    for unit in (cam, light):
        devices.place_device(actor, unit.device_id, home.pk)
    devices.create_automation(
        actor,
        home.pk,
        name="a face at the door after 22:00 turns on the hallway light",
        trigger_type="event",
        trigger={"device": cam.device_id, "event": "face-detected"},
        conditions=[{"type": "time", "after": "22:00", "before": "06:00"}],
        actions=[{"type": "set", "device": light.device_id, "props": {"on": True}}],
    )
    yield cam, light, other, alice
    devices.forget_specs()


def test_a_face_sent_over_mqtt_turns_on_the_light_and_bad_pictures_are_counted(broker, flat, astronaut):
    cam, light, other, alice = flat
    running = Running(lambda: IngestWorker(broker.host, broker.port, flush_seconds=0.02)).start()
    worker = running.thing
    # Subscribed, not only connected: a picture the broker routes before the SUBSCRIBE has no subscriber.
    wait_subscribed(running)
    camera = Device(broker, cam.device_id, cam.secret)
    intruder = Device(broker, other.device_id, other.secret)
    assert camera.connect() == 0 and intruder.connect() == 0
    mine = topics.topic(cam.device_id, "snapshot")
    # Another device cannot put a picture into this camera's history: the broker drops it.
    intruder.publish(mine, jpeg(astronaut))
    camera.publish(mine, b"\xff\xd8\xff\xe0 a JPEG cut short")  # corrupt
    camera.publish(mine, b"not a picture")
    camera.publish(mine, jpeg(astronaut))
    wait_until(lambda: Snapshot.objects.exists(), what="the snapshot")
    wait_until(lambda: Command.objects.exists(), what="the light's command")
    wait_until(lambda: worker.totals.dropped.total() >= 2, what="the bad pictures counted")
    running.stop()
    (snapshot,) = Snapshot.objects.all()
    assert (snapshot.device_id, snapshot.owner_id, snapshot.face_count) == (cam.device_id, alice.pk, 1)
    (command,) = Command.objects.all()
    assert (command.device.device_id, command.params["props"]) == (light.device_id, {"on": True})
    told = [n.message for n in devices.notifications_for(actor_for_user(alice))]
    assert told == [f"Camera {cam.device_id} saw 1 face."]
    assert dict(worker.totals.dropped) == {"snapshot_refused:corrupt_image": 1, "not_an_image": 1}
    stats = telemetry.ingest_stats()
    assert stats["snapshot_refused:corrupt_image"] == 1 and stats["not_an_image"] == 1
    camera.close()
    intruder.close()


def test_simulated_cameras_send_real_faces_and_take_a_picture_when_asked(broker, flat):
    cam, light, other, alice = flat
    worker = IngestWorker(broker.host, broker.port, flush_seconds=0.02, command_interval=0.1)
    # bob's camera uploads every 0.3 s; alice's only when she asks for a picture.
    periodic = Simulator(
        [Credentials(other.device_id, other.secret)],
        broker.host,
        broker.port,
        interval=3600,
        snapshot_interval=0.3,
    )
    on_demand = Simulator(
        [Credentials(cam.device_id, cam.secret)], broker.host, broker.port, interval=3600, snapshot_interval=0
    )
    stop = threading.Event()
    threads = [
        threading.Thread(target=t.run, args=(stop,), daemon=True) for t in (worker, periodic, on_demand)
    ]
    for thread in threads:
        thread.start()
    try:
        wait_until(
            lambda: Snapshot.objects.filter(device_id=other.device_id, face_count__gt=0).exists(),
            what="a face detected in a simulated camera's picture",
        )
        assert not Snapshot.objects.filter(device_id=cam.device_id).exists()
        wait_until(lambda: on_demand.connected == 1, what="alice's camera online")
        devices.request_action(actor_for_user(alice), cam.device_id, "take-snapshot", {})
        wait_until(
            lambda: Snapshot.objects.filter(device_id=cam.device_id).exists(), what="the asked picture"
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    # The pictures are the vision set's composites: the frame a camera sent is the one it made.
    first = Snapshot.objects.filter(device_id=cam.device_id).get()
    assert bytes(first.image) == camera_frame(cam.device_id, 0, max_bytes=MAX_SNAPSHOT_BYTES)[0]
    assert (first.width, first.height) == (640, 480) and on_demand.frames == 1
    assert periodic.ignored == on_demand.ignored == {}
