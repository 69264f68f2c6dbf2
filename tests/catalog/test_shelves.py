"""Stock as the store tells it (inventory's ``shelves`` through the catalog's port) and product
translations through the catalog's services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from millet.accounts.actor import SYSTEM, Actor
from millet.catalog import services
from millet.core.errors import Forbidden, NotFound, Unprocessable
from millet.inventory import services as inventory
from tests.catalog.test_pages import warehouse  # noqa: F401 (fixture)


def test_shelves_count_free_units_in_the_markets_warehouses(catalog, warehouse):  # noqa: F811
    warehouse("MI6-64", 7)
    shelf = services.shelves(["MI6-64", "MI6-128", "CABLE-C"], "CN")
    assert shelf["MI6-64"] == services.Shelf("in_stock", 7)
    assert shelf["MI6-128"] == services.Shelf("sold_out", 0)
    assert services.shelves(["MI6-64"], "IN")["MI6-64"].state == "sold_out"  # CN's stock is not India's
    info = services.sku_info(["MI6-64"])["MI6-64"]
    inventory.reserve_stock(sku_id=info.id, quantity=3, market="CN", reference="ORDER-1")
    assert services.shelves(["MI6-64"], "CN")["MI6-64"] == services.Shelf("low", 4)
    with pytest.raises(NotFound):
        services.shelves(["NOPE"], "CN")


def test_a_back_order_ships_by_the_purchase_order_that_covers_the_queue(catalog, warehouse):  # noqa: F811
    today = timezone.localdate()
    assert services.shelves(["AP-PRO"], "CN")["AP-PRO"] == services.Shelf(
        "backorder", 0, today + timedelta(days=14)
    )
    sku_id = services.sku_info(["AP-PRO"])["AP-PRO"].id
    inventory.add_backorder(sku_id=sku_id, market="CN", quantity=4, reference="ORDER-1")
    for units, days in ((3, 5), (2, 12), (10, 30)):
        inventory.create_purchase_order(
            actor=SYSTEM,
            supplier="Factory",
            location_id=warehouse.location.pk,
            lines=[(sku_id, units)],
            expected_on=today + timedelta(days=days),
        )
    # 4 units wait: the first order brings 3, the second makes 5 > 4, so the next buyer's ships by it.
    assert services.shelves(["AP-PRO"], "CN")["AP-PRO"].ships_by == today + timedelta(days=12)


def test_translations_are_staff_work_in_known_languages(catalog):
    services.translate_product("mi-6", "zh-hans", name=" 小米6 ", description="骁龙835", actor=SYSTEM)
    with translation.override("zh-hans"):
        assert services.product_detail("mi-6", "CN").name == "小米6"
        assert services.list_products("CN", search="骁龙")[0].slug == "mi-6"
    with translation.override("en"):
        assert services.product_detail("mi-6", "CN").name == "Mi 6"
    with pytest.raises(Unprocessable) as refused:
        services.translate_product("mi-6", "fr", name="Mi 6", actor=SYSTEM)
    assert refused.value.code == "unknown_language"
    with pytest.raises(Unprocessable):
        services.translate_product("mi-6", "de", name="  ", actor=SYSTEM)
    with pytest.raises(NotFound):
        services.translate_product("nope", "de", name="X", actor=SYSTEM)
    with pytest.raises(Forbidden):
        services.translate_product("mi-6", "de", name="X", actor=Actor(user_id=1))


def test_editing_the_english_text_in_another_language_leaves_translations_alone(catalog):
    services.translate_product("mi-6", "de", name="Mi 6 (DE)", actor=SYSTEM)
    with translation.override("de"):
        services.update_product("mi-6", "Mi Six", "phone", description="New", actor=SYSTEM)
        assert services.product_detail("mi-6", "CN").name == "Mi 6 (DE)"
    with translation.override("hi"):
        assert services.product_detail("mi-6", "CN").name == "Mi Six"  # English is the fallback
    assert services.sku_info(["MI6-64"])["MI6-64"].product_name == "Mi Six"
