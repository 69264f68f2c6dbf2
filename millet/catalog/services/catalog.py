"""Catalog services: what the company sells, and at what price in each market.

Sales, inventory and the device cloud read the catalog only through these functions; they take SKU
codes and market codes, never rows, and the bulk readers answer a whole cart in one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from millet.catalog.device_spec import checked_spec
from millet.catalog.models import DeviceModel, Price, PriceList, Product, Sku
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.regions.money import parse_amount, quantize
from millet.regions.services import get_market

MAX_SEARCH_LENGTH = 100
MAX_BULK_CODES = 500  # a cart or a stock report never names more SKUs; more is a misuse


@dataclass(frozen=True)
class SkuInfo:
    id: int
    code: str
    product_name: str
    category: str
    tax_class: str
    serialized: bool
    allow_backorder: bool
    device_model_urn: str | None
    name: str
    is_active: bool


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


# --- device models -----------------------------------------------------------------------------


def _text(value: str, field: str, max_length: int) -> str:
    value = value.strip()
    if not value or len(value) > max_length:
        raise Unprocessable(f"{field} must be 1 to {max_length} characters", code=f"invalid_{field}")
    return value


def create_device_model(urn: str, name: str, spec: Mapping[str, Any]) -> DeviceModel:
    """Register the spec a connected product's units will speak; refused whole if any part is invalid."""
    urn = _text(urn, "urn", 128)
    checked_spec(spec)
    if DeviceModel.objects.filter(urn=urn).exists():
        raise Conflict(f"device model {urn!r} exists", code="duplicate_urn")
    return DeviceModel.objects.create(urn=urn, name=_text(name, "name", 128), spec=dict(spec))


def get_device_model(urn: str) -> DeviceModel:
    model = DeviceModel.objects.filter(urn=urn).first()
    if model is None:
        raise NotFound(f"unknown device model {urn!r}", code="unknown_device_model")
    return model


def update_device_model(urn: str, name: str, spec: Mapping[str, Any]) -> DeviceModel:
    model = get_device_model(urn)
    checked_spec(spec)
    model.name, model.spec = _text(name, "name", 128), dict(spec)
    model.save(update_fields=["name", "spec"])
    return model


# --- products and SKUs -------------------------------------------------------------------------


def _category(category: str) -> str:
    if category not in Product.Category.values:
        raise Unprocessable(f"category must be one of {Product.Category.values}", code="unknown_category")
    return category


def _slug(value: str, field: str, max_length: int) -> str:
    try:
        validate_slug(value)
    except ValidationError:
        raise Unprocessable(
            f"{field} {value!r} must be letters, digits, - or _", code=f"invalid_{field}"
        ) from None
    if len(value) > max_length:
        raise Unprocessable(f"{field} is longer than {max_length}", code=f"invalid_{field}")
    return value


def _product_fields(
    name: str, category: str, description: str, tax_class: str, device_model_urn: str | None, is_active: bool
) -> dict[str, Any]:
    return {
        "name": _text(name, "name", 128),
        "category": _category(category),
        "description": description.strip(),
        "tax_class": _slug(tax_class, "tax_class", 32),
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
) -> Product:
    """A product groups SKUs (colours, memory sizes); connected products name their device model."""
    slug = _slug(slug, "slug", 64)
    fields = _product_fields(name, category, description, tax_class, device_model_urn, is_active)
    if Product.objects.filter(slug=slug).exists():
        raise Conflict(f"product {slug!r} exists", code="duplicate_product")
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
) -> Product:
    """Replace a product's fields (the slug is its identity and stays)."""
    product = _product(slug)
    fields = _product_fields(name, category, description, tax_class, device_model_urn, is_active)
    for field, value in fields.items():
        setattr(product, field, value)
    product.save(update_fields=[*fields])
    return product


def _attributes(attributes: Mapping[str, Any] | None) -> dict[str, str]:
    attributes = dict(attributes or {})
    short = all(
        isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= 32 and len(v) <= 64
        for k, v in attributes.items()
    )
    if len(attributes) > 20 or not short:
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
) -> Sku:
    """A sellable variant; whether units carry serial numbers is fixed here, as inventory counts by it."""
    code = _slug(code, "code", 32)
    fields = {"name": _text(name, "name", 160), "attributes": _attributes(attributes)}
    product = _product(product_slug)
    if Sku.objects.filter(code=code).exists():
        raise Conflict(f"SKU {code!r} exists", code="duplicate_sku")
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
) -> Sku:
    """Replace a SKU's sales fields; its product and ``serialized`` never change under existing stock."""
    sku = _sku(code)
    sku.name, sku.attributes = _text(name, "name", 160), _attributes(attributes)
    sku.allow_backorder, sku.is_active = allow_backorder, is_active
    sku.save(update_fields=["name", "attributes", "allow_backorder", "is_active"])
    return sku


def _sku(code: str) -> Sku:
    sku = Sku.objects.filter(code=code).first()
    if sku is None:
        raise NotFound(f"unknown SKU {code!r}", code="unknown_sku")
    return sku


# --- prices --------------------------------------------------------------------------------------


def _active_price_list(market: str) -> PriceList:
    """The market's one active list; the partial unique index makes two racing creators agree."""
    existing = PriceList.objects.filter(market_id=market, is_active=True).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return PriceList.objects.create(market_id=market, name=f"{market} retail", is_active=True)
    except IntegrityError:
        return PriceList.objects.get(market_id=market, is_active=True)


