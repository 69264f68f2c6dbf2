"""A small, real company for tests: two markets with stores, warehouses, stock and people."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from itertools import count

from django.contrib.auth import get_user_model
from django.test import Client

from millet.accounts.actor import actor_for_user
from millet.accounts.services import issue_token
from millet.catalog.models import DeviceModel, Price, PriceList, Product, Sku
from millet.devices import services as devices
from millet.inventory import services as inventory
from millet.regions.models import Currency, Market, TaxRule
from millet.regions.services import clear_caches
from millet.sales.models import Voucher
from millet.stores.models import StaffMember, Store

CAMERA_SPEC = {
    "services": [
        {
            "siid": 2,
            "type": "camera-control",
            "description": "Camera",
            "properties": [
                {"piid": 1, "name": "on", "format": "bool", "access": ["read", "write", "notify"]},
                {
                    "piid": 2,
                    "name": "night-vision",
                    "format": "uint8",
                    "access": ["read", "write"],
                    "value_list": [{"value": 0, "description": "auto"}, {"value": 1, "description": "off"}],
                },
            ],
            "actions": [],
            "events": [],
        }
    ]
}

_serials = count(1)


@cache
def trained_scorecard():
    """The German Credit scorecard, trained once per process (2 folds: speed, not figures), for
    every test and bench that needs a model; training takes seconds."""
    from millet.lending.credit import train
    from millet.lending.policy import APPROVE_BELOW_PD

    return train(folds=2, seed=0, approve_below_pd=APPROVE_BELOW_PD)


def next_serials(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{next(_serials):08d}" for _ in range(n)]


@dataclass
class World:
    skus: dict[str, Sku] = field(default_factory=dict)
    stores: dict[str, Store] = field(default_factory=dict)
    locations: dict[str, int] = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def receive(self, sku: str, location: str, quantity: int) -> list[str]:
        s = self.skus[sku]
        serials = next_serials(sku[:3], quantity) if s.serialized else []
        inventory.receive_units(
            sku_id=s.pk,
            location_id=self.locations[location],
            quantity=quantity,
            reference="test",
            serials=serials,
            serialized=s.serialized,
            batch="B1",
        )
        return serials

    def client(self, user: str) -> ApiClient:
        return ApiClient(self.tokens[user])


class ApiClient:
    """django.test.Client speaking JSON with a bearer token."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def _send(self, method: str, path: str, body=None, **headers):
        kwargs = {**self.headers, **headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method)(f"/api{path}", **kwargs)

    def get(self, path: str, **headers):
        return self._send("get", path, **headers)

    def post(self, path: str, body=None, **headers):
        return self._send("post", path, body if body is not None else {}, **headers)

    def put(self, path: str, body=None, **headers):
        return self._send("put", path, body if body is not None else {}, **headers)

    def delete(self, path: str, **headers):
        return self._send("delete", path, **headers)


def build_markets() -> None:
    for code, name in (("CNY", "Chinese yuan"), ("INR", "Indian rupee"), ("EUR", "Euro")):
        Currency.objects.get_or_create(code=code, defaults={"name": name, "exponent": 2})
    for code, name, cur, langs, tz in (
        ("CN", "China", "CNY", ["zh-hans", "en"], "Asia/Shanghai"),
        ("IN", "India", "INR", ["hi", "en"], "Asia/Kolkata"),
        ("DE", "Germany", "EUR", ["de", "en"], "Europe/Berlin"),
    ):
        Market.objects.get_or_create(
            code=code, defaults={"name": name, "currency_id": cur, "languages": langs, "time_zone": tz}
        )
    for market, name, rate, parts, inter_state in (
        ("CN", "VAT", "0.13", {"VAT": "0.13"}, {}),
        ("IN", "GST", "0.18", {"CGST": "0.09", "SGST": "0.09"}, {"IGST": "0.18"}),
        ("DE", "VAT", "0.19", {"VAT": "0.19"}, {}),
    ):
        TaxRule.objects.get_or_create(
            market_id=market,
            tax_class="electronics",
            defaults={
                "name": name,
                "rate": Decimal(rate),
                "components": parts,
                "inter_state_components": inter_state,
            },
        )
    clear_caches()


