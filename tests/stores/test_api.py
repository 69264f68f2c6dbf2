"""The stores HTTP API: every role boundary answers a precise status, and refusals change nothing."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from millet.stores.models import PlannedOpening, StaffMember, Store
from tests.stores.conftest import DAILY

STORE = {
    "code": "GZ-001",
    "name": "Mi Home Guangzhou",
    "market": "CN",
    "city": "Guangzhou",
    "address": "8 Tianhe Rd",
    "latitude": "23.129100",
    "longitude": "113.264400",
    "opening_hours": DAILY,
    "opened_on": "2017-02-01",
}


def call(person, method: str, path: str, body: dict | None = None):
    client = person.client if person is not None else Client()
    kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    return getattr(client, method)(f"/api/stores{path}", **kwargs)


def staff_rows():
    return set(StaffMember.objects.values_list("user_id", "store_id", "role"))


def test_public_directory_needs_no_login_and_says_whether_a_store_is_open(network):
    response = call(None, "get", "/")
    assert response.status_code == 200
    stores = response.json()
    assert [s["code"] for s in stores] == ["BJ-001", "SH-001", "MU-001"]
    assert stores[1]["opening_hours"]["mon"] == ["10:00", "22:00"]
    assert all(isinstance(s["open_now"], bool) for s in stores)
    assert [s["code"] for s in call(None, "get", "/?market=IN").json()] == ["MU-001"]


@pytest.mark.parametrize(
    ("query", "status"), [("?market=XX", 404), ("?market=cn", 422), ("?market=CHN", 422)]
)
def test_directory_market_filter_is_validated(network, query, status):
    assert call(None, "get", f"/{query}").status_code == status


def test_store_detail_is_public_for_active_stores_only(network):
    assert call(None, "get", "/SH-001").json()["name"] == "Mi Home Shanghai"
    network.sh.is_active = False
    network.sh.save()
    response = call(network.customer, "get", "/SH-001")
    assert (response.status_code, response.json()["error"]) == (404, "unknown_store")


def test_staff_open_a_store(network):
    response = call(network.staff, "post", "/", STORE)
    assert response.status_code == 201
    assert response.json()["code"] == "GZ-001"
    store = Store.objects.get(code="GZ-001")
    assert (store.location.latitude, store.opened_on, store.location.code) == (
        Decimal("23.129100"),
        date(2017, 2, 1),
        "GZ-001",
    )


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        (None, STORE, 401),
        ("customer", STORE, 403),
        ("manager_sh", STORE, 403),
        ("staff", {**STORE, "code": "gz 1"}, 422),
        ("staff", {**STORE, "latitude": "91"}, 422),
        ("staff", {**STORE, "longitude": "113.1234567"}, 422),
        ("staff", {**STORE, "opening_hours": {"mon": ["10:00", "10:00"]}}, 422),
        ("staff", {**STORE, "market": "ZZ"}, 422),
        ("staff", {**STORE, "name": ""}, 422),
        ("staff", {**STORE, "code": "SH-001"}, 409),
    ],
)
def test_open_store_refusals(network, who, body, status):
    before = Store.objects.count()
    response = call(getattr(network, who) if who else None, "post", "/", body)
    assert response.status_code == status
    assert Store.objects.count() == before


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("staff", 200),
        ("manager_sh", 200),
        ("cashier_sh", 403),
        ("manager_bj", 403),
        ("cashier_bj", 403),
        ("customer", 403),
        (None, 401),
    ],
)
def test_staff_list_boundaries(network, who, status):
    response = call(getattr(network, who) if who else None, "get", "/SH-001/staff")
    assert response.status_code == status
    if status == 200:
        assert response.json() == [
            {"user_id": network.cashier_sh.user.pk, "username": "cash-sh", "role": "cashier"},
            {"user_id": network.manager_sh.user.pk, "username": "mgr-sh", "role": "manager"},
        ]


def test_staff_list_of_an_unknown_store_is_404(network):
    assert call(network.staff, "get", "/NO-001/staff").status_code == 404


def test_a_manager_hires_a_cashier_and_dismisses_them(network):
    uid = network.customer.user.pk
    response = call(network.manager_sh, "put", f"/SH-001/staff/{uid}", {"role": "cashier"})
    assert (response.status_code, response.json()["role"]) == (200, "cashier")
    assert call(network.manager_sh, "delete", f"/SH-001/staff/{uid}").status_code == 204
    assert not StaffMember.objects.filter(user_id=uid).exists()


@pytest.mark.parametrize(
    ("who", "store", "target", "body", "status"),
    [
        (None, "SH-001", "customer", {"role": "cashier"}, 401),
        ("customer", "SH-001", "customer", {"role": "cashier"}, 403),
        ("cashier_sh", "SH-001", "customer", {"role": "cashier"}, 403),
        ("manager_bj", "SH-001", "customer", {"role": "cashier"}, 403),
        ("manager_sh", "SH-001", "customer", {"role": "manager"}, 403),
        ("manager_sh", "SH-001", "manager_sh", {"role": "cashier"}, 403),
        ("staff", "SH-001", "customer", {"role": "owner"}, 422),
        ("staff", "SH-001", "customer", {}, 422),
        ("staff", "NO-001", "customer", {"role": "cashier"}, 404),
    ],
)
def test_assign_refusals_change_nothing(network, who, store, target, body, status):
    before = staff_rows()
    uid = getattr(network, target).user.pk
    response = call(getattr(network, who) if who else None, "put", f"/{store}/staff/{uid}", body)
    assert response.status_code == status
    assert staff_rows() == before


@pytest.mark.parametrize(("user_id", "status"), [("0", 422), ("-3", 422), ("abc", 422), ("999999999", 404)])
def test_assign_validates_the_user(network, user_id, status):
    before = staff_rows()
    assert call(network.staff, "put", f"/SH-001/staff/{user_id}", {"role": "cashier"}).status_code == status
    assert staff_rows() == before


@pytest.mark.parametrize(
    ("who", "target", "status"),
    [
        (None, "cashier_sh", 401),
        ("customer", "cashier_sh", 403),
        ("cashier_sh", "cashier_sh", 403),
        ("manager_bj", "cashier_sh", 403),
        ("manager_sh", "manager_sh", 403),
        ("manager_sh", "customer", 404),
    ],
)
def test_remove_refusals_change_nothing(network, who, target, status):
    before = staff_rows()
    response = call(
        getattr(network, who) if who else None, "delete", f"/SH-001/staff/{getattr(network, target).user.pk}"
    )
    assert response.status_code == status
    assert staff_rows() == before


def test_ranking_for_staff_and_managers(network, book_revenue):
    book_revenue("BJ-001", 12345)
    full = call(network.staff, "get", "/ranking?market=CN").json()
    assert full[0] == {
        "market": "CN",
        "rank": 1,
        "currency": "CNY",
        "store_code": "BJ-001",
        "store_name": "Mi Home Beijing",
        "city": "Beijing",
        "revenue": "123.45",
        "in_100m_club": False,
        "own": False,
    }
    mine = call(network.manager_sh, "get", "/ranking?market=CN").json()
    assert mine == [
        {
            "market": "CN",
            "rank": 1,
            "currency": "CNY",
            "store_code": None,
            "store_name": None,
            "city": None,
            "revenue": None,
            "in_100m_club": None,
            "own": False,
        },
        {
            "market": "CN",
            "rank": 2,
            "currency": "CNY",
            "store_code": "SH-001",
            "store_name": "Mi Home Shanghai",
            "city": "Shanghai",
            "revenue": "0.00",
            "in_100m_club": False,
            "own": True,
        },
    ]


@pytest.mark.parametrize(
    ("who", "query", "status"),
    [
        (None, "", 401),
        ("customer", "", 403),
        ("cashier_sh", "", 403),
        ("staff", "?market=XX", 404),
        ("staff", "?market=x", 422),
    ],
)
def test_ranking_refusals(network, who, query, status):
    assert call(getattr(network, who) if who else None, "get", f"/ranking{query}").status_code == status


def test_staff_plan_and_advance_an_opening(network):
    response = call(
        network.staff,
        "post",
        "/openings",
        {"market": "CN", "city": "Xi'an", "name": "Mi Home Xi'an", "target_date": "2017-09-01"},
    )
    assert response.status_code == 201
    opening_id = response.json()["id"]
    for stage in ("signed", "fitting_out"):
        assert (
            call(network.staff, "post", f"/openings/{opening_id}/advance", {"stage": stage}).status_code
            == 200
        )
    site = {k: STORE[k] for k in ("address", "latitude", "longitude", "opening_hours")} | {"code": "XA-001"}
    response = call(
        network.staff, "post", f"/openings/{opening_id}/advance", {"stage": "opened", "site": site}
    )
    assert (response.status_code, response.json()["store_code"], response.json()["stage"]) == (
        200,
        "XA-001",
        "opened",
    )
    assert Store.objects.get(code="XA-001").city == "Xi'an"
    assert [o["id"] for o in call(network.staff, "get", "/openings").json()] == [opening_id]


@pytest.fixture
def opening(network) -> PlannedOpening:
    return PlannedOpening.objects.create(
        market_id="CN", city="Wuhan", name="Mi Home Wuhan", target_date=date(2017, 5, 1)
    )


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        (None, {"stage": "signed"}, 401),
        ("customer", {"stage": "signed"}, 403),
        ("manager_sh", {"stage": "signed"}, 403),
        ("staff", {"stage": "scouting"}, 422),
        ("staff", {"stage": "demolished"}, 422),
        ("staff", {"stage": "fitting_out"}, 409),
        ("staff", {"stage": "signed", "store_code": "SH-001"}, 422),
    ],
)
def test_advance_refusals_change_nothing(network, opening, who, body, status):
    response = call(getattr(network, who) if who else None, "post", f"/openings/{opening.pk}/advance", body)
    assert response.status_code == status
    opening.refresh_from_db()
    assert (opening.stage, opening.store) == ("scouting", None)


def test_advance_of_an_unknown_opening(network):
    assert call(network.staff, "post", "/openings/999999/advance", {"stage": "signed"}).status_code == 404
    assert call(network.staff, "post", "/openings/0/advance", {"stage": "signed"}).status_code == 422


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        ("manager_sh", {"market": "CN", "city": "A", "name": "B", "target_date": "2017-01-01"}, 403),
        ("staff", {"market": "ZZ", "city": "A", "name": "B", "target_date": "2017-01-01"}, 422),
        ("staff", {"market": "CN", "city": "", "name": "B", "target_date": "2017-01-01"}, 422),
        ("staff", {"market": "CN", "city": "A", "name": "B", "target_date": "2017-02-30"}, 422),
    ],
)
def test_plan_opening_refusals(network, who, body, status):
    assert call(getattr(network, who), "post", "/openings", body).status_code == status
    assert not PlannedOpening.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"), [("customer", 403), ("cashier_sh", 403), ("manager_sh", 403), (None, 401)]
)
def test_openings_and_goals_are_back_office_only(network, who, status):
    person = getattr(network, who) if who else None
    assert call(person, "get", "/openings").status_code == status
    assert call(person, "get", "/goals").status_code == status


def test_goals_report_progress(network):
    from millet.stores.models import ExpansionGoal

    goal = ExpansionGoal.objects.create(
        market_id="CN", target_store_count=2, target_date=date(2999, 1, 1), description="Double down"
    )
    response = call(network.staff, "get", "/goals?market=CN")
    assert response.json() == [
        {
            "id": goal.pk,
            "market": "CN",
            "description": "Double down",
            "starts_on": None,
            "target_date": "2999-01-01",
            "target": 2,
            "opened": 2,
            "planned": 0,
            "on_track": True,
        }
    ]
