"""Nobody learns whether someone else's object exists: its id answers exactly as an unknown id does.

Walks the served OpenAPI: every operation with a path parameter that names something owned (an
order, a loan, a device, a claim...) is called by a second customer, bob, once with the first
customer's (alice's) real ids and once with ids of the same shape that name nothing. Both answers
must be the same status and the same body: a 404 for a route bob may use, or the same 403 for a
route his role may never use (checked before any lookup). A route that looked the object up first
and then said 403, 409 or anything else state-dependent would tell a guesser the id is real
(issue 8, fault 10).

The company's public facts (markets, the catalog, stores, flash-sale campaigns) are named the same
way in both calls. A new path parameter fails ``test_every_path_parameter_is_classified`` until this
module says whether it names something owned and how to make one.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone

from millet.accounts.actor import SYSTEM
from millet.api import api
from tests.devices.conftest import C300
from tests.factories import trained_scorecard
from tests.finance.lending.conftest import GOOD_FORM


def _served_schema() -> dict:
    # The schema /api/openapi.json serves, built at collection time (it needs no database).
    return api.get_openapi_schema(path_prefix="/api/")


# (path prefix, path parameter) -> what of alice's it names; the longest matching prefix wins.
OWNED = {
    ("/api/flashsale/campaigns/", "gate_id"): "flash_claim",
    ("/api/inventory/locations/", "code"): "warehouse",
    ("/api/inventory/transfers/", "transfer_id"): "transfer",
    ("/api/inventory/purchase-orders/", "po_id"): "purchase_order",
    ("/api/sales/orders/", "number"): "order",
    ("/api/sales/carts/", "cart_id"): "cart",
    ("/api/stores/openings/", "opening_id"): "opening",
    ("/api/stores/", "user_id"): "user",
    ("/api/finance/accounts/", "code"): "ledger_account",
    ("/api/lending/applications/", "number"): "application",
    ("/api/lending/loans/", "number"): "loan",
    ("/api/lending/models/", "version"): "credit_model",
    ("/api/insurance/policies/", "number"): "policy",
    ("/api/insurance/claims/", "number"): "insurance_claim",
    ("/api/devices/homes/", "home_id"): "home",
    ("/api/devices/automations/", "automation_id"): "automation",
    ("/api/devices/rollouts/", "rollout_id"): "rollout",
    ("/api/devices/", "device_id"): "device",
    ("/api/devices/", "command_id"): "command",
    ("/api/devices/", "username"): "sharee",
    ("/api/devices/", "invitation_id"): "invitation",
    ("/api/telemetry/devices/", "device_id"): "device",
    ("/api/vision/devices/", "device_id"): "camera",
    ("/api/vision/snapshots/", "snapshot_id"): "snapshot",
    ("/api/vision/homes/", "home_id"): "home",
    ("/api/insights/goals/", "goal_id"): "goal",
}
# (path prefix, path parameter) -> a public fact, the same in both calls.
PUBLIC = {
    ("/api/flashsale/campaigns/", "code"): "campaign",
    ("/api/regions/markets/", "code"): "CN",
    ("/api/catalog/products/", "slug"): "mi-6",
    ("/api/catalog/skus/", "code"): "MI6-64",
    ("/api/catalog/device-models/", "urn"): C300,
    ("/api/catalog/prices/", "market"): "CN",
    ("/api/catalog/prices/", "sku_code"): "MI6-64",
    ("/api/sales/carts/", "sku"): "CABLE-C",
    ("/api/stores/", "code"): "SH-001",
    ("/api/devices/rollouts/", "verb"): "pause",
    ("/api/devices/invitations/", "verdict"): "accept",
}

# A valid body for each state-changing operation, so the call reaches the id (a 422 would prove
# nothing); "{line}", "{serial}" and "{device}" are filled from alice's things.
BODIES = {
    ("put", "/api/vision/homes/{home_id}/snapshot-retention"): {"days": 3},
    ("post", "/api/flashsale/campaigns/{code}/claims/{gate_id}/pay"): {"payment_token": "tok_ok"},
    ("post", "/api/inventory/purchase-orders/{po_id}/receive"): {
        "lines": [{"sku": "CABLE-C", "quantity": 1}]
    },
    ("post", "/api/sales/orders/{number}/pay"): {"payment_token": "tok_ok"},
    ("post", "/api/sales/orders/{number}/collect"): {"serials": []},
    ("post", "/api/sales/orders/{number}/returns"): {
        "store_code": "SH-001",
        "lines": [{"line_id": "{line}", "quantity": 1, "serials": ["{serial}"]}],
    },
    ("put", "/api/sales/carts/{cart_id}/lines/{sku}"): {"quantity": 1},
    ("post", "/api/sales/carts/{cart_id}/checkout"): {"payment_token": "tok_ok"},
    ("post", "/api/stores/openings/{opening_id}/advance"): {"stage": "signed"},
    ("put", "/api/stores/{code}/staff/{user_id}"): {"role": "cashier"},
    ("post", "/api/lending/applications/{number}/review"): {"approve": True},
    ("post", "/api/lending/loans/{number}/repayments"): {
        "amount": "100.00",
        "currency": "CNY",
        "payment_token": "tok_ok",
    },
    ("post", "/api/insurance/policies/{number}/claims"): {
        "peril": "accidental_damage",
        "incident_at": "{now}",
        "amount": "600.00",
        "description": "dropped",
    },
    ("post", "/api/insurance/claims/{number}/decision"): {"approve": True},
    ("post", "/api/devices/homes/{home_id}/automations"): {
        "name": "wake",
        "trigger_type": "time",
        "trigger": {"at": "07:30"},
        "actions": [{"type": "notify", "message": "good morning"}],
    },
    ("put", "/api/devices/automations/{automation_id}"): {"enabled": False},
    ("put", "/api/devices/{device_id}/home"): {"home_id": None},
    ("post", "/api/devices/{device_id}/properties"): {"props": {"on": True}},
    ("post", "/api/devices/{device_id}/actions"): {"action": "take-snapshot"},
    ("post", "/api/devices/{device_id}/invitations"): {"login": "bob", "role": "control"},
}
HEADERS = {("post", "/api/lending/loans/{number}/repayments"): {"HTTP_IDEMPOTENCY_KEY": "walk-1"}}
QUERIES = {("get", "/api/telemetry/devices/{device_id}/history"): "?prop=on"}
# Routes a device calls with its own credentials (HTTP Basic id and secret): a person's token is no
# credential there, so it is 401 whatever the id names (the route's own 404s are in
# tests/vision/test_camera_upload.py).
DEVICE_CREDENTIAL_ROUTES = {("post", "/api/vision/devices/{device_id}/snapshots")}


def _lookup(table: dict, path: str, name: str):
    matches = [(prefix, value) for (prefix, param), value in table.items() if param == name]
    matches = [(prefix, value) for prefix, value in matches if path.startswith(prefix)]
    return max(matches, key=lambda m: len(m[0]))[1] if matches else None


def _operations(schema: dict) -> list[tuple[str, str, list[str]]]:
    """(method, path, path parameter names) of every operation that has path parameters."""
    found = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            if names:
                found.append((method, path, names))
    return found


OPERATIONS = _operations(_served_schema())
WALKED = [op for op in OPERATIONS if any(_lookup(OWNED, op[1], n) for n in op[2])]


def test_every_path_parameter_is_classified():
    unknown = [
        f"{method.upper()} {path} {{{name}}}"
        for method, path, names in OPERATIONS
        for name in names
        if _lookup(OWNED, path, name) is None and _lookup(PUBLIC, path, name) is None
    ]
    assert not unknown, "say in OWNED or PUBLIC what these name: " + ", ".join(unknown)
    assert len(WALKED) > 40


def test_the_walk_follows_the_served_schema(world):
    assert _operations(Client().get("/api/openapi.json").json()) == OPERATIONS


def unknown_like(value):
    """An id of the same shape that names nothing: the same validation, only the lookup differs."""
    if isinstance(value, int):
        return value + 1_000_000
    chars, flipped = list(value), 0
    for i in range(len(chars) - 1, -1, -1):
        c = chars[i]
        if c.isdigit():
            chars[i] = str((int(c) + 5) % 10)
        elif c.isupper() and c.isascii():
            chars[i] = chr((ord(c) - 65 + 13) % 26 + 65)
        elif c.islower() and c.isascii():
            chars[i] = chr((ord(c) - 97 + 13) % 26 + 97)
        else:
            continue
        flipped += 1
        if flipped == 4:
            break
    return "".join(chars)


class Alices:
    """alice's things (and the company's back-office objects), each made on first use through the
    API as a customer or staff would, so a route is walked against a real object."""

    def __init__(self, world, capture) -> None:
        self.world, self.capture, self._made = world, capture, {}
        self.alice, self.staff = world.client("alice"), world.client("staff")

    def __getitem__(self, kind: str):
        if kind not in self._made:
            self._made[kind] = getattr(self, f"_{kind}")()
        return self._made[kind]

    def _ok(self, response, status: int = 201) -> dict:
        assert response.status_code == status, response.content
        return response.json()

    def _order(self) -> str:
        return self["shipped"]["number"]

    def _shipped(self) -> dict:
        """A paid, shipped phone: the order the return, the policy and the claim hang on."""
        placed = self._ok(
            self.alice.post(
                "/sales/orders",
                {"market": "CN", "lines": [{"sku": "MI6-64", "quantity": 1}], "payment_token": "tok_ok"},
            )
        )
        with self.capture(execute=True):
            return self._ok(self.staff.post(f"/sales/orders/{placed['number']}/fulfil"), 200)

    def _cart(self) -> int:
        return self._ok(self.alice.post("/sales/carts", {"market": "CN"}))["id"]

    def _user(self) -> int:
        return self.world.users["alice"].pk

    def _warehouse(self) -> str:
        return "WH-CN-SH"

    def _transfer(self) -> int:
        body = {"sku": "CABLE-C", "source": "WH-CN-SH", "destination": "SH-001", "quantity": 1}
        return self._ok(self.staff.post("/inventory/transfers", body))["id"]

    def _purchase_order(self) -> int:
        body = {"supplier": "Foxconn", "location": "WH-CN-SH", "lines": [{"sku": "CABLE-C", "quantity": 5}]}
        return self._ok(self.staff.post("/inventory/purchase-orders", body))["id"]

    def _opening(self) -> int:
        body = {"market": "CN", "city": "Xi'an", "name": "Mi Home Xi'an", "target_date": "2030-09-01"}
        return self._ok(self.staff.post("/stores/openings", body))["id"]

    def _goal(self) -> int:
        body = {"title": "Busy tills", "metric": "orders", "target": "100", "starts_on": "2030-01-01"}
        body |= {"due_on": "2030-12-31", "owner_id": self.world.users["staff"].pk}
        return self._ok(self.staff.post("/insights/goals", body))["id"]

    def _ledger_account(self) -> str:
        self["shipped"]  # a sale books the sales and tax accounts
        return self._ok(self.staff.get("/finance/accounts"), 200)["items"][0]["code"]

    def _credit_model(self) -> str:
        from millet.lending import services as lending

        model = lending.register_model(trained_scorecard().artifact)
        lending.approve_model(SYSTEM, model.version)
        return model.version

    def _application(self) -> str:
        return self["applied"]["number"]

    def _applied(self) -> dict:
        """alice's approved application for credit on an order awaiting payment, and its loan."""
        self["credit_model"]
        product = {
            "code": "CN-EASY",
            "name": "Mi Easy Pay",
            "currency": "CNY",
            "apr": "0.18",
            "terms": [3, 6, 12],
            "late_fee": "30.00",
            "min_amount": "100.00",
            "max_amount": "50000.00",
        }
        self._ok(self.staff.post("/lending/products", product))
        order = self._ok(
            self.alice.post("/sales/orders", {"market": "CN", "lines": [{"sku": "MI6-64", "quantity": 1}]})
        )
        body = {"order_number": order["number"], "product": "CN-EASY", "term_months": 6, "form": GOOD_FORM}
        with self.capture(execute=True):
            return self._ok(self.alice.post("/lending/applications", body))

    def _loan(self) -> str:
        loan = self["applied"]["loan"]
        assert loan, "the good form is approved and opens a loan"
        return loan

    def _policy(self) -> str:
        plan = {
            "code": "CARE-MI6-12",
            "name": "Mi Care",
            "sku": "MI6-64",
            "term_months": 12,
            "perils": ["accidental_damage"],
            "prices": [{"market": "CN", "premium": "199.00", "cover_limit": "2000.00", "excess": "99.00"}],
        }
        self._ok(self.staff.post("/insurance/plans", plan))
        shipped = self["shipped"]
        body = {
            "order_number": shipped["number"],
            "serial": shipped["lines"][0]["serials"][0],
            "plan": "CARE-MI6-12",
            "payment_token": "tok_ok",
        }
        return self._ok(self.alice.post("/insurance/policies", body))["number"]

    def _insurance_claim(self) -> str:
        policy = self["policy"]  # first: the incident happens after the cover starts
        body = dict(BODIES[("post", "/api/insurance/policies/{number}/claims")], incident_at=_now())
        return self._ok(self.alice.post(f"/insurance/policies/{policy}/claims", body))["number"]

    def _device(self) -> str:
        """A camera alice bought, claimed with the code in its box, in her home."""
        from millet.inventory.models import SerialUnit

        serials = list(SerialUnit.objects.filter(sku__code="CAM-C300").values_list("serial", flat=True))
        with self.capture(execute=True):
            issued = self._ok(
                self.staff.post("/devices/provision", {"model_urn": C300, "batch": "B1", "serials": serials})
            )
            placed = self._ok(
                self.alice.post(
                    "/sales/orders",
                    {
                        "market": "CN",
                        "lines": [{"sku": "CAM-C300", "quantity": 1}],
                        "payment_token": "tok_ok",
                    },
                )
            )
            shipped = self._ok(self.staff.post(f"/sales/orders/{placed['number']}/fulfil"), 200)
        (camera,) = [d for d in issued if d["serial"] == shipped["lines"][0]["serials"][0]]
        claim = {"device_id": camera["device_id"], "claim_token": camera["claim_token"]}
        with self.capture(execute=True):
            self._ok(self.alice.post("/devices/claim", claim))
        return camera["device_id"]

    def _home(self) -> int:
        home = self._ok(self.alice.post("/devices/homes", {"name": "Flat", "time_zone": "Asia/Shanghai"}))[
            "id"
        ]
        self._ok(self.alice.put(f"/devices/{self['device']}/home", {"home_id": home}), 200)
        return home

    def _automation(self) -> int:
        body = BODIES[("post", "/api/devices/homes/{home_id}/automations")]
        return self._ok(self.alice.post(f"/devices/homes/{self['home']}/automations", body))["id"]

    def _command(self) -> str:
        with self.capture(execute=True):
            sent = self.alice.post(f"/devices/{self['device']}/properties", {"props": {"on": True}})
        return self._ok(sent, 202)["command_id"]

    def _invitation(self) -> int:
        """alice's invitation to cashier_sh, waiting for an answer."""
        body = {"login": "cashier_sh", "role": "read"}
        return self._ok(self.alice.post(f"/devices/{self['device']}/invitations", body), 202)["invitation_id"]

    def _sharee(self) -> str:
        """cashier_sh, a member of alice's device: they accepted her invitation."""
        accepted = self.world.client("cashier_sh").post(f"/devices/invitations/{self['invitation']}/accept")
        assert accepted.status_code == 204, accepted.content
        return "cashier_sh"

    def _rollout(self) -> int:
        self["device"]
        firmware = {
            "model_urn": C300,
            "version": "9.9.9",
            "url": "https://fw.millet.local/c300/9.9.9.bin",
            "sha256": "ab" * 32,
            "size": 1024,
        }
        image = self._ok(self.staff.post("/devices/firmware", firmware))
        return self._ok(self.staff.post("/devices/rollouts", {"firmware_id": image["id"], "steps": [100]}))[
            "id"
        ]

    def _camera(self) -> str:
        """A demo camera (with the face-detected event) alice bought, in her home."""
        from tests.vision.conftest import bind, provision

        camera = provision("camera", "CAM-WALK")
        with self.capture(execute=True):
            bind(camera, "CAM-WALK", self.world.users["alice"])
        self._ok(self.alice.put(f"/devices/{camera}/home", {"home_id": self["home"]}), 200)
        return camera

    def _snapshot(self) -> int:
        from millet.vision.services import record_snapshot
        from tests.vision.conftest import jpeg

        with self.capture(execute=True):
            return record_snapshot(self["camera"], jpeg(np.full((120, 160, 3), 128, np.uint8))).id

    def _campaign(self) -> str:
        now = timezone.now()
        body = {
            "code": f"walk{uuid.uuid4().hex[:8]}",
            "name": "Singles Day cable",
            "sku": "CABLE-C",
            "market": "CN",
            "location": "WH-CN-SH",
            "price": "9.90",
            "units": 3,
            "starts_at": (now - timedelta(seconds=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
        }
        return self._ok(self.staff.post("/flashsale/campaigns", body))["code"]

    def _flash_claim(self) -> str:
        """With Redis (the PostgreSQL pass) the claim is still queued in the gate: fault 10's case."""
        return self._ok(self.alice.post(f"/flashsale/campaigns/{self['campaign']}/claims"))["id"]


def _now() -> str:
    return timezone.now().isoformat()


@pytest.fixture
def alices(world, django_capture_on_commit_callbacks):
    from millet.devices.services import forget_specs
    from millet.flashsale.services import gate

    forget_specs()
    things = Alices(world, django_capture_on_commit_callbacks)
    yield things
    forget_specs()
    if "campaign" in things._made and gate.redis_enabled():
        gate.forget(things._made["campaign"])


def _fill(body, values: dict):
    """Put alice's line id, serial and the time into a body template."""
    text = json.dumps(body)
    for key, value in values.items():
        text = text.replace(f'"{{{key}}}"', json.dumps(value))
    return json.loads(text)


@pytest.mark.parametrize("caller", ["bob", "cashier_bj"])
@pytest.mark.parametrize(("method", "path", "names"), WALKED, ids=[f"{m.upper()} {p}" for m, p, _ in WALKED])
def test_another_customers_id_answers_like_an_unknown_id(alices, method, path, names, caller):
    """As bob (a customer) and as a cashier of a store that is not in the story (Beijing)."""
    real, unknown = {}, {}
    for name in names:
        public = _lookup(PUBLIC, path, name)
        if public is not None:
            value = alices[public] if public == "campaign" else public
            real[name] = unknown[name] = value
        else:
            real[name] = alices[_lookup(OWNED, path, name)]
            unknown[name] = unknown_like(real[name])
    template = BODIES.get((method, path))
    body = None
    if template is not None:
        values = {"now": _now()}
        if "{line}" in json.dumps(template):
            shipped = alices["shipped"]
            values |= {"line": shipped["lines"][0]["id"], "serial": shipped["lines"][0]["serials"][0]}
        body = _fill(template, values)
    bob = alices.world.client(caller)
    headers = HEADERS.get((method, path), {})

    def call(ids: dict):
        url = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path.removeprefix("/api"))
        kwargs = {**bob.headers, **headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(bob.client, method)(f"/api{url}{QUERIES.get((method, path), '')}", **kwargs)
        text = response.content.decode()
        for name, value in ids.items():
            if isinstance(value, str) and real[name] != unknown[name]:
                text = text.replace(value, f"<{name}>")
        return response.status_code, text

    answered_unknown = call(unknown)
    refusals = (401,) if (method, path) in DEVICE_CREDENTIAL_ROUTES else (403, 404)
    assert answered_unknown[0] in refusals, answered_unknown  # the body is valid; only the id is not
    assert call(real) == answered_unknown


def test_another_stores_orders_answer_like_an_unknown_store(world):
    """``GET /sales/orders?store_code=``: a cashier asking for another store's orders is told what a
    made-up code gets (it was a 403, which told a guessed code from a real one)."""
    beijing = world.client("cashier_bj")
    theirs = beijing.get("/sales/orders?store_code=SH-001")
    made_up = beijing.get("/sales/orders?store_code=SH-999")
    assert (theirs.status_code, made_up.status_code) == (404, 404)
    assert theirs.json()["error"] == made_up.json()["error"] == "unknown_store"
    assert beijing.get("/sales/orders?store_code=BJ-001").status_code == 200