@transaction.atomic
def set_price(market: str, sku_code: str, amount: Decimal) -> Decimal:
    """Set the gross unit price of a SKU in a market (tax-inclusive where the market quotes so)."""
    info = get_market(market)
    amount = parse_amount(amount, info.currency)
    sku = _sku(sku_code)
    Price.objects.update_or_create(
        price_list=_active_price_list(market), sku=sku, defaults={"amount": amount}
    )
    return amount


def _market_price(market: str) -> Subquery:
    return Subquery(
        Price.objects.filter(
            sku=OuterRef("pk"), price_list__market_id=market, price_list__is_active=True
        ).values("amount")[:1]
    )


def _codes(codes: Iterable[str]) -> set[str]:
    wanted = set(codes)
    if len(wanted) > MAX_BULK_CODES:
        raise Unprocessable(f"at most {MAX_BULK_CODES} SKUs at a time", code="too_many_skus")
    return wanted


def _sellable() -> Q:
    return Q(is_active=True, product__is_active=True)


# Read as plain values, not model instances: these run on every checkout, and building three model
# objects per SKU cost more than the query itself.
_INFO_FIELDS = (
    "id",
    "code",
    "name",
    "serialized",
    "allow_backorder",
    "is_active",
    "product__name",
    "product__category",
    "product__tax_class",
    "product__is_active",
    "product__device_model__urn",
)


def _info(row: dict) -> SkuInfo:
    return SkuInfo(
        id=row["id"],
        code=row["code"],
        product_name=row["product__name"],
        category=row["product__category"],
        tax_class=row["product__tax_class"],
        serialized=row["serialized"],
        allow_backorder=row["allow_backorder"],
        device_model_urn=row["product__device_model__urn"],
        name=row["name"],
        is_active=row["is_active"] and row["product__is_active"],
    )


def _refuse_unknown(wanted: set[str], found: Iterable[str]) -> None:
    unknown = sorted(wanted - set(found))
    if unknown:
        raise NotFound(f"unknown SKU {', '.join(unknown)}", code="unknown_sku")


def sku_offers(sku_codes: Iterable[str], market: str) -> dict[str, tuple[SkuInfo, Decimal]]:
    """Facts and market price of SKUs a shopper wants, in one query (the checkout's hot path).

    Refuses the whole set if one SKU is unknown or inactive (404) or has no price there (409).
    """
    currency = get_market(market).currency
    wanted = _codes(sku_codes)
    # SQLite hands subquery decimals back unscaled (299 for 299.00); the currency's scale is the contract.
    rows = {
        row["code"]: (
            _info(row),
            None if row["market_price"] is None else quantize(row["market_price"], currency),
        )
        for row in Sku.objects.filter(_sellable(), code__in=wanted)
        .annotate(market_price=_market_price(market))
        .values(*_INFO_FIELDS, "market_price")
    }
    _refuse_unknown(wanted, rows)
    unpriced = sorted(code for code, (_, price) in rows.items() if price is None)
    if unpriced:
        raise Conflict(f"{', '.join(unpriced)} not sold in {market}", code="not_sold_in_market")
    return rows


def prices_for(sku_codes: Iterable[str], market: str) -> dict[str, Decimal]:
    """Prices of many SKUs in one query; refuses the set if one is unknown, inactive or not sold there."""
    return {code: price for code, (_, price) in sku_offers(sku_codes, market).items()}


def price_for(sku_code: str, market: str) -> Decimal:
    return prices_for([sku_code], market)[sku_code]


def sku_info(codes: Iterable[str]) -> dict[str, SkuInfo]:
    """Facts other domains need about SKUs (inactive ones too: stock of a retired SKU still exists)."""
    wanted = _codes(codes)
    rows = {row["code"]: _info(row) for row in Sku.objects.filter(code__in=wanted).values(*_INFO_FIELDS)}
    _refuse_unknown(wanted, rows)
    return rows


def skus_by_id(ids: Iterable[int]) -> dict[int, SkuInfo]:
    """The same facts by SKU id, for rows other domains keep (order lines, stock, plans); an id
    that names no SKU is simply absent."""
    return {row["id"]: _info(row) for row in Sku.objects.filter(pk__in=set(ids)).values(*_INFO_FIELDS)}


def sku_id_for(code: str) -> int | None:
    """The id of the SKU with this code, or None when there is none (a lookup that refuses nothing)."""
    return Sku.objects.filter(code=code).values_list("pk", flat=True).first()


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
    )


def _storefront(market: str) -> QuerySet[Product]:
    skus = Sku.objects.filter(is_active=True).annotate(market_price=_market_price(market)).order_by("code")
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
        products = products.filter(category=_category(category))
    if search:
        if len(search) > MAX_SEARCH_LENGTH:
            raise Unprocessable(f"search is longer than {MAX_SEARCH_LENGTH}", code="invalid_search")
        sku_matches = Sku.objects.filter(product=OuterRef("pk"), code__icontains=search)
        products = products.filter(
            Q(name__icontains=search) | Q(description__icontains=search) | Exists(sku_matches)
        )
    return [_listing(p, currency, priced_only=True) for p in products.order_by("category", "name")]


def product_detail(slug: str, market: str) -> ProductListing:
    """One product with all its active SKUs; those not sold in ``market`` have no price."""
    currency = get_market(market).currency
    product = _storefront(market).filter(slug=slug).first()
    if product is None:
        raise NotFound(f"unknown product {slug!r}", code="unknown_product")
    return _listing(product, currency, priced_only=False)


def sku_detail(code: str) -> SkuDetail:
    """A sellable SKU and its price in every market that sells it."""
    sku = Sku.objects.filter(_sellable(), code=code).select_related("product__device_model").first()
    if sku is None:
        raise NotFound(f"unknown SKU {code!r}", code="unknown_sku")
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
