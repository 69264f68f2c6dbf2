"""A world with a provisioned camera fleet and a demo-style camera model with actions and events."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.catalog import services as catalog
from millet.demo.data import DEVICE_MODELS
from millet.devices import services as devices
from millet.devices.services import forget_specs
from millet.inventory.models import SerialUnit
from millet.sales import services as sales

C300 = "urn:millet-spec:device:camera:c300:1"
C360 = DEVICE_MODELS["camera"][0]


@dataclass
class Fleet:
    world: object
    capture: object
    provisioned: dict[str, devices.ProvisionedDevice] = field(default_factory=dict)  # serial -> identity

    def sell(self, user: str, quantity: int = 1) -> list[devices.ProvisionedDevice]:
        """Alice (or bob) buys cameras on the web; fulfilment tells the device cloud the serials."""
        buyer = actor_for_user(self.world.users[user])
        with self.capture(execute=True):
            order = sales.place_order(
                buyer, market="CN", lines=[sales.LineRequest("CAM-C300", quantity)], payment_token="tok_ok"
            )
            sales.fulfil_order(SYSTEM, order.number)
        return [self.provisioned[s] for s in order.lines.get().units.values_list("serial", flat=True)]

    def actor(self, user: str):
        return actor_for_user(self.world.users[user])


@pytest.fixture(autouse=True)
def _fresh_specs():
    forget_specs()
    yield
    forget_specs()


@pytest.fixture
def fleet(world, django_capture_on_commit_callbacks) -> Fleet:
    """Every camera unit in stock gets its factory identity; sales signals run as in production."""
    serials = list(
        SerialUnit.objects.filter(sku__code="CAM-C300").order_by("pk").values_list("serial", flat=True)
    )
    with django_capture_on_commit_callbacks(execute=True):
        issued = devices.provision_batch(model_urn=C300, serials=serials, batch="B2017-01", actor=SYSTEM)
    return Fleet(
        world=world, capture=django_capture_on_commit_callbacks, provisioned={p.serial: p for p in issued}
    )


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (sales events, credential signals) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def c360(db):
    name, title, services = DEVICE_MODELS["camera"][0], DEVICE_MODELS["camera"][1], DEVICE_MODELS["camera"][2]
    return catalog.create_device_model(name, title, {"services": services}, actor=SYSTEM)
