"""Every route below creates something with side effects and takes an ``Idempotency-Key``
(``core.idempotency.keyed_create``): a retry with the same key answers with the first resource and
creates nothing; the key with another request is 409 ``idempotency_key_reused``; another person's
same key is theirs, never a replay of someone else's resource; and two identical keyed requests at
once make one resource (PostgreSQL). Before, each retry after a timeout made another transfer,
purchase order, planned opening, refunded return, goal, home or automation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Model

from millet.accounts.services import issue_token
from millet.core.models import KeyedRequest
from millet.devices.models import Automation, Home
from millet.insights.models import Goal
from millet.inventory.models import PurchaseOrder, Stock, StockTransfer
from millet.sales.models import Return
from millet.stores.models import PlannedOpening
from tests.concurrency import behind_open_transaction
from tests.factories import ApiClient, World

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Creating:
    """A creating route, the body of its first request, bodies that differ from it in one
    parameter, and the model of what it creates."""

    path: str
    first: dict
    others: list[dict]
    model: type[Model]


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


def _transfer(world: World, client: ApiClient) -> Creating:
    others = [
        {**_TRANSFER, "quantity": 3},
        {**_TRANSFER, "destination": "BJ-001"},
        {**_TRANSFER, "sku": "BAND2"},
    ]
    return Creating("/inventory/transfers", _TRANSFER, others, StockTransfer)


def _purchase_order(world: World, client: ApiClient) -> Creating:
    others = [
        {**_PURCHASE_ORDER, "supplier": "BYD"},
        {**_PURCHASE_ORDER, "lines": [{"sku": "CABLE-C", "quantity": 6}, _PURCHASE_ORDER["lines"][1]]},
        {**_PURCHASE_ORDER, "expected_on": "2030-01-01"},
    ]
    return Creating("/inventory/purchase-orders", _PURCHASE_ORDER, others, PurchaseOrder)


def _opening(world: World, client: ApiClient) -> Creating:
    others = [{**_OPENING, "city": "Chengdu"}, {**_OPENING, "target_date": "2030-10-01"}]
    return Creating("/stores/openings", _OPENING, others, PlannedOpening)


def _return(world: World, client: ApiClient) -> Creating:
    number, line = _sold(world)
    first = {"store_code": "SH-001", "lines": [{"line_id": line, "quantity": 1}], "reason": "unwanted"}
    others = [{**first, "lines": [{"line_id": line, "quantity": 2}]}, {**first, "reason": "broken"}]
    return Creating(f"/sales/orders/{number}/returns", first, others, Return)


def _goal(world: World, client: ApiClient) -> Creating:
    first = {"title": "Busy tills", "metric": "orders", "target": "100", "starts_on": "2030-01-01"}
    first |= {"due_on": "2030-12-31", "owner_id": world.users["staff"].pk}
    others = [
        {**first, "target": "101"},
        {**first, "title": "Busier tills"},
        {**first, "scope_kind": "market", "scope_value": "CN"},
    ]
    return Creating("/insights/goals", first, others, Goal)


def _home(world: World, client: ApiClient) -> Creating:
    first = {"name": "Flat", "time_zone": "Asia/Shanghai"}
    return Creating(
        "/devices/homes", first, [{**first, "name": "Cottage"}, {**first, "time_zone": "UTC"}], Home
    )


def _automation(world: World, client: ApiClient) -> Creating:
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


# Each route by what it needs first, made with the client that will send the keyed requests.
ROUTES: dict[str, Callable[[World, ApiClient], Creating]] = {
    "POST /inventory/transfers": _transfer,
    "POST /inventory/purchase-orders": _purchase_order,
    "POST /stores/openings": _opening,
    "POST /sales/orders/{number}/returns": _return,
    "POST /insights/goals": _goal,
    "POST /devices/homes": _home,
    "POST /devices/homes/{id}/automations": _automation,
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
def test_a_resend_with_the_key_answers_with_the_first_resource_and_creates_nothing(world, route):
    staff = world.client("staff")
    creating = ROUTES[route](world, staff)
    first = _send(staff, creating, creating.first)
    assert first.status_code == 201, first.content
    made, stock = creating.model.objects.count(), _stock()

    replay = _send(staff, creating, creating.first)
    assert (replay.status_code, replay.json()) == (201, first.json())
    assert (creating.model.objects.count(), _stock()) == (made, stock)

    # Without a key every request is a new one, as before.
    assert staff.post(creating.path, creating.first).status_code == 201
    assert creating.model.objects.count() == made + 1


@pytest.mark.parametrize("route", ROUTES)
def test_the_key_with_another_request_is_409_and_creates_nothing(world, route):
    staff = world.client("staff")
    creating = ROUTES[route](world, staff)
    assert _send(staff, creating, creating.first).status_code == 201
    made, stock = creating.model.objects.count(), _stock()
    for other in creating.others:
        answer = _send(staff, creating, other)
        assert (answer.status_code, answer.json()["error"]) == (409, "idempotency_key_reused"), other
        assert (creating.model.objects.count(), _stock()) == (made, stock), other


def test_a_key_is_one_key_across_routes(world):
    """A key used to plan an opening cannot be taken for a transfer: another request is a 409."""
    staff = world.client("staff")
    assert _send(staff, _opening(world, staff), _OPENING).status_code == 201
    answer = _send(staff, _transfer(world, staff), _TRANSFER)
    assert (answer.status_code, answer.json()["error"]) == (409, "idempotency_key_reused")
    assert not StockTransfer.objects.exists()


@pytest.mark.parametrize("route", ROUTES)
def test_another_persons_key_is_theirs_not_a_replay(world, second_staff, route):
    staff = world.client("staff")
    mine = ROUTES[route](world, staff)
    theirs = ROUTES[route](world, second_staff)
    before = mine.model.objects.count()
    made = _send(staff, mine, mine.first).json()
    answer = _send(second_staff, theirs, theirs.first)
    assert answer.status_code == 201, answer.content
    assert answer.json()["id"] != made["id"]
    assert mine.model.objects.count() == before + 2
    assert KeyedRequest.objects.filter(key="k1").count() == 2


def test_a_refused_request_leaves_its_key_free(world):
    """A refusal writes nothing, the key neither: the corrected request under it goes through."""
    staff = world.client("staff")
    creating = _transfer(world, staff)
    refused = _send(staff, creating, {**_TRANSFER, "quantity": 10_000})
    assert refused.status_code in (409, 422), refused.content
    assert not KeyedRequest.objects.exists()
    assert _send(staff, creating, _TRANSFER).status_code == 201


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", ROUTES)
def test_two_identical_keyed_requests_at_once_make_one_resource(world, require_postgres, route):
    """The first is held with its key row and resource written, its transaction open; the twin waits
    on the key's unique index, and once the first commits answers with the first's resource."""
    staff = world.client("staff")
    creating = ROUTES[route](world, staff)
    send: Callable[[], object] = lambda: _send(staff, creating, creating.first)  # noqa: E731
    first, second = behind_open_transaction(send, send)
    assert first.status_code == 201, first.content
    assert second.status_code == 201, getattr(second, "content", second)
    assert second.json() == first.json()
    assert creating.model.objects.count() == 1
