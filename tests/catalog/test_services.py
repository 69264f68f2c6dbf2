from decimal import Decimal

import pytest
from django.db import IntegrityError

from millet.accounts.actor import SYSTEM
from millet.catalog import services
from millet.catalog.models import DeviceModel, Price, PriceList, Product, Sku
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.regions.services import define_market, define_tax_rule
from tests.catalog.conftest import PURIFIER_URN
from tests.concurrency import deleted_meanwhile

D = Decimal


def snapshot():
    return [
        list(model.objects.order_by("pk").values()) for model in (DeviceModel, Product, Sku, PriceList, Price)
    ]


def refused(error, code, call, *args, **kwargs):
    before = snapshot()
    with pytest.raises(error) as exc:
        call(*args, **kwargs)
    assert exc.value.code == code
    assert snapshot() == before
    return exc.value


# --- device models


def test_invalid_spec_is_refused_with_every_message(catalog):
    spec = {"services": [{"siid": 1, "type": "x", "properties": [{"piid": 1, "name": "a", "format": "f"}]}]}
    error = refused(
        Unprocessable, "invalid_spec", services.create_device_model, "urn:new", "New", spec, actor=SYSTEM
    )
    assert "services[0].properties[0].format: Input should be" in error.detail
    assert "services[0].properties[0].access: Field required" in error.detail


def test_duplicate_urn_conflicts(catalog, purifier_spec):
    refused(
        Conflict,
        "duplicate_urn",
        services.create_device_model,
        PURIFIER_URN,
        "Again",
        purifier_spec,
        actor=SYSTEM,
    )


def test_update_device_model_validates_the_new_spec(catalog, purifier_spec):
    purifier_spec["services"][0]["properties"][2]["value_range"] = [0, 2000, 10]
    assert (
        services.update_device_model(PURIFIER_URN, "Purifier Pro", purifier_spec, actor=SYSTEM).name
        == "Purifier Pro"
    )
    purifier_spec["services"][0]["properties"][2]["value_range"] = [0, 40000, 10]
    refused(
        Unprocessable,
        "invalid_spec",
        services.update_device_model,
        PURIFIER_URN,
        "P",
        purifier_spec,
        actor=SYSTEM,
    )
    refused(
        NotFound,
        "unknown_device_model",
        services.update_device_model,
        "urn:none",
        "P",
        purifier_spec,
        actor=SYSTEM,
    )


@pytest.mark.parametrize(
    ("labels", "code"),
    [
        (["Fan level"], "invalid_label"),
        ({"Fan level": 3}, "invalid_label"),
        ({"Fan level": "x" * 129}, "invalid_label"),
        ({"Warp drive": "曲速"}, "unknown_label"),
    ],
)
def test_spec_labels_are_texts_for_labels_the_spec_shows(catalog, purifier_spec, labels, code):
    with pytest.raises(Unprocessable) as exc:
        services.check_spec_labels(purifier_spec, labels)
    assert exc.value.code == code
    assert services.check_spec_labels(purifier_spec, {"Fan level": " 风扇档位"}) == {"Fan level": "风扇档位"}
    assert services.check_spec_labels({"services": "none"}, {}) == {}  # nothing to check against


# --- products and SKUs


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "code"),
    [
        (("mi-6", "Mi 6 again", "phone"), {}, Conflict, "duplicate_product"),
        (("mi 7", "Mi 7", "phone"), {}, Unprocessable, "invalid_slug"),
        (("mi-7", "Mi 7", "fridge"), {}, Unprocessable, "unknown_category"),
        (("mi-7", "  ", "phone"), {}, Unprocessable, "invalid_name"),
        (("mi-7", "Mi 7", "phone"), {"tax_class": "luxury goods"}, Unprocessable, "invalid_tax_class"),
        (("mi-7", "Mi 7", "phone"), {"device_model_urn": "urn:none"}, NotFound, "unknown_device_model"),
        (("mi-7", "Mi 7", "phone"), {"tax_class": "standard"}, Unprocessable, "unknown_tax_class"),
    ],
)
def test_create_product_refuses(catalog, args, kwargs, error, code):
    refused(error, code, services.create_product, *args, **kwargs, actor=SYSTEM)


