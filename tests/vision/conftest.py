"""People, a demo camera bound to its owner in a home, and pictures with and without a face."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from PIL import Image

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.accounts.services import issue_token
from millet.catalog import services as catalog
from millet.core.errors import NotFound
from millet.demo.data import DEVICE_MODELS
from millet.devices import services as devices
from millet.devices.services import forget_specs
from tests.factories import make_member

# Where YuNet finds Eileen Collins's face in scikit-image's astronaut picture (512 x 512).
ASTRONAUT_FACE = (178, 62, 89, 112)


def jpeg(pixels: np.ndarray, **save) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90, **save)
    return out.getvalue()


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="session")
def face_jpeg(astronaut) -> bytes:
    return jpeg(astronaut)


@pytest.fixture(scope="session")
def blank_jpeg() -> bytes:
    return jpeg(np.full((120, 160, 3), 128, np.uint8))


@dataclass
class People:
    users: dict
    tokens: dict

    def actor(self, name: str):
        return actor_for_user(self.users[name])


@pytest.fixture
def people(db) -> People:
    User = get_user_model()
    users, tokens = {}, {}
    for name, staff in (("alice", False), ("bob", False), ("carol", False), ("staff", True)):
        users[name] = User.objects.create_user(username=name, password="pw-" + name, is_staff=staff)
        tokens[name] = issue_token(users[name])
    return People(users, tokens)


@dataclass
class Camera:
    device_id: str
    home_id: int
    serial: str
    secret: str


def provision_unit(model_key: str, serial: str) -> devices.ProvisionedDevice:
    """A unit of a demo model with its secret (the model is added to the catalog on first use)."""
    urn, title, services = DEVICE_MODELS[model_key]
    try:
        catalog.get_device_model(urn)
    except NotFound:
        catalog.create_device_model(urn, title, {"services": services}, actor=SYSTEM)
    (device,) = devices.provision_batch(actor=SYSTEM, model_urn=urn, serials=[serial], batch="B1")
    return device


def provision(model_key: str, serial: str) -> str:
    return provision_unit(model_key, serial).device_id


def bind(device_id: str, serial: str, owner) -> None:
    devices.record_sale(order_number="CN1-CAM", customer_id=owner.pk, serials=[serial])
    devices.set_presence(device_id, True, timezone.now())


@pytest.fixture
def camera(people, django_capture_on_commit_callbacks) -> Camera:
    """Alice's demo camera (the C360, with its face-detected event), in her flat, shared with bob."""
    forget_specs()
    unit = provision_unit("camera", "CAM-0001")
    device_id = unit.device_id
    with django_capture_on_commit_callbacks(execute=True):
        bind(device_id, "CAM-0001", people.users["alice"])
    alice = people.actor("alice")
    home = devices.create_home(alice, "Flat", "Asia/Shanghai")
    devices.place_device(alice, device_id, home.pk)
    make_member(alice, device_id, "bob", "read")
    yield Camera(device_id, home.pk, "CAM-0001", unit.secret)
    forget_specs()
