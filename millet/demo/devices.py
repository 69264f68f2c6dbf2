"""The demo company's device cloud: sold connected units with identities, owners and some history.

Built only through services: the demo customer buys a small smart home (camera, plug, bulb, purifier)
like any shopper; then the most recent sold connected units get identities, switch on once (which
binds them to their buyers, on the day they were delivered) and go offline until the simulator
plays them from the manifest.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.core.errors import DomainError
from millet.demo.data import DEVICE_MODELS, PRODUCTS
from millet.devices import services
from millet.devices.manifest import default_manifest_path, write_manifest
from millet.sales import services as sales

DEMO_HOME_SKUS = ("CAM360", "PLUG-WIFI", "YEELIGHT-C", "PURIFIER2")
BATCHES = ("B201701", "B201702", "B201703")


@dataclass
class DeviceDemo:
    devices: int = 0
    owned_by_demo_customer: list[str] = field(default_factory=list)
    manifest: Path | None = None


def connected_skus() -> dict[str, str]:
    """SKU code -> device model URN for every connected product of the demo catalog."""
    return {
        code: DEVICE_MODELS[model][0]
        for _slug, _name, _category, model, _serialized, variants in PRODUCTS
        if model
        for code, *_ in variants
    }


def _buy_smart_home(customer) -> str | None:
    try:
        with transaction.atomic():
            order = sales.place_order(
                actor_for_user(customer),
                market="CN",
                lines=[sales.LineRequest(code, 1) for code in DEMO_HOME_SKUS],
                payment_token="tok_ok",
                shipping_city="Beijing",
            )
            sales.fulfil_order(SYSTEM, order.number)
        return order.number
    except DomainError:
        return None  # sold out in this seed: the demo customer simply owns fewer devices


def _sold_units(max_devices: int, first: str | None) -> list[tuple[str, str, int, object]]:
    """(serial, model URN, customer id, delivered at) of recent sold connected units, first order first."""
    models = connected_skus()
    numbers = services.recently_sold_orders(max_devices * 2)
    if first:
        numbers = [first, *[n for n in numbers if n != first]]
    units: list[tuple[str, str, int, object]] = []
    for number in dict.fromkeys(numbers):
        sold = sales.sold_units(SYSTEM, number)
        codes = sales.sku_codes(unit.sku_id for unit in sold)
        units += [
            (unit.serial, models[codes[unit.sku_id]], unit.customer_id, unit.ordered_at)
            for unit in sold
            if codes[unit.sku_id] in models
        ]
        if len(units) >= max_devices:
            break
    return units[:max_devices]


def build_device_demo(
    customer, rng: random.Random, *, max_devices: int = 120, manifest: Path | None = None
) -> DeviceDemo:
    """Provision, activate and bind the demo's sold connected units; write the simulator's manifest."""
    demo = DeviceDemo()
    first = _buy_smart_home(customer)
    units = _sold_units(max_devices, first)
    issued: list[services.ProvisionedDevice] = []
    with transaction.atomic():
        by_model: dict[tuple[str, str], list[str]] = {}
        for serial, urn, _customer, _at in units:
            by_model.setdefault((urn, rng.choice(BATCHES)), []).append(serial)
        for (urn, batch), serials in sorted(by_model.items()):
            issued += services.provision_batch(model_urn=urn, serials=serials, batch=batch, actor=SYSTEM)
        ids = {p.serial: p.device_id for p in issued}
        latest = timezone.now() - timedelta(minutes=10)
        for serial, _urn, _customer, delivered in units:
            switched_on = min(delivered + timedelta(hours=rng.randint(2, 72)), latest)
            services.set_presence(ids[serial], True, switched_on)
            services.set_presence(ids[serial], False, switched_on + timedelta(minutes=rng.randint(1, 9)))
        # Bound by their first connection (sales events arrive on commit, so a build inside an
        # uncommitted transaction, as in tests, binds nothing and the home stays empty).
        owned = services.list_devices(actor_for_user(customer))
        demo.owned_by_demo_customer = [d.device_id for d in owned if d.role == "owner"]
        _demo_home(customer, demo.owned_by_demo_customer)
    demo.devices = len(issued)
    demo.manifest = manifest or default_manifest_path()
    mine = set(demo.owned_by_demo_customer)  # first, so a simulator run of the first N plays them
    write_manifest(demo.manifest, sorted(issued, key=lambda p: p.device_id not in mine))
    return demo


def _demo_home(customer, device_ids: list[str]) -> None:
    """The demo customer's flat: after 22:00, motion or a face at the door camera turns on the hallway
    light (the face is found by the cloud's detector in the camera's pictures)."""
    actor = actor_for_user(customer)
    home = services.create_home(actor, "Li Wei's flat", "Asia/Shanghai")
    by_model = {services.model_urn_for(d): d for d in device_ids}
    for device_id in device_ids:
        services.place_device(actor, device_id, home.pk)
    camera, bulb = by_model.get(DEVICE_MODELS["camera"][0]), by_model.get(DEVICE_MODELS["bulb"][0])
    if camera and bulb:
        services.create_automation(
            actor,
            home.pk,
            name="Hallway light at night",
            trigger_type="event",
            trigger={"device": camera, "event": "motion"},
            conditions=[{"type": "time", "after": "22:00", "before": "06:00"}],
            actions=[
                {"type": "set", "device": bulb, "props": {"on": True, "brightness": 60}},
                {"type": "notify", "message": "Motion at the door camera"},
            ],
        )
        services.create_automation(
            actor,
            home.pk,
            name="A face at the door at night",
            trigger_type="event",
            trigger={"device": camera, "event": "face-detected"},
            conditions=[{"type": "time", "after": "22:00", "before": "06:00"}],
            actions=[{"type": "set", "device": bulb, "props": {"on": True, "brightness": 60}}],
        )
