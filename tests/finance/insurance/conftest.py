"""A sold, fulfilled phone and a protection plan for it, bought through the real sales API."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from millet.accounts.actor import CLAIMS_HANDLER_GROUP, SYSTEM
from millet.insurance import services
from millet.insurance.services import PriceInput


@pytest.fixture
def plan(world):
    return services.create_plan(
        SYSTEM,
        code="CARE-MI6-12",
        name="Mi Care 12 months",
        sku_code="MI6-64",
        term_months=12,
        perils=["accidental_damage", "liquid_damage"],
        prices=[
            PriceInput("CN", "199.00", "2000.00", "99.00"),
            PriceInput("IN", "1499.00", "15000.00", "500.00"),
        ],
    )


def sell(world, user: str = "alice", market: str = "CN") -> tuple[str, str]:
    """A fulfilled web order for one MI6-64: (order number, serial)."""
    placed = world.client(user).post(
        "/sales/orders",
        {"market": market, "lines": [{"sku": "MI6-64", "quantity": 1}], "payment_token": "tok_ok"},
    )
    assert placed.status_code == 201, placed.content
    number = placed.json()["number"]
    shipped = world.client("staff").post(f"/sales/orders/{number}/fulfil")
    assert shipped.status_code == 200, shipped.content
    return number, shipped.json()["lines"][0]["serials"][0]


@pytest.fixture
def sold(world):
    return sell(world)


@pytest.fixture
def policy(world, plan, sold):
    order, serial = sold
    response = world.client("alice").post(
        "/insurance/policies",
        {"order_number": order, "serial": serial, "plan": "CARE-MI6-12", "payment_token": "tok_ok"},
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def handler(world):
    """bob, a customer who is also in the claims handler group (not staff)."""
    group, _ = Group.objects.get_or_create(name=CLAIMS_HANDLER_GROUP)
    world.users["bob"].groups.add(group)
    return world.client("bob")
