"""Products and their SKUs (the sellable variants); whether units carry serials is fixed per SKU."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import translation
from modeltranslation.utils import build_localized_fieldname

from millet.accounts.actor import Actor
from millet.catalog.images import DRAWING_NAMES
from millet.catalog.models import Product, Sku
from millet.catalog.services.device_models import check_language, checked_text, get_device_model
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.core.integrity import taken_or_raise
from millet.regions.services import untaxed_markets

# --- products and SKUs -------------------------------------------------------------------------

# The language the catalog's verbs are written in; other languages are translations of it
# (catalog/translation.py, django-modeltranslation).
SOURCE_LANGUAGE = "en"


def checked_category(category: str) -> str:
    if category not in Product.Category.values:
        raise Unprocessable(f"category must be one of {Product.Category.values}", code="unknown_category")
    return category


def _slug(value: str, field: str, max_length: int) -> str:
    try:
        validate_slug(value)
    except ValidationError:
        raise Unprocessable(
            f"{field} {value!r} must be letters, digits, - or _",
            code=f"invalid_{field}",
            facts={"limit": max_length},
        ) from None
    if len(value) > max_length:
        raise Unprocessable(
            f"{field} is longer than {max_length}", code=f"invalid_{field}", facts={"limit": max_length}
        )
    return value


def check_tax_class(tax_class: str) -> str:
    """A product's tax class as stored: letters, digits, - or _, up to 32 characters (422
    ``invalid_tax_class``), that every market taxes by a rule, the class's own or the market's
    ``standard`` one (``regions.untaxed_markets``); else 422 ``unknown_tax_class`` naming the
    markets without, where the product would sell with no tax at all. ``create_product``,
    ``update_product`` (when the class changes) and the back office's product form check it here."""
    tax_class = _slug(tax_class, "tax_class", 32)
    _refuse_untaxed(tax_class, untaxed_markets(tax_class))
    return tax_class


def check_taxed_in(market: str, sku: Sku) -> None:
    """``check_tax_class``'s rule for one market and a SKU's product: 422 ``unknown_tax_class`` when
    ``market`` taxes the class by no rule. A market added after the product may not have its rule
    yet, and a price there would sell the SKU with no tax at all, so pricing asks it (``set_price``,
    the back office's price forms)."""
    tax_class = sku.product.tax_class
    _refuse_untaxed(tax_class, untaxed_markets(tax_class, among=[market]))


def _refuse_untaxed(tax_class: str, untaxed: list[str]) -> None:
    if untaxed:
        raise Unprocessable(
            f"no tax rule for tax class {tax_class!r}, nor a standard one, in {', '.join(untaxed)}",
            code="unknown_tax_class",
            facts={"tax_class": tax_class, "markets": ", ".join(untaxed)},
        )


def _product_fields(
    name: str, category: str, description: str, device_model_urn: str | None, is_active: bool
) -> dict[str, Any]:
    return {
        "name": checked_text(name, "name", 128),
        "category": checked_category(category),
        "description": description.strip(),
        "device_model": get_device_model(device_model_urn) if device_model_urn else None,
        "is_active": is_active,
    }


def create_product(
    slug: str,
    name: str,
    category: str,
    *,
    description: str = "",
    tax_class: str = "electronics",
    device_model_urn: str | None = None,
    is_active: bool = True,
    drawing: str = "",
    actor: Actor,
) -> Product:
    """A product groups SKUs (colours, memory sizes); connected products name their device model.
    ``drawing`` names Millet's drawing of it (``catalog.images.DRAWINGS``; blank: its category's),
    shown until the back office uploads a photo. ``name`` and ``description`` are the English text
    (``translate_product`` adds the other languages).

    Staff only. An unknown drawing is 422 ``unknown_drawing``; a tax class is checked by
    ``check_tax_class``.
    """
    actor.require_staff()
    slug = _slug(slug, "slug", 64)
    fields = _product_fields(name, category, description, device_model_urn, is_active)
    fields["tax_class"] = check_tax_class(tax_class)
    if drawing and drawing not in DRAWING_NAMES:
        raise Unprocessable(f"drawing must be one of {sorted(DRAWING_NAMES)}", code="unknown_drawing")
    fields["drawing"] = drawing
    taken, duplicate = (
        Product.objects.filter(slug=slug),
        Conflict(f"product {slug!r} exists", code="duplicate_product"),
    )
    with taken_or_raise(taken, duplicate):  # a twin sent at once passed the check too: the slug is unique
        with translation.override(SOURCE_LANGUAGE):  # English source text
            return Product.objects.create(slug=slug, **fields)


def _product(slug: str) -> Product:
    product = Product.objects.filter(slug=slug).first()
    if product is None:
        raise NotFound(f"unknown product {slug!r}", code="unknown_product")
    return product


