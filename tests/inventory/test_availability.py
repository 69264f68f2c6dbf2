"""What a shopper is told they can buy (``GET /api/inventory/availability``): only units that
checkout can hold, at the active locations of a market that exists."""

from __future__ import annotations

import pytest

from millet.inventory import services
from millet.inventory.models import Location
from millet.inventory.services import OutOfStock

pytestmark = pytest.mark.django_db


def test_availability_counts_warehouses_online_and_stores_for_pickup(world, api_client):
    answer = api_client().get("/inventory/availability?sku=MI6-64&market=CN")
    assert answer.status_code == 200
    assert answer.json() == {
        "sku": "MI6-64",
        "market": "CN",
        "available_online": 8,
        "stores": [{"store_code": "BJ-001", "available": 2}, {"store_code": "SH-001", "available": 3}],
    }


@pytest.mark.parametrize("market", ["ZZ", "cn"])
def test_an_unknown_market_is_a_404_not_an_empty_shelf(world, api_client, market):
    answer = api_client().get(f"/inventory/availability?sku=MI6-64&market={market}")
    assert answer.status_code == 404
    assert answer.json()["error"] == "unknown_market"


def test_a_closed_location_s_units_are_not_offered(world, api_client):
    """A deactivated warehouse or store shelf holds units nobody can buy: checkout never reserves
    them, so offering them promised what ``reserve_stock`` then refused."""
    Location.objects.filter(code__in=["WH-CN-BJ", "BJ-001"]).update(is_active=False)
    answer = api_client().get("/inventory/availability?sku=MI6-64&market=CN").json()
    assert answer["available_online"] == 5
    assert answer["stores"] == [{"store_code": "SH-001", "available": 3}]
    with pytest.raises(OutOfStock):  # what checkout holds agrees
        services.reserve_stock(sku_id=world.skus["MI6-64"].pk, quantity=6, market="CN", reference="o-1")