def test_a_tax_class_is_taxed_by_a_rule_in_every_market(catalog):
    """A class no rule names sells with no tax at all: the services rule ``tax_breakdown`` falls
    back to the market's standard rule, else to none."""
    define_tax_rule("CN", "services", "VAT", D("0.06"))
    error = refused(
        Unprocessable,
        "unknown_tax_class",
        services.create_product,
        "mi-care",
        "Mi Care",
        "accessory",
        tax_class="services",
        actor=SYSTEM,
    )
    assert error.detail.endswith("in DE, IN")
    refused(
        Unprocessable,
        "unknown_tax_class",
        services.update_product,
        "mi-6",
        "Mi 6",
        "phone",
        tax_class="services",
        actor=SYSTEM,
    )
    define_tax_rule("DE", "services", "VAT", D("0.19"))
    define_tax_rule("IN", "standard", "GST", D("0"))  # untaxed on purpose counts
    assert services.create_product("mi-care", "Mi Care", "accessory", tax_class="services", actor=SYSTEM)
    assert services.update_product("mi-6", "Mi 6", "phone", tax_class="services", actor=SYSTEM)


def test_a_product_keeps_its_tax_class_when_a_market_lacks_its_rule(catalog):
    """A market added since, without rules yet, does not stop the product's other changes."""
    define_market("FR", "France", currency="EUR", languages=["en"], time_zone="Europe/Paris")
    product = services.update_product("mi-6", "Mi 6", "phone", is_active=False, actor=SYSTEM)
    assert (product.tax_class, product.is_active) == ("electronics", False)
    refused(
        Unprocessable, "unknown_tax_class", services.create_product, "mi-7", "Mi 7", "phone", actor=SYSTEM
    )


def test_a_price_in_a_market_without_a_tax_rule_for_the_sku_is_refused(catalog):
    """A market added after the product had no rule for its class, and pricing there did not ask:
    the SKU would have sold with no tax at all. The price waits for the market's rule."""
    define_market("FR", "France", currency="EUR", languages=["en"], time_zone="Europe/Paris")
    refused(Unprocessable, "unknown_tax_class", services.set_price, "FR", "MI6-64", "499.00", actor=SYSTEM)
    assert not Price.objects.filter(price_list__market_id="FR").exists()
    define_tax_rule("FR", "standard", "VAT", D("0.20"))
    assert services.set_price("FR", "MI6-64", "499.00", actor=SYSTEM) == D("499.00")


def test_update_product_replaces_fields(catalog):
    product = services.update_product(
        "mi-6", "Mi 6 Plus", "phone", device_model_urn=PURIFIER_URN, actor=SYSTEM
    )
    assert (product.name, product.description, product.device_model.urn) == ("Mi 6 Plus", "", PURIFIER_URN)
    assert services.update_product("mi-6", "Mi 6", "phone", actor=SYSTEM).device_model is None
    refused(NotFound, "unknown_product", services.update_product, "mi-99", "Mi 99", "phone", actor=SYSTEM)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "code"),
    [
        (("MI6-64", "mi-6", "dup"), {}, Conflict, "duplicate_sku"),
        (("MI6 256", "mi-6", "Mi 6 256GB"), {}, Unprocessable, "invalid_code"),
        (("MI6-256", "mi-99", "Mi 6 256GB"), {}, NotFound, "unknown_product"),
        (
            ("MI6-256", "mi-6", "Mi 6 256GB"),
            {"attributes": {"memory": 256}},
            Unprocessable,
            "invalid_attributes",
        ),
        (("MI6-256", "mi-6", "x" * 161), {}, Unprocessable, "invalid_name"),
    ],
)
def test_create_sku_refuses(catalog, args, kwargs, error, code):
    refused(error, code, services.create_sku, *args, **kwargs, actor=SYSTEM)


def test_update_sku_keeps_product_and_serialization(catalog):
    sku = services.update_sku(
        "CABLE-C", "USB-C cable 2m", attributes={"length": "2m"}, allow_backorder=True, actor=SYSTEM
    )
    assert (sku.name, sku.attributes, sku.allow_backorder, sku.serialized) == (
        "USB-C cable 2m",
        {"length": "2m"},
        True,
        False,
    )
    refused(NotFound, "unknown_sku", services.update_sku, "NOPE", "x", actor=SYSTEM)


