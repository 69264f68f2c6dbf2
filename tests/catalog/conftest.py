"""A small catalog built through the catalog services, on the default markets."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from millet.accounts.actor import SYSTEM
from millet.catalog import services
from tests.regions.conftest import admin_client, customer_token, fresh_region_caches, markets, staff_token

__all__ = ["admin_client", "customer_token", "fresh_region_caches", "markets", "staff_token"]

PURIFIER_URN = "urn:millet-spec:device:air-purifier:pro:1"
PURIFIER_SPEC = {
    "services": [
        {
            "siid": 2,
            "type": "air-purifier",
            "description": "Air Purifier",
            "properties": [
                {"piid": 1, "name": "on", "format": "bool", "access": ["read", "write", "notify"]},
                {
                    "piid": 2,
                    "name": "mode",
                    "format": "uint8",
                    "access": ["read", "write", "notify"],
                    "value_list": [
                        {"value": 0, "description": "Auto"},
                        {"value": 1, "description": "Sleep"},
                        {"value": 2, "description": "Favorite"},
                    ],
                },
                {
                    "piid": 3,
                    "name": "fan-level",
                    "format": "int16",
                    "access": ["read", "write"],
                    "value_range": [0, 1400, 10],
                },
                {
                    "piid": 4,
                    "name": "temperature",
                    "format": "float",
                    "access": ["read", "notify"],
                    "unit": "celsius",
                    "value_range": [-40, 125, 0.1],
                },
                {"piid": 5, "name": "model-name", "format": "string", "access": ["read"]},
            ],
            "actions": [{"aiid": 1, "name": "toggle", "in": [], "out": [1]}],
            "events": [{"eiid": 1, "name": "filter-exhausted", "arguments": [2, 3]}],
        },
        {
            "siid": 3,
            "type": "environment",
            "description": "Environment",
            "properties": [
                {
                    "piid": 1,
                    "name": "pm2.5-density",
                    "format": "uint16",
                    "access": ["read", "notify"],
                    "value_range": [0, 600, 1],
                }
            ],
        },
    ]
}


@pytest.fixture
def purifier_spec() -> dict:
    return copy.deepcopy(PURIFIER_SPEC)


@pytest.fixture
def catalog(markets):
    """Phone sold in CN and IN (one variant CN only), a connected purifier, retired things never shown."""
    services.create_device_model(PURIFIER_URN, "Mi Air Purifier Pro", PURIFIER_SPEC, actor=SYSTEM)
    services.create_product("mi-6", "Mi 6", "phone", description="Snapdragon 835, dual camera", actor=SYSTEM)
    services.create_sku(
        "MI6-64", "mi-6", "Mi 6 64GB Black", attributes={"memory": "64GB", "colour": "black"}, actor=SYSTEM
    )
    services.create_sku(
        "MI6-128", "mi-6", "Mi 6 128GB Blue", attributes={"memory": "128GB", "colour": "blue"}, actor=SYSTEM
    )
    services.create_product(
        "air-purifier-pro", "Mi Air Purifier Pro", "home", device_model_urn=PURIFIER_URN, actor=SYSTEM
    )
    services.create_sku(
        "AP-PRO", "air-purifier-pro", "Mi Air Purifier Pro", allow_backorder=True, actor=SYSTEM
    )
    services.create_product("mi-5", "Mi 5", "phone", is_active=False, actor=SYSTEM)
    services.create_sku("MI5-32", "mi-5", "Mi 5 32GB", actor=SYSTEM)
    services.create_product("usb-c-cable", "USB-C cable", "accessory", actor=SYSTEM)
    services.create_sku("CABLE-C", "usb-c-cable", "USB-C cable 1m", serialized=False, actor=SYSTEM)
    services.create_sku(
        "CABLE-OLD", "usb-c-cable", "Micro-USB cable", serialized=False, is_active=False, actor=SYSTEM
    )
    for market, sku, amount in [
        ("CN", "MI6-64", "2499.00"),
        ("IN", "MI6-64", "19999.00"),
        ("CN", "MI6-128", "2899.00"),
        ("CN", "AP-PRO", "1499.00"),
        ("DE", "AP-PRO", "249.99"),
        ("CN", "MI5-32", "1299.00"),
        ("CN", "CABLE-C", "19.90"),
        ("IN", "CABLE-C", "299.00"),
        ("CN", "CABLE-OLD", "9.90"),
    ]:
        services.set_price(market, sku, Decimal(amount), actor=SYSTEM)