def update_product(
    slug: str,
    name: str,
    category: str,
    *,
    description: str = "",
    tax_class: str = "electronics",
    device_model_urn: str | None = None,
    is_active: bool = True,
    actor: Actor,
) -> Product:
    """Replace a product's fields (the slug is its identity and stays). Another tax class is
    checked by ``check_tax_class``; the one it has is kept as it is, so a market added since
    without a rule for it does not stop the product's other changes.

    Staff only.
    """
    actor.require_staff()
    product = _product(slug)
    fields = _product_fields(name, category, description, device_model_urn, is_active)
    if tax_class != product.tax_class:
        fields["tax_class"] = check_tax_class(tax_class)
    with translation.override(SOURCE_LANGUAGE):
        for field, value in fields.items():
            setattr(product, field, value)
        product.save()
    return product


@transaction.atomic
def translate_product(slug: str, language: str, *, name: str, description: str = "", actor: Actor) -> None:
    """Set a product's name (1 to 128 characters) and description in ``language``, one of
    ``MODELTRANSLATION_LANGUAGES`` ("zh-hans", "hi", "de"; "en" is the source ``update_product`` sets).
    An empty description falls back to the English one.

    Staff only. Unknown product: NotFound ``unknown_product``; another language: ``unknown_language``.
    """
    actor.require_staff()
    check_language(language)
    product = _product(slug)
    texts = {"name": checked_text(name, "name", 128), "description": description.strip()}
    columns = {build_localized_fieldname(field, language): text for field, text in texts.items()}
    for column, text in columns.items():
        setattr(product, column, text)
    product.save(update_fields=[*columns])


def checked_attributes(attributes: Mapping[str, Any] | None) -> dict[str, str]:
    """A SKU's attributes as stored: up to 20 pairs of short texts (key 1-32, value up to 64
    characters), e.g. {"colour": "black"}; 422 ``invalid_attributes``. ``create_sku``,
    ``update_sku`` and the back office's SKU form check them here."""
    attributes = dict(attributes or {}) if isinstance(attributes, Mapping | None) else None
    short = attributes is not None and all(
        isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= 32 and len(v) <= 64
        for k, v in attributes.items()
    )
    if not short or len(attributes) > 20:
        raise Unprocessable(
            'attributes are up to 20 short text pairs like {"colour": "black"}', code="invalid_attributes"
        )
    return attributes


def create_sku(
    code: str,
    product_slug: str,
    name: str,
    *,
    attributes: Mapping[str, str] | None = None,
    serialized: bool = True,
    allow_backorder: bool = False,
    is_active: bool = True,
    actor: Actor,
) -> Sku:
    """A sellable variant; whether units carry serial numbers is fixed here, as inventory counts by it.

    Staff only.
    """
    actor.require_staff()
    code = _slug(code, "code", 32)
    fields = {"name": checked_text(name, "name", 160), "attributes": checked_attributes(attributes)}
    product = _product(product_slug)
    taken, duplicate = Sku.objects.filter(code=code), Conflict(f"SKU {code!r} exists", code="duplicate_sku")
    with taken_or_raise(taken, duplicate):  # a twin sent at once passed the check too: the code is unique
        with translation.override(SOURCE_LANGUAGE):  # the name is the English source
            return Sku.objects.create(
                code=code,
                product=product,
                serialized=serialized,
                allow_backorder=allow_backorder,
                is_active=is_active,
                **fields,
            )


def update_sku(
    code: str,
    name: str,
    *,
    attributes: Mapping[str, str] | None = None,
    allow_backorder: bool = False,
    is_active: bool = True,
    actor: Actor,
) -> Sku:
    """Replace a SKU's sales fields; its product and ``serialized`` never change under existing stock.

    Staff only.
    """
    actor.require_staff()
    sku = sku_row(code)
    with translation.override(SOURCE_LANGUAGE):
        sku.name, sku.attributes = checked_text(name, "name", 160), checked_attributes(attributes)
        sku.allow_backorder, sku.is_active = allow_backorder, is_active
        sku.save(update_fields=["name", "name_en", "attributes", "allow_backorder", "is_active"])
    return sku


def translate_sku(code: str, language: str, *, name: str, actor: Actor) -> None:
    """Set a SKU's name (1 to 160 characters, e.g. "小米6 64GB 黑色") in ``language``, one of the
    translated languages (``translate_product``'s). Staff only. NotFound ``unknown_sku``; 422
    ``unknown_language``."""
    actor.require_staff()
    check_language(language)
    sku = sku_row(code)
    column = build_localized_fieldname("name", language)
    setattr(sku, column, checked_text(name, "name", 160))
    sku.save(update_fields=[column])


def sku_row(code: str) -> Sku:
    sku = Sku.objects.filter(code=code).first()
    if sku is None:
        raise NotFound(f"unknown SKU {code!r}", code="unknown_sku", facts={"sku": code})
    return sku