def test_sku_info_in_one_query(catalog, django_assert_num_queries):
    with django_assert_num_queries(1):
        info = services.sku_info(["MI6-64", "AP-PRO", "CABLE-OLD", "MI5-32"])
    assert info["AP-PRO"] == services.SkuInfo(
        id=Sku.objects.get(code="AP-PRO").pk,
        code="AP-PRO",
        product_name="Mi Air Purifier Pro",
        category="home",
        tax_class="electronics",
        serialized=True,
        allow_backorder=True,
        device_model_urn=PURIFIER_URN,
        name="Mi Air Purifier Pro",
        is_active=True,
    )
    assert info["MI6-64"].device_model_urn is None
    assert (info["CABLE-OLD"].is_active, info["MI5-32"].is_active) == (False, False)


def test_sku_info_refuses_unknown_codes(catalog):
    refused(NotFound, "unknown_sku", services.sku_info, ["MI6-64", "NOPE"])


# --- prices


def test_set_price_keeps_one_active_list_per_market(catalog):
    assert PriceList.objects.filter(market_id="CN", is_active=True).count() == 1
    assert services.set_price("CN", "MI6-64", D("2399"), actor=SYSTEM) == D("2399.00")
    assert services.price_for("MI6-64", "CN") == D("2399.00")
    assert PriceList.objects.filter(market_id="CN").count() == 1
    assert Price.objects.filter(sku__code="MI6-64").count() == 2


@pytest.mark.parametrize(
    ("market", "sku", "amount", "error", "code"),
    [
        ("CN", "MI6-64", D("0"), Unprocessable, "malformed_money"),
        ("CN", "MI6-64", D("-1"), Unprocessable, "malformed_money"),
        ("CN", "MI6-64", D("19.999"), Unprocessable, "malformed_money"),
        ("CN", "MI6-64", D("NaN"), Unprocessable, "malformed_money"),
        ("CN", "MI6-64", D("1e12"), Unprocessable, "malformed_money"),
        ("CN", "MI6-64", 19.99, Unprocessable, "malformed_money"),
        ("CN", "NOPE", D("1"), NotFound, "unknown_sku"),
        ("FR", "MI6-64", D("1"), NotFound, "unknown_market"),
    ],
)
def test_set_price_refuses(catalog, market, sku, amount, error, code):
    refused(error, code, services.set_price, market, sku, amount, actor=SYSTEM)


def test_prices_for_a_cart_in_one_query(catalog, django_assert_num_queries):
    services.price_for("MI6-64", "CN")  # warms the market cache
    with django_assert_num_queries(1):
        prices = services.prices_for(["MI6-64", "MI6-128", "CABLE-C"], "CN")
    assert prices == {"MI6-64": D("2499.00"), "MI6-128": D("2899.00"), "CABLE-C": D("19.90")}
    assert {c: str(p) for c, p in prices.items()} == {
        "MI6-64": "2499.00",
        "MI6-128": "2899.00",
        "CABLE-C": "19.90",
    }
    assert services.prices_for(["MI6-64", "CABLE-C"], "IN") == {
        "MI6-64": D("19999.00"),
        "CABLE-C": D("299.00"),
    }
    assert services.price_for("AP-PRO", "DE") == D("249.99")


@pytest.mark.parametrize(
    ("codes", "market", "error", "code"),
    [
        (["MI6-64", "NOPE"], "CN", NotFound, "unknown_sku"),
        (["CABLE-OLD"], "CN", NotFound, "unknown_sku"),  # inactive SKU
        (["MI5-32"], "CN", NotFound, "unknown_sku"),  # inactive product
        (["MI6-64", "MI6-128"], "IN", Conflict, "not_sold_in_market"),
        (["MI6-64"], "DE", Conflict, "not_sold_in_market"),
        (["MI6-64"], "FR", NotFound, "unknown_market"),
        ([f"SKU-{i}" for i in range(501)], "CN", Unprocessable, "too_many_skus"),
    ],
)
def test_prices_for_refuses(catalog, codes, market, error, code):
    refused(error, code, services.prices_for, codes, market)


def test_a_retired_price_list_no_longer_prices(catalog):
    PriceList.objects.filter(market_id="IN").update(is_active=False)
    refused(Conflict, "not_sold_in_market", services.price_for, "MI6-64", "IN")
    services.set_price("IN", "MI6-64", D("17999.00"), actor=SYSTEM)
    assert services.price_for("MI6-64", "IN") == D("17999.00")
    assert PriceList.objects.filter(market_id="IN", is_active=True).count() == 1


# --- storefront


