"""The catalog over HTTP: public reads, staff-only writes, precise 4xx and no change on refusal."""

import pytest

from millet.catalog.models import DeviceModel, Price, PriceList, Product, Sku
from tests.catalog.conftest import PURIFIER_URN


def snapshot():
    return [list(m.objects.order_by("pk").values()) for m in (DeviceModel, Product, Sku, PriceList, Price)]


@pytest.fixture
def staff(api_client, staff_token):
    return api_client(staff_token)


def refused(response, status, error=None):
    assert response.status_code == status, response.content
    if error:
        assert response.json()["error"] == error


# --- public reads


def test_product_list_is_public_with_prices_as_decimal_strings(catalog, api_client):
    response = api_client().get("/catalog/products?market=IN")
    assert response.status_code == 200
    assert response.json() == [
        {
            "slug": "usb-c-cable",
            "name": "USB-C cable",
            "category": "accessory",
            "category_label": "Accessory",
            "description": "",
            "device_model_urn": None,
            "currency": "INR",
            "skus": [{"code": "CABLE-C", "name": "USB-C cable 1m", "attributes": {}, "price": "299.00"}],
        },
        {
            "slug": "mi-6",
            "name": "Mi 6",
            "category": "phone",
            "category_label": "Phone",
            "description": "Snapdragon 835, dual camera",
            "device_model_urn": None,
            "currency": "INR",
            "skus": [
                {
                    "code": "MI6-64",
                    "name": "Mi 6 64GB Black",
                    "attributes": {"memory": "64GB", "colour": "black"},
                    "price": "19999.00",
                }
            ],
        },
    ]


def test_product_list_filters(catalog, api_client):
    response = api_client().get("/catalog/products?market=CN&category=home&search=purifier")
    assert [p["slug"] for p in response.json()] == ["air-purifier-pro"]


@pytest.mark.parametrize(
    ("query", "status", "error"),
    [
        ("", 422, None),  # market is required
        ("?market=FR", 404, "unknown_market"),
        ("?market=CHN", 422, None),
        ("?market=CN&category=fridge", 422, "unknown_category"),
        ("?market=CN&search=" + "x" * 101, 422, None),
    ],
)
def test_product_list_refuses_bad_queries(catalog, api_client, query, status, error):
    refused(api_client().get(f"/catalog/products{query}"), status, error)


def test_product_detail(catalog, api_client):
    response = api_client().get("/catalog/products/mi-6?market=IN")
    assert response.status_code == 200
    assert [(s["code"], s["price"]) for s in response.json()["skus"]] == [
        ("MI6-128", None),
        ("MI6-64", "19999.00"),
    ]
    refused(api_client().get("/catalog/products/mi-5?market=CN"), 404, "unknown_product")
    refused(api_client().get("/catalog/products/mi-6"), 422)


def test_sku_detail(catalog, api_client):
    response = api_client().get("/catalog/skus/AP-PRO")
    assert response.status_code == 200
    body = response.json()
    assert body["prices"] == [
        {"market": "CN", "currency": "CNY", "amount": "1499.00"},
        {"market": "DE", "currency": "EUR", "amount": "249.99"},
    ]
    assert (body["product_slug"], body["device_model_urn"], body["serialized"]) == (
        "air-purifier-pro",
        PURIFIER_URN,
        True,
    )
    refused(api_client().get("/catalog/skus/NOPE"), 404, "unknown_sku")
    refused(api_client().get("/catalog/skus/CABLE-OLD"), 404, "unknown_sku")


def test_device_model_spec_is_public(catalog, api_client):
    response = api_client().get(f"/catalog/device-models/{PURIFIER_URN}")
    assert response.status_code == 200 and response.json()["spec"]["services"][1]["siid"] == 3
    refused(api_client().get("/catalog/device-models/urn:none"), 404, "unknown_device_model")


# --- staff writes


