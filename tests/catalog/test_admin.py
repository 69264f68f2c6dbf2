import json
from decimal import Decimal

import pytest

from millet.catalog.models import DeviceModel, Price, PriceList, Product, Sku
from millet.regions.services import define_market
from tests.catalog.conftest import PURIFIER_URN


def change_page_data(client, url: str) -> dict:
    """What the change page would post back untouched: its form's and inlines' current values."""
    context = client.get(url).context
    forms = [context["adminform"].form]
    data = {}
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({bf.html_name: bf.value() for bf in formset.management_form})
        forms += formset.forms
    for form in forms:
        for bf in form:
            if bf.field.widget.needs_multipart_form:
                continue  # no file posted: the stored one stays
            value = bf.value()
            if isinstance(value, bool):
                if value:
                    data[bf.html_name] = "on"
            elif isinstance(value, dict | list):
                data[bf.html_name] = json.dumps(value)
            elif value is not None:
                data[bf.html_name] = value
    return data


@pytest.mark.parametrize("page", ["devicemodel", "product", "sku", "pricelist", "price"])
def test_changelists_render_with_search(catalog, admin_client, page):
    response = admin_client.get(f"/admin/catalog/{page}/", {"q": "mi"})
    assert response.status_code == 200


def test_prices_filter_by_market(catalog, admin_client):
    response = admin_client.get("/admin/catalog/price/", {"price_list__market__code__exact": "DE"})
    assert response.status_code == 200
    assert b"249.99 EUR" in response.content and b"1499.00 CNY" not in response.content


def test_product_page_has_its_skus_inline(catalog, admin_client):
    product = DeviceModel.objects.get(urn=PURIFIER_URN).products.get()
    response = admin_client.get(f"/admin/catalog/product/{product.pk}/change/")
    assert response.status_code == 200 and b"AP-PRO" in response.content


def test_device_model_form_shows_spec_errors_and_saves_nothing(catalog, admin_client, purifier_spec):
    purifier_spec["services"][1]["siid"] = 2
    response = admin_client.post(
        "/admin/catalog/devicemodel/add/",
        {"urn": "urn:new", "name": "New", "spec": json.dumps(purifier_spec)},
    )
    assert response.status_code == 200
    assert b"services: duplicate siid 2" in response.content
    assert not DeviceModel.objects.filter(urn="urn:new").exists()
    purifier_spec["services"][1]["siid"] = 3
    data = {"urn": "urn:new", "name": "New", "spec": json.dumps(purifier_spec)}
    response = admin_client.post("/admin/catalog/devicemodel/add/", data)
    assert response.status_code == 302, response.content  # no labels yet: every one in English
    assert DeviceModel.objects.get(urn="urn:new").spec_labels_de in (None, {})