def test_list_products_shows_what_the_market_sells(catalog):
    listing = {p.slug: p for p in services.list_products("CN")}
    assert list(listing) == ["usb-c-cable", "air-purifier-pro", "mi-6"]  # by category, then name
    assert [(s.code, s.price) for s in listing["mi-6"].skus] == [
        ("MI6-128", D("2899.00")),
        ("MI6-64", D("2499.00")),
    ]
    assert [s.code for s in listing["usb-c-cable"].skus] == ["CABLE-C"]
    assert listing["air-purifier-pro"].device_model_urn == PURIFIER_URN
    assert listing["mi-6"].currency == "CNY"
    india = services.list_products("IN")
    assert [(p.slug, [s.code for s in p.skus]) for p in india] == [
        ("usb-c-cable", ["CABLE-C"]),
        ("mi-6", ["MI6-64"]),
    ]
    assert [p.slug for p in services.list_products("DE")] == ["air-purifier-pro"]


@pytest.mark.parametrize(
    ("category", "search", "slugs"),
    [
        ("phone", None, ["mi-6"]),
        ("tv", None, []),
        (None, "snapdragon", ["mi-6"]),
        (None, "cable", ["usb-c-cable"]),
        (None, "ap-pro", ["air-purifier-pro"]),  # by SKU code
        ("home", "mi", ["air-purifier-pro"]),
        (None, "mi 5", []),  # inactive product
    ],
)
def test_list_products_filters(catalog, category, search, slugs):
    assert [p.slug for p in services.list_products("CN", category=category, search=search)] == slugs


def test_list_products_queries_do_not_grow_with_the_catalog(catalog, django_assert_max_num_queries):
    services.list_products("CN")
    with django_assert_max_num_queries(2):
        services.list_products("CN")


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"market": "FR"}, NotFound, "unknown_market"),
        ({"market": "CN", "category": "fridge"}, Unprocessable, "unknown_category"),
        ({"market": "CN", "search": "x" * 101}, Unprocessable, "invalid_search"),
    ],
)
def test_list_products_refuses(catalog, kwargs, error, code):
    refused(error, code, services.list_products, **kwargs)


def test_product_detail_lists_unpriced_variants_without_price(catalog):
    detail = services.product_detail("mi-6", "IN")
    assert [(s.code, s.price) for s in detail.skus] == [("MI6-128", None), ("MI6-64", D("19999.00"))]
    refused(NotFound, "unknown_product", services.product_detail, "mi-5", "CN")
    refused(NotFound, "unknown_product", services.product_detail, "mi-99", "CN")


def test_sku_detail_prices_in_every_market(catalog):
    detail = services.sku_detail("AP-PRO")
    assert detail.prices == {"CN": (D("1499.00"), "CNY"), "DE": (D("249.99"), "EUR")}
    assert detail.device_model_urn == PURIFIER_URN
    refused(NotFound, "unknown_sku", services.sku_detail, "CABLE-OLD")


@pytest.mark.django_db(transaction=True)  # the foreign key refuses the SKU when its transaction commits
def test_a_sku_of_a_product_deleted_meanwhile_is_not_said_to_exist(markets, monkeypatch):
    """The back office deletes a product (no SKUs yet) while a SKU is being added to it: the SKU's
    foreign key refuses it at commit. No SKU of that code exists, so the answer is that error, not
    409 ``duplicate_sku`` (which sent the caller to look for a SKU that is not there)."""
    from millet.catalog.services import products

    services.create_product("mi-7", "Mi 7", "phone", actor=SYSTEM)
    monkeypatch.setattr(products, "_product", deleted_meanwhile(products._product))
    with pytest.raises(IntegrityError):
        services.create_sku("MI7-64", "mi-7", "Mi 7 64GB", actor=SYSTEM)
    assert not Sku.objects.filter(code="MI7-64").exists()


@pytest.mark.django_db(transaction=True)  # the foreign key refuses the product when its transaction commits
def test_a_product_of_a_device_model_deleted_meanwhile_is_not_said_to_exist(
    markets, purifier_spec, monkeypatch
):
    """The same for a connected product whose device model is deleted meanwhile: not 409
    ``duplicate_product`` for a slug no product has."""
    from millet.catalog.services import products

    services.create_device_model(PURIFIER_URN, "Mi Air Purifier Pro", purifier_spec, actor=SYSTEM)
    monkeypatch.setattr(products, "get_device_model", deleted_meanwhile(products.get_device_model))
    with pytest.raises(IntegrityError):
        services.create_product("purifier", "Purifier", "home", device_model_urn=PURIFIER_URN, actor=SYSTEM)
    assert not Product.objects.filter(slug="purifier").exists()