def build_world() -> World:
    build_markets()
    world = World()
    camera = DeviceModel.objects.create(
        urn="urn:millet-spec:device:camera:c300:1", name="Camera C300", spec=CAMERA_SPEC
    )
    products = {
        "MI6-64": ("mi-6", "Mi 6", "phone", None, True, False, {"CN": "2499.00", "IN": "19999.00"}),
        "CAM-C300": (
            "mi-cam",
            "Mi Home Camera",
            "camera",
            camera,
            True,
            False,
            {"CN": "199.00", "IN": "2999.00"},
        ),
        "BAND2": ("mi-band-2", "Mi Band 2", "band", None, True, True, {"CN": "149.00", "IN": "1999.00"}),
        "CABLE-C": (
            "usb-c-cable",
            "USB-C cable",
            "accessory",
            None,
            False,
            False,
            {"CN": "19.90", "IN": "299.00"},
        ),
    }
    lists = {m: PriceList.objects.create(market_id=m, name=f"{m} retail") for m in ("CN", "IN")}
    for code, (slug, name, category, model, serialized, backorder, prices) in products.items():
        product = Product.objects.create(slug=slug, name=name, category=category, device_model=model)
        sku = Sku.objects.create(
            code=code, product=product, name=name, serialized=serialized, allow_backorder=backorder
        )
        world.skus[code] = sku
        for market, amount in prices.items():
            Price.objects.create(price_list=lists[market], sku=sku, amount=Decimal(amount))

    for code, kind, market, city, state, lat, lon in (
        ("WH-CN-SH", "warehouse", "CN", "Shanghai", "CN-SH", "31.230400", "121.473700"),
        ("WH-CN-BJ", "warehouse", "CN", "Beijing", "CN-BJ", "39.904200", "116.407400"),
        ("SH-001", "store", "CN", "Shanghai", "CN-SH", "31.224000", "121.469000"),
        ("BJ-001", "store", "CN", "Beijing", "CN-BJ", "39.915000", "116.404000"),
        ("WH-IN-BLR", "warehouse", "IN", "Bengaluru", "IN-KA", "12.971600", "77.594600"),
        ("BLR-001", "store", "IN", "Bengaluru", "IN-KA", "12.975000", "77.600000"),
    ):
        loc = inventory.create_location(
            code=code,
            name=code,
            kind=kind,
            market=market,
            city=city,
            state=state,
            latitude=Decimal(lat),
            longitude=Decimal(lon),
        )
        world.locations[code] = loc.pk
        if kind == "store":
            world.stores[code] = Store.objects.create(
                code=code,
                name=f"Mi Home {city}",
                market_id=market,
                city=city,
                address=f"1 Main St, {city}",
                location=loc,
            )

    for sku, location, qty in (
        ("MI6-64", "WH-CN-SH", 5),
        ("MI6-64", "WH-CN-BJ", 3),
        ("MI6-64", "SH-001", 3),
        ("MI6-64", "BJ-001", 2),
        ("CAM-C300", "WH-CN-SH", 5),
        ("CAM-C300", "SH-001", 2),
        ("BAND2", "WH-CN-SH", 2),
        ("CABLE-C", "WH-CN-SH", 100),
        ("CABLE-C", "SH-001", 20),
        ("MI6-64", "WH-IN-BLR", 5),
        ("MI6-64", "BLR-001", 2),
    ):
        world.receive(sku, location, qty)

    User = get_user_model()
    for name, staff in (
        ("alice", False),
        ("bob", False),
        ("cashier_sh", False),
        ("manager_sh", False),
        ("cashier_bj", False),
        ("staff", True),
    ):
        user = User.objects.create_user(username=name, password="pw-" + name, is_staff=staff)
        world.users[name] = user
        world.tokens[name] = issue_token(user)
    for user, store, role in (
        ("cashier_sh", "SH-001", "cashier"),
        ("manager_sh", "SH-001", "manager"),
        ("cashier_bj", "BJ-001", "cashier"),
    ):
        StaffMember.objects.create(user=world.users[user], store=world.stores[store], role=role)

    Voucher.objects.create(
        code="WELCOME10", market_id="CN", kind="percent", value=Decimal("10"), max_uses=100
    )
    Voucher.objects.create(code="ONCE50", market_id="CN", kind="amount", value=Decimal("50"), max_uses=1)
    return world


def make_member(owner, device_id: str, username: str, role: str) -> None:
    """``username`` becomes a member of the owner's device with ``role`` the only way there is: the
    owner (an ``Actor``) invites them and they accept."""
    member = actor_for_user(get_user_model().objects.get(username=username))
    sent = devices.invite(owner, device_id, username, role)
    devices.answer_invitation(member, sent.invitation_id, True)