def test_a_price_list_with_prices_keeps_its_market(catalog, admin_client):
    """Its prices are amounts in its market's currency: moved to DE, CNY 2499.00 would sell as EUR."""
    price_list = PriceList.objects.get(market="CN", is_active=True)
    response = admin_client.post(
        f"/admin/catalog/pricelist/{price_list.pk}/change/",
        {
            "market": "DE",
            "name": price_list.name,
            "prices-TOTAL_FORMS": "0",
            "prices-INITIAL_FORMS": "0",
            "prices-MIN_NUM_FORMS": "0",
            "prices-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code in (200, 302)
    price_list.refresh_from_db()
    assert price_list.market_id == "CN"


@pytest.mark.parametrize("amount", ["1000000000.00", "0.00"])
def test_the_price_form_refuses_what_set_price_refuses(catalog, admin_client, amount):
    price = Price.objects.get(sku__code="MI6-64", price_list__market="CN")
    response = admin_client.post(
        f"/admin/catalog/price/{price.pk}/change/",
        {"price_list": price.price_list_id, "sku": price.sku_id, "amount": amount},
    )
    assert response.status_code == 200
    price.refresh_from_db()
    assert price.amount == Decimal("2499.00")


def test_the_price_form_refuses_a_market_without_a_tax_rule_for_the_sku(catalog, admin_client):
    """As ``set_price``: a price in a market added since, with no rule for the SKU's class, would sell
    it untaxed."""
    define_market("FR", "France", currency="EUR", languages=["en"], time_zone="Europe/Paris")
    fr = PriceList.objects.create(market_id="FR", name="FR retail", is_active=True)
    response = admin_client.post(
        "/admin/catalog/price/add/",
        {"price_list": fr.pk, "sku": Sku.objects.get(code="MI6-64").pk, "amount": "499.00"},
    )
    said = response.content.decode()
    assert response.status_code == 200 and "has no tax rule, nor a standard one, in FR" in said
    assert not Price.objects.filter(price_list=fr).exists()


def test_a_catalog_forms_refusal_is_in_the_admins_language(catalog, admin_client):
    """The forms showed the service's English detail ('no tax rule for tax class ...') on an admin
    drawn in German: now the catalog's words, naming the class and the markets from the refusal."""
    define_market("FR", "France", currency="EUR", languages=["en"], time_zone="Europe/Paris")
    fr = PriceList.objects.create(market_id="FR", name="FR retail", is_active=True)
    sku = Sku.objects.get(code="MI6-64")
    admin_client.cookies["django_language"] = "de"
    price = admin_client.post(
        "/admin/catalog/price/add/", {"price_list": fr.pk, "sku": sku.pk, "amount": "499.00"}
    ).content.decode()
    tax_class = sku.product.tax_class
    assert f"Die Steuerklasse {tax_class} hat in FR keine Steuerregel und auch keine Standardregel" in price
    assert "no tax rule for tax class" not in price
    cents = admin_client.post(
        "/admin/catalog/price/add/", {"price_list": fr.pk, "sku": sku.pk, "amount": "0.00"}
    ).content.decode()
    assert "Geben Sie einen Betrag in EUR ein: über null (oder null, wo erlaubt)" in cents
    assert "amount must be positive" not in cents


def test_a_price_stays_on_its_list_and_sku(catalog, admin_client):
    """``set_price`` prices one SKU on one market's list; moving the row would reprice another SKU
    or read the amount in another currency."""
    price = Price.objects.get(sku__code="AP-PRO", price_list__market="DE")
    in_list = PriceList.objects.get(market="IN", is_active=True)
    response = admin_client.post(
        f"/admin/catalog/price/{price.pk}/change/",
        {"price_list": in_list.pk, "sku": Sku.objects.get(code="MI5-32").pk, "amount": "259.99"},
    )
    assert response.status_code == 302
    price.refresh_from_db()
    assert (price.price_list.market_id, price.sku.code, price.amount) == ("DE", "AP-PRO", Decimal("259.99"))


def test_a_skus_serial_tracking_and_product_are_kept(catalog, admin_client):
    """Inventory counts a serialized SKU by its units (``update_sku`` never changes it)."""
    sku = Sku.objects.get(code="MI6-64")
    url = f"/admin/catalog/sku/{sku.pk}/change/"
    data = change_page_data(admin_client, url)
    data.pop("serialized", None)
    data.update(product=Product.objects.get(slug="usb-c-cable").pk, name_en="Mi 6 64GB Black (2017)")
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content
    sku.refresh_from_db()
    assert (sku.serialized, sku.product.slug, sku.name) == (True, "mi-6", "Mi 6 64GB Black (2017)")


def test_a_sku_in_the_product_page_keeps_its_serial_tracking(catalog, admin_client):
    product = Product.objects.get(slug="usb-c-cable")
    url = f"/admin/catalog/product/{product.pk}/change/"
    data = change_page_data(admin_client, url)
    cable = Sku.objects.get(code="CABLE-C")
    row = next(key for key, value in data.items() if key.endswith("-id") and str(value) == str(cable.pk))
    data[row.removesuffix("-id") + "-serialized"] = "on"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content
    cable.refresh_from_db()
    assert cable.serialized is False


@pytest.mark.parametrize("attributes", ['["black"]', '{"colour": {"r": 0}}'])
def test_the_sku_form_refuses_attributes_create_sku_refuses(catalog, admin_client, attributes):
    sku = Sku.objects.get(code="MI6-128")
    url = f"/admin/catalog/sku/{sku.pk}/change/"
    response = admin_client.post(url, {**change_page_data(admin_client, url), "attributes": attributes})
    assert response.status_code == 200
    sku.refresh_from_db()
    assert sku.attributes == {"memory": "128GB", "colour": "blue"}


def test_the_price_lists_page_refuses_a_price_set_price_refuses(catalog, admin_client):
    price_list = PriceList.objects.get(market="DE", is_active=True)
    url = f"/admin/catalog/pricelist/{price_list.pk}/change/"
    data = change_page_data(admin_client, url)
    row = next(key for key, value in data.items() if key.endswith("-amount"))
    data[row] = "1000000000.00"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert Price.objects.get(price_list=price_list).amount == Decimal("249.99")


def test_a_device_models_urn_is_kept(catalog, admin_client):
    """Devices, firmware and commands name their model by URN (``update_device_model`` never renames
    it); a renamed model would leave every unit of it without a spec."""
    model = DeviceModel.objects.get(urn=PURIFIER_URN)
    url = f"/admin/catalog/devicemodel/{model.pk}/change/"
    data = {**change_page_data(admin_client, url), "urn": "urn:renamed", "name": "Mi Air Purifier Pro 2"}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content
    model.refresh_from_db()
    assert (model.urn, model.name) == (PURIFIER_URN, "Mi Air Purifier Pro 2")


def test_a_skus_code_and_a_products_slug_are_kept(catalog, admin_client):
    """A SKU keeps its code for life (plans, orders' documents and the API name it) and a product its
    slug (``update_product``: its identity)."""
    sku = Sku.objects.get(code="MI6-128")
    url = f"/admin/catalog/sku/{sku.pk}/change/"
    response = admin_client.post(url, {**change_page_data(admin_client, url), "code": "MI6-128-NEW"})
    assert response.status_code == 302, response.content
    product = Product.objects.get(slug="mi-6")
    url = f"/admin/catalog/product/{product.pk}/change/"
    response = admin_client.post(url, {**change_page_data(admin_client, url), "slug": "mi-6-new"})
    assert response.status_code == 302, response.content
    assert Sku.objects.filter(code="MI6-128").exists() and Product.objects.filter(slug="mi-6").exists()


@pytest.mark.parametrize("tax_class", ["services", "standard", "luxury goods"])
def test_the_product_form_refuses_a_tax_class_create_product_refuses(catalog, admin_client, tax_class):
    """No market has a rule for it (nor a standard one): the product would sell with no tax."""
    product = Product.objects.get(slug="mi-6")
    url = f"/admin/catalog/product/{product.pk}/change/"
    response = admin_client.post(url, {**change_page_data(admin_client, url), "tax_class": tax_class})
    assert response.status_code == 200
    product.refresh_from_db()
    assert product.tax_class == "electronics"
    add = "/admin/catalog/product/add/"
    new = {**change_page_data(admin_client, add), "slug": "mi-7", "name_en": "Mi 7", "category": "phone"}
    assert admin_client.post(add, {**new, "tax_class": tax_class}).status_code == 200
    assert not Product.objects.filter(slug="mi-7").exists()
    assert admin_client.post(add, {**new, "tax_class": "electronics"}).status_code == 302


def test_the_product_form_keeps_a_class_a_market_added_since_has_no_rule_for(catalog, admin_client):
    product = Product.objects.get(slug="mi-6")
    url = f"/admin/catalog/product/{product.pk}/change/"
    data = change_page_data(admin_client, url)
    define_market("FR", "France", currency="EUR", languages=["en"], time_zone="Europe/Paris")
    response = admin_client.post(url, {**data, "name_en": "Mi 6 (2017)"})
    assert response.status_code == 302, response.content
    product.refresh_from_db()
    assert (product.name, product.tax_class) == ("Mi 6 (2017)", "electronics")


@pytest.mark.parametrize(
    "labels",
    [
        '["Fan level", "风扇档位"]',  # not an object
        '{"Fan level": 3}',  # not a text
        '{"Fan level": "  "}',  # empty
        '{"Warp drive": "曲速"}',  # a label the spec does not show
    ],
)
def test_the_device_model_form_refuses_labels_translate_device_model_refuses(catalog, admin_client, labels):
    """The product page reads each label through this column: a list or a number breaks the page."""
    model = DeviceModel.objects.get(urn=PURIFIER_URN)
    url = f"/admin/catalog/devicemodel/{model.pk}/change/"
    data = change_page_data(admin_client, url)
    assert admin_client.post(url, {**data, "spec_labels_zh_hans": labels}).status_code == 200
    model.refresh_from_db()
    assert model.spec_labels_zh_hans in (None, {})
    saved = admin_client.post(url, {**data, "spec_labels_zh_hans": '{"Fan level": " 风扇档位 "}'})
    assert saved.status_code == 302, saved.content
    model.refresh_from_db()
    assert model.spec_labels_zh_hans == {"Fan level": "风扇档位"}
