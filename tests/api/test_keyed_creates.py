"""Every route below creates something with side effects and takes an ``Idempotency-Key``
(``core.idempotency.keyed_create``): a retry with the same key answers with the first resource and
creates nothing; the key with another request is 409 ``idempotency_key_reused``; another person's
same key is theirs, never a replay of someone else's resource; and two identical keyed requests at
once make one resource (PostgreSQL). Before, each retry after a timeout made another transfer,
purchase order, delivery booked, planned opening, refunded return, goal, home, automation or
device command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Model

from millet.accounts.actor import SYSTEM
from millet.accounts.services import issue_token
from millet.catalog import services as catalog
from millet.core.models import KeyedRequest
from millet.demo.data import DEVICE_MODELS
from millet.devices.models import Automation, Command, Device, Home
from millet.insights.models import Goal
from millet.inventory.models import PurchaseOrder, SerialUnit, Stock, StockMovement, StockTransfer
from millet.sales.models import Return
from millet.stores.models import PlannedOpening
from tests.concurrency import behind_open_transaction
from tests.factories import ApiClient, World

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Creating:
    """A creating route, the body of its first request, bodies that differ from it in one
    parameter, the model of what it creates and the status of a new one."""

    path: str
    first: dict
    others: list[dict]
    model: type[Model]
    status: int = 201  # a device command is accepted (202), not made at once; a delivery booked (200)


_TRANSFER = {"sku": "CABLE-C", "source": "WH-CN-SH", "destination": "SH-001", "quantity": 2}
_PURCHASE_ORDER = {
    "supplier": "Foxconn",
    "location": "WH-CN-SH",
    "lines": [{"sku": "CABLE-C", "quantity": 5}, {"sku": "BAND2", "quantity": 1}],
}
_OPENING = {"market": "CN", "city": "Xi'an", "name": "Mi Home Xi'an", "target_date": "2030-09-01"}


def _sold(world: World) -> tuple[str, int]:
    """A till sale of three cables at SH-001, paid by card: (its number, its line's id)."""
    body = {"store_code": "SH-001", "lines": [{"sku": "CABLE-C", "quantity": 3}], "payment_token": "tok_ok"}
    sale = world.client("cashier_sh").post("/sales/pos/sales", body).json()
    return sale["number"], sale["lines"][0]["id"]


def _transfer(request: pytest.FixtureRequest, world: World, client: ApiClient) -> Creating:
    others = [
        {**_TRANSFER, "quantity": 3},
        {**_TRANSFER, "destination": "BJ-001"},
        {**_TRANSFER, "sku": "BAND2"},
    ]
    return Creating("/inventory/transfers", _TRANSFER, others, StockTransfer)


def _purchase_order(request: pytest.FixtureRequest, world: World, client: ApiClient) -> Creating:
    others = [
        {**_PURCHASE_ORDER, "supplier": "BYD"},
        {**_PURCHASE_ORDER, "lines": [{"sku": "CABLE-C", "quantity": 6}, _PURCHASE_ORDER["lines"][1]]},
        {**_PURCHASE_ORDER, "expected_on": "2030-01-01"},
    ]
    return Creating("/inventory/purchase-orders", _PURCHASE_ORDER, others, PurchaseOrder)


def _delivery(request: pytest.FixtureRequest, world: World, client: ApiClient) -> Creating:
    """A partial delivery of a purchase order's unserialized units: each booking is a stock movement."""
    po = client.post("/inventory/purchase-orders", _PURCHASE_ORDER).json()["id"]
    first = {"lines": [{"sku": "CABLE-C", "quantity": 2}]}
    others = [{"lines": [{"sku": "CABLE-C", "quantity": 1}]}, {**first, "batch": "B2"}]
    return Creating(f"/inventory/purchase-orders/{po}/receive", first, others, StockMovement, 200)


def _opening(request: pytest.FixtureRequest, world: World, client: ApiClient) -> Creating:
    others = [{**_OPENING, "city": "Chengdu"}, {**_OPENING, "target_date": "2030-10-01"}]
    return Creating("/stores/openings", _OPENING, others, PlannedOpening)


def _return(request: pytest.FixtureRequest, world: World, client: ApiClient) -> Creating:
    number, line = _sold(world)
    first = {"store_code": "SH-001", "lines": [{"line_id": line, "quantity": 1}], "reason": "unwanted"}
    others = [{**first, "lines": [{"line_id": line, "quantity": 2}]}, {**first, "reason": "broken"}]
    return Creating(f"/sales/orders/{number}/returns", first, others, Return)


def _goal(request: pytest.FixtureRequest, world: World, client: ApiClient) -> Creating:
    first = {"title": "Busy tills", "metric": "orders", "target": "100", "starts_on": "2030-01-01"}
    first |= {"due_on": "2030-12-31", "owner_id": world.users["staff"].pk}
    others = [
        {**first, "target": "101"},
        {**first, "title": "Busier tills"},
        {**first, "scope_kind": "market", "scope_value": "CN"},
    ]
    return Creating("/insights/goals", first, others, Goal)


def _home(request: pytest.FixtureRequest, world: World, client: ApiClient) -> Creating:
    first = {"name": "Flat", "time_zone": "Asia/Shanghai"}
    return Creating(
        "/devices/homes", first, [{**first, "name": "Cottage"}, {**first, "time_zone": "UTC"}], Home
    )


def _automation(request: pytest.FixtureRequest, world: World, client: ApiClient) -> Creating:
    """An automation in a home of the client's own: only a home's owner adds them."""
    home = client.post("/devices/homes", {"name": "Flat"}).json()["id"]
    first = {
        "name": "wake",
        "trigger_type": "time",
        "trigger": {"at": "07:30"},
        "actions": [{"type": "notify", "message": "good morning"}],
    }
    others = [
        {**first, "trigger": {"at": "07:31"}},
        {**first, "actions": [{"type": "notify", "message": "up"}]},
    ]
    return Creating(f"/devices/homes/{home}/automations", first, others, Automation)


def _camera(request: pytest.FixtureRequest, world: World, client: ApiClient) -> str:
    """A camera the client's person bought on the web, was shipped and claimed with its box's code:
    the demo's camera model, whose spec has an action (the test world's camera has none)."""
    staff = world.client("staff")
    with request.getfixturevalue("django_capture_on_commit_callbacks")(execute=True):
        if not Device.objects.exists():
            urn, title, services = DEVICE_MODELS["camera"]
            catalog.create_device_model(urn, title, {"services": services}, actor=SYSTEM)
            serials = list(SerialUnit.objects.filter(sku__code="CAM-C300").values_list("serial", flat=True))
            staff.post("/devices/provision", {"model_urn": urn, "batch": "B1", "serials": serials})
        order = {"market": "CN", "lines": [{"sku": "CAM-C300", "quantity": 1}], "payment_token": "tok_ok"}
        placed = client.post("/sales/orders", order).json()
        (serial,) = staff.post(f"/sales/orders/{placed['number']}/fulfil").json()["lines"][0]["serials"]
    device = Device.objects.get(serial=serial)  # sold once the shipment's news has run
    token = staff.post(f"/devices/{device.device_id}/claim-token").json()["claim_token"]
    with request.getfixturevalue("django_capture_on_commit_callbacks")(execute=True):
        claimed = client.post("/devices/claim", {"device_id": device.device_id, "claim_token": token})
    assert claimed.status_code == 201, claimed.content
    return device.device_id


def _properties(request: pytest.FixtureRequest, world: World, client: ApiClient) -> Creating:
    first = {"props": {"on": True}}
    others = [{"props": {"on": False}}, {**first, "ttl_seconds": 60}, {**first, "expected_version": 0}]
    return Creating(f"/devices/{_camera(request, world, client)}/properties", first, others, Command, 202)


def _action(request: pytest.FixtureRequest, world: World, client: ApiClient) -> Creating:
    first = {"action": "take-snapshot"}
    return Creating(
        f"/devices/{_camera(request, world, client)}/actions",
        first,
        [{**first, "ttl_seconds": 60}],
        Command,
        202,
    )


# Each route by what it needs first, made with the client that will send the keyed requests.
ROUTES: dict[str, Callable[[pytest.FixtureRequest, World, ApiClient], Creating]] = {
    "POST /inventory/transfers": _transfer,
    "POST /inventory/purchase-orders": _purchase_order,
    "POST /inventory/purchase-orders/{id}/receive": _delivery,
    "POST /stores/openings": _opening,
    "POST /sales/orders/{number}/returns": _return,
    "POST /insights/goals": _goal,
    "POST /devices/homes": _home,
    "POST /devices/homes/{id}/automations": _automation,
    "POST /devices/{id}/properties": _properties,
    "POST /devices/{id}/actions": _action,
}


@pytest.fixture
def second_staff(world) -> ApiClient:
    """Another member of staff, who may use every route above."""
    user = get_user_model().objects.create_user(username="staff2", password="pw-staff2", is_staff=True)
    return ApiClient(issue_token(user))


def _stock() -> list[tuple]:
    return list(Stock.objects.order_by("pk").values_list("pk", "quantity", "reserved"))


def _send(client: ApiClient, creating: Creating, body: dict, key: str = "k1"):
    return client.post(creating.path, body, HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.parametrize("route", ROUTES)
def test_a_resend_with_the_key_answers_with_the_first_resource_and_creates_nothing(request, world, route):
    staff = world.client("staff")
    creating = ROUTES[route](request, world, staff)
    first = _send(staff, creating, creating.first)
    assert first.status_code == creating.status, first.content
    made, stock = creating.model.objects.count(), _stock()

    replay = _send(staff, creating, creating.first)
    assert (replay.status_code, replay.json()) == (creating.status, first.json())
    assert (creating.model.objects.count(), _stock()) == (made, stock)

    # Without a key every request is a new one, as before.
    assert staff.post(creating.path, creating.first).status_code == creating.status
    assert creating.model.objects.count() == made + 1


@pytest.mark.parametrize("route", ROUTES)
def test_the_key_with_another_request_is_409_and_creates_nothing(request, world, route):
    staff = world.client("staff")
    creating = ROUTES[route](request, world, staff)
    assert _send(staff, creating, creating.first).status_code == creating.status
    made, stock = creating.model.objects.count(), _stock()
    for other in creating.others:
        answer = _send(staff, creating, other)
        assert (answer.status_code, answer.json()["error"]) == (409, "idempotency_key_reused"), other
        assert (creating.model.objects.count(), _stock()) == (made, stock), other


def test_a_key_is_one_key_across_routes(request, world):
    """A key used to plan an opening cannot be taken for a transfer: another request is a 409."""
    staff = world.client("staff")
    assert _send(staff, _opening(request, world, staff), _OPENING).status_code == 201
    answer = _send(staff, _transfer(request, world, staff), _TRANSFER)
    assert (answer.status_code, answer.json()["error"]) == (409, "idempotency_key_reused")
    assert not StockTransfer.objects.exists()


@pytest.mark.parametrize("route", ROUTES)
def test_another_persons_key_is_theirs_not_a_replay(request, world, second_staff, route):
    staff = world.client("staff")
    mine = ROUTES[route](request, world, staff)
    theirs = ROUTES[route](request, world, second_staff)
    before = mine.model.objects.count()
    made = _send(staff, mine, mine.first).json()
    answer = _send(second_staff, theirs, theirs.first)
    assert answer.status_code == mine.status, answer.content
    assert answer.json() != made
    assert mine.model.objects.count() == before + 2
    assert KeyedRequest.objects.filter(key="k1").count() == 2


def test_a_refused_request_leaves_its_key_free(request, world):
    """A refusal writes nothing, the key neither: the corrected request under it goes through."""
    staff = world.client("staff")
    creating = _transfer(request, world, staff)
    refused = _send(staff, creating, {**_TRANSFER, "quantity": 10_000})
    assert refused.status_code in (409, 422), refused.content
    assert not KeyedRequest.objects.exists()
    assert _send(staff, creating, _TRANSFER).status_code == 201


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", ROUTES)
def test_two_identical_keyed_requests_at_once_make_one_resource(request, world, require_postgres, route):
    """The first is held with its key row and resource written, its transaction open; the twin waits
    on the key's unique index, and once the first commits answers with the first's resource."""
    staff = world.client("staff")
    creating = ROUTES[route](request, world, staff)
    before = creating.model.objects.count()
    send: Callable[[], object] = lambda: _send(staff, creating, creating.first)  # noqa: E731
    first, second = behind_open_transaction(send, send)
    assert first.status_code == creating.status, first.content
    assert second.status_code == creating.status, getattr(second, "content", second)
    assert second.json() == first.json()
    assert creating.model.objects.count() == before + 1
