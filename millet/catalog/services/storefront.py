"""What a shopper sees: products with their SKUs priced in a market (names and descriptions in the
active language, English where a translation is missing), and a SKU's prices everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from modeltranslation.utils import build_localized_fieldname

from millet.catalog.device_spec import DeviceSpec, checked_spec
from millet.catalog.images import drawing_url
from millet.catalog.models import Price, Product, Sku
from millet.catalog.services.prices import market_price_of
from millet.catalog.services.products import checked_category
from millet.catalog.services.skus import sellable
from millet.core.errors import NotFound, Unprocessable
from millet.regions.money import quantize
from millet.regions.services import get_market

MAX_SEARCH_LENGTH = 100


@dataclass(frozen=True)
class SkuListing:
    code: str
    name: str
    attributes: dict[str, Any]
    price: Decimal | None  # None: not sold in the market asked about


@dataclass(frozen=True)
class ProductListing:
    slug: str
    name: str
    category: str
    description: str
    device_model_urn: str | None
    currency: str
    skus: list[SkuListing]
    image_url: str  # the uploaded photo, else Millet's drawing of it (catalog/images.py)


@dataclass(frozen=True)
class SkuDetail:
    code: str
    name: str
    attributes: dict[str, Any]
    serialized: bool
    allow_backorder: bool
    product_slug: str
    product_name: str
    category: str
    device_model_urn: str | None
    prices: dict[str, tuple[Decimal, str]]  # market -> (amount, currency)


# --- storefront ---------------------------------------------------------------------------------


def _listing(product: Product, currency: str, *, priced_only: bool) -> ProductListing:
    skus = [
        SkuListing(
            s.code,
            s.name,
            s.attributes,
            None if s.market_price is None else quantize(s.market_price, currency),
        )
        for s in product.sellable_skus
        if s.market_price is not None or not priced_only
    ]
    return ProductListing(
        slug=product.slug,
        name=product.name,
        category=product.category,
        description=product.description,
        device_model_urn=product.device_model.urn if product.device_model else None,
        currency=currency,
        skus=skus,
        image_url=product.image.url if product.image else drawing_url(product.drawing, product.category),
    )


def _storefront(market: str) -> QuerySet[Product]:
    skus = Sku.objects.filter(is_active=True).annotate(market_price=market_price_of(market)).order_by("code")
    return (
        Product.objects.filter(is_active=True)
        .select_related("device_model")
        .prefetch_related(Prefetch("skus", queryset=skus, to_attr="sellable_skus"))
    )


def list_products(
    market: str, category: str | None = None, search: str | None = None
) -> list[ProductListing]:
    """What a shopper in ``market`` can buy: active products with their SKUs priced there."""
    currency = get_market(market).currency
    priced = Price.objects.filter(
        sku__product=OuterRef("pk"),
        sku__is_active=True,
        price_list__market_id=market,
        price_list__is_active=True,
    )
    products = _storefront(market).filter(Exists(priced))
    if category:
        products = products.filter(category=checked_category(category))
    if search:
        products = products.filter(_matches(search))
    listings = [_listing(p, currency, priced_only=True) for p in products]
    return sorted(listings, key=lambda p: (p.category, p.name.casefold()))  # names as shown


def _matches(search: str) -> Q:
    """Products whose name or description contains ``search`` in any language (a shopper on the
    German page may type an English name), or with a SKU whose code contains it."""
    if len(search) > MAX_SEARCH_LENGTH:
        raise Unprocessable(f"search is longer than {MAX_SEARCH_LENGTH}", code="invalid_search")
    match = Exists(Sku.objects.filter(product=OuterRef("pk"), code__icontains=search))
    for language in settings.MODELTRANSLATION_LANGUAGES:
        for field in ("name", "description"):
            match |= Q(**{f"{build_localized_fieldname(field, language)}__icontains": search})
    return match


def _product_row(slug: str, market: str) -> Product:
    product = _storefront(market).filter(slug=slug).first()
    if product is None:
        raise NotFound(f"unknown product {slug!r}", code="unknown_product")
    return product


def product_detail(slug: str, market: str) -> ProductListing:
    """One product with all its active SKUs; those not sold in ``market`` have no price."""
    currency = get_market(market).currency
    return _listing(_product_row(slug, market), currency, priced_only=False)


@dataclass(frozen=True)
class ProductPage:
    product: ProductListing  # only the SKUs priced in the market
    spec: DeviceSpec | None  # a connected product's device model spec
    spec_labels: dict[str, str]  # its English labels -> the active language's (``spec_sheet``)


def product_page(slug: str, market: str) -> ProductPage:
    """What a product's page shows in ``market``, in two queries: the product with its SKUs priced
    there, and a connected product's device model spec. NotFound ``unknown_product`` when the
    product is unknown, retired or has no price in the market."""
    currency = get_market(market).currency
    row = _product_row(slug, market)
    product = _listing(row, currency, priced_only=True)
    if not product.skus:
        raise NotFound(f"{slug!r} is not sold in {market}", code="unknown_product")
    model = row.device_model
    if model is None:
        return ProductPage(product, None, {})
    return ProductPage(product, checked_spec(model.spec), model.spec_labels or {})


def sku_detail(code: str) -> SkuDetail:
    """A sellable SKU and its price in every market that sells it."""
    sku = Sku.objects.filter(sellable(), code=code).select_related("product__device_model").first()
    if sku is None:
        raise NotFound(f"unknown SKU {code!r}", code="unknown_sku", facts={"sku": code})
    prices = Price.objects.filter(sku=sku, price_list__is_active=True).values_list(
        "price_list__market_id", "amount"
    )
    return SkuDetail(
        code=sku.code,
        name=sku.name,
        attributes=sku.attributes,
        serialized=sku.serialized,
        allow_backorder=sku.allow_backorder,
        product_slug=sku.product.slug,
        product_name=sku.product.name,
        category=sku.product.category,
        device_model_urn=sku.product.device_model.urn if sku.product.device_model else None,
        prices={
            market: (amount, get_market(market).currency)
            for market, amount in prices.order_by("price_list__market_id")
        },
    )


def categories() -> list[tuple[str, str]]:
    """Every category a product may have, as (value, label in the active language), in menu order."""
    return [(value, str(label)) for value, label in Product.Category.choices]