def test_staff_creates_a_connected_product_end_to_end(catalog, staff, purifier_spec, api_client):
    spec = {"services": [purifier_spec["services"][1]]}
    response = staff.post(
        "/catalog/device-models", {"urn": "urn:millet-spec:device:sensor:1", "name": "Sensor", "spec": spec}
    )
    assert response.status_code == 201, response.content
    response = staff.post(
        "/catalog/products",
        {
            "slug": "air-sensor",
            "name": "Air sensor",
            "category": "home",
            "device_model_urn": "urn:millet-spec:device:sensor:1",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["device_model_urn"] == "urn:millet-spec:device:sensor:1"
    response = staff.post(
        "/catalog/skus",
        {
            "code": "SENSOR-1",
            "product_slug": "air-sensor",
            "name": "Air sensor",
            "attributes": {"colour": "white"},
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["product_slug"] == "air-sensor"
    response = staff.put("/catalog/prices/CN/SENSOR-1", {"amount": "99.5"})
    assert response.status_code == 200
    assert response.json() == {"market": "CN", "currency": "CNY", "amount": "99.50"}
    listed = api_client().get("/catalog/products?market=CN&search=sensor").json()
    assert [(p["slug"], p["skus"][0]["price"]) for p in listed] == [("air-sensor", "99.50")]


def test_staff_updates(catalog, staff, purifier_spec):
    purifier_spec["services"][0]["properties"][2]["value_range"] = [0, 2000, 10]
    response = staff.put(
        f"/catalog/device-models/{PURIFIER_URN}", {"name": "Purifier", "spec": purifier_spec}
    )
    assert response.status_code == 200
    assert DeviceModel.objects.get(urn=PURIFIER_URN).spec == purifier_spec
    response = staff.put("/catalog/products/mi-6", {"name": "Mi 6", "category": "phone", "is_active": False})
    assert response.status_code == 200 and response.json()["is_active"] is False
    response = staff.put("/catalog/skus/CABLE-OLD", {"name": "Micro-USB cable", "is_active": True})
    assert response.status_code == 200 and response.json()["is_active"] is True


def test_invalid_spec_is_422_with_every_message(catalog, staff, purifier_spec):
    purifier_spec["services"][0]["properties"][2]["value_range"] = [0, 40000, 10]
    purifier_spec["services"][0]["properties"][0]["access"] = ["read", "read"]
    before = snapshot()
    response = staff.put(
        f"/catalog/device-models/{PURIFIER_URN}", {"name": "Purifier", "spec": purifier_spec}
    )
    refused(response, 422, "invalid_spec")
    assert response.json()["detail"] == (
        "services[0].properties[0].access: access modes must be unique; "
        "services[0].properties[2].value_range: value_range [0, 40000] exceeds int16 bounds [-32768, 32767]"
    )
    assert snapshot() == before


WRITES = [
    ("post", "/catalog/device-models", {"urn": "urn:x", "name": "X", "spec": {"services": []}}),
    ("put", f"/catalog/device-models/{PURIFIER_URN}", {"name": "X", "spec": {"services": []}}),
    ("post", "/catalog/products", {"slug": "mi-7", "name": "Mi 7", "category": "phone"}),
    ("put", "/catalog/products/mi-6", {"name": "Mi 6", "category": "phone"}),
    ("post", "/catalog/skus", {"code": "MI7", "product_slug": "mi-6", "name": "Mi 7"}),
    ("put", "/catalog/skus/MI6-64", {"name": "Mi 6"}),
    ("put", "/catalog/prices/CN/MI6-64", {"amount": "1.00"}),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_need_staff(catalog, api_client, customer_token, method, path, body):
    before = snapshot()
    refused(getattr(api_client(customer_token), method)(path, body), 403, "forbidden")
    refused(getattr(api_client(), method)(path, body), 401)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        (
            "post",
            "/catalog/device-models",
            {"urn": "urn:x", "name": "X", "spec": {"services": []}},
            422,
            "invalid_spec",
        ),
        ("post", "/catalog/device-models", {"urn": "urn:x", "name": "X", "spec": "nope"}, 422, None),
        (
            "post",
            "/catalog/device-models",
            {"urn": PURIFIER_URN, "name": "X", "spec": {"services": [{"siid": 1, "type": "t"}]}},
            409,
            "duplicate_urn",
        ),
        ("put", "/catalog/device-models/urn:none", {"name": "X", "spec": {"services": []}}, 404, None),
        (
            "post",
            "/catalog/products",
            {"slug": "mi-6", "name": "Mi 6", "category": "phone"},
            409,
            "duplicate_product",
        ),
        (
            "post",
            "/catalog/products",
            {"slug": "mi-7", "name": "Mi 7", "category": "fridge"},
            422,
            "unknown_category",
        ),
        (
            "post",
            "/catalog/products",
            {"slug": "mi 7", "name": "Mi 7", "category": "phone"},
            422,
            "invalid_slug",
        ),
        ("post", "/catalog/products", {"slug": "mi-7", "name": "", "category": "phone"}, 422, None),
        (
            "post",
            "/catalog/products",
            {"slug": "mi-7", "name": "Mi 7", "category": "phone", "device_model_urn": "urn:none"},
            404,
            "unknown_device_model",
        ),
        ("put", "/catalog/products/mi-99", {"name": "Mi 99", "category": "phone"}, 404, "unknown_product"),
        (
            "post",
            "/catalog/skus",
            {"code": "MI6-64", "product_slug": "mi-6", "name": "x"},
            409,
            "duplicate_sku",
        ),
        (
            "post",
            "/catalog/skus",
            {"code": "MI7", "product_slug": "mi-99", "name": "x"},
            404,
            "unknown_product",
        ),
        (
            "post",
            "/catalog/skus",
            {"code": "MI7", "product_slug": "mi-6", "name": "x", "attributes": {"a": 1}},
            422,
            None,
        ),
        ("put", "/catalog/skus/NOPE", {"name": "x"}, 404, "unknown_sku"),
        ("put", "/catalog/prices/CN/MI6-64", {"amount": 19.99}, 422, None),
        ("put", "/catalog/prices/CN/MI6-64", {"amount": "19.999"}, 422, "malformed_money"),
        ("put", "/catalog/prices/CN/MI6-64", {"amount": "-5"}, 422, "malformed_money"),
        ("put", "/catalog/prices/CN/MI6-64", {"amount": "0"}, 422, "malformed_money"),
        ("put", "/catalog/prices/CN/MI6-64", {"amount": "NaN"}, 422, "malformed_money"),
        ("put", "/catalog/prices/CN/MI6-64", {"amount": "Infinity"}, 422, "malformed_money"),
        ("put", "/catalog/prices/CN/MI6-64", {"amount": "1e9"}, 422, "malformed_money"),
        ("put", "/catalog/prices/CN/MI6-64", {"amount": "twelve"}, 422, "malformed_money"),
        ("put", "/catalog/prices/CN/MI6-64", {}, 422, None),
        ("put", "/catalog/prices/FR/MI6-64", {"amount": "1.00"}, 404, "unknown_market"),
        ("put", "/catalog/prices/CN/NOPE", {"amount": "1.00"}, 404, "unknown_sku"),
    ],
)
def test_bad_writes_are_refused_and_change_nothing(catalog, staff, method, path, body, status, error):
    before = snapshot()
    refused(getattr(staff, method)(path, body), status, error)
    assert snapshot() == before
