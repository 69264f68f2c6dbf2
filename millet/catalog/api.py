"""HTTP routes for catalog; thin: parse, call a service, shape the answer.

Reading the catalog is public (the web store shows it to anyone); changing it is for staff.
"""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Field, Router, Schema
from ninja.responses import Status

from millet.catalog import services
from millet.catalog.models import Product, Sku
from millet.regions.services import get_market

router = Router(tags=["catalog"])

MarketCode = Annotated[str, Field(min_length=2, max_length=2)]
Category = Annotated[str, Field(max_length=16)]


def _category_label(code: str) -> str:
    # Evaluated per request, so LocaleMiddleware's language (from Accept-Language) applies.
    return str(Product.Category(code).label)


class SkuOut(Schema):
    code: str
    name: str
    attributes: dict[str, Any]
    price: str | None  # decimal string: JSON numbers are floats in most clients


class ProductOut(Schema):
    slug: str
    name: str
    category: str
    category_label: str
    description: str
    device_model_urn: str | None
    currency: str
    skus: list[SkuOut]


def _product_out(listing: services.ProductListing) -> ProductOut:
    return ProductOut(
        slug=listing.slug,
        name=listing.name,
        category=listing.category,
        category_label=_category_label(listing.category),
        description=listing.description,
        device_model_urn=listing.device_model_urn,
        currency=listing.currency,
        skus=[
            SkuOut(
                code=s.code,
                name=s.name,
                attributes=s.attributes,
                price=None if s.price is None else str(s.price),
            )
            for s in listing.skus
        ],
    )


@router.get("/products", auth=None, response=list[ProductOut])
def list_products(
    request,
    market: MarketCode,
    category: Category | None = None,
    search: Annotated[str, Field(max_length=100)] = "",
) -> list[ProductOut]:
    return [_product_out(p) for p in services.list_products(market, category=category, search=search or None)]


@router.get("/products/{slug}", auth=None, response=ProductOut)
def product_detail(request, slug: str, market: MarketCode) -> ProductOut:
    return _product_out(services.product_detail(slug, market))


class MarketPriceOut(Schema):
    market: str
    currency: str
    amount: str


class SkuDetailOut(Schema):
    code: str
    name: str
    attributes: dict[str, Any]
    serialized: bool
    allow_backorder: bool
    product_slug: str
    product_name: str
    category: str
    category_label: str
    device_model_urn: str | None
    prices: list[MarketPriceOut]


@router.get("/skus/{code}", auth=None, response=SkuDetailOut)
def sku_detail(request, code: str) -> SkuDetailOut:
    sku = services.sku_detail(code)
    return SkuDetailOut(
        **{k: v for k, v in vars(sku).items() if k != "prices"},
        category_label=_category_label(sku.category),
        prices=[
            MarketPriceOut(market=market, currency=currency, amount=str(amount))
            for market, (amount, currency) in sku.prices.items()
        ],
    )


# --- staff: device models, products, SKUs, prices -----------------------------------------------


class DeviceModelIn(Schema):
    name: Annotated[str, Field(min_length=1, max_length=128)]
    spec: dict[str, Any]


class NewDeviceModelIn(DeviceModelIn):
    urn: Annotated[str, Field(min_length=1, max_length=128)]


class DeviceModelOut(Schema):
    urn: str
    name: str
    spec: dict[str, Any]


@router.get("/device-models/{urn}", auth=None, response=DeviceModelOut)
def device_model_detail(request, urn: str):
    """Device specs are public, like MIoT's: app and firmware developers build against them."""
    return services.get_device_model(urn)


@router.post("/device-models", response={201: DeviceModelOut})
def create_device_model(request, body: NewDeviceModelIn):
    return Status(201, services.create_device_model(body.urn, body.name, body.spec, actor=request.actor))


@router.put("/device-models/{urn}", response=DeviceModelOut)
def update_device_model(request, urn: str, body: DeviceModelIn):
    return services.update_device_model(urn, body.name, body.spec, actor=request.actor)


class ProductIn(Schema):
    name: Annotated[str, Field(min_length=1, max_length=128)]
    category: Category
    description: Annotated[str, Field(max_length=10_000)] = ""
    tax_class: Annotated[str, Field(min_length=1, max_length=32)] = "electronics"
    device_model_urn: Annotated[str, Field(max_length=128)] | None = None
    is_active: bool = True


class NewProductIn(ProductIn):
    slug: Annotated[str, Field(min_length=1, max_length=64)]


class ProductAdminOut(Schema):
    slug: str
    name: str
    category: str
    description: str
    tax_class: str
    device_model_urn: str | None
    is_active: bool

    @staticmethod
    def resolve_device_model_urn(product: Product) -> str | None:
        return product.device_model.urn if product.device_model else None


@router.post("/products", response={201: ProductAdminOut})
def create_product(request, body: NewProductIn):
    return Status(201, services.create_product(**body.model_dump(), actor=request.actor))


@router.put("/products/{slug}", response=ProductAdminOut)
def update_product(request, slug: str, body: ProductIn):
    return services.update_product(slug, **body.model_dump(), actor=request.actor)


Attributes = Annotated[dict[str, Annotated[str, Field(max_length=64)]], Field(max_length=20)]


class SkuIn(Schema):
    name: Annotated[str, Field(min_length=1, max_length=160)]
    attributes: Attributes = {}
    allow_backorder: bool = False
    is_active: bool = True


class NewSkuIn(SkuIn):
    code: Annotated[str, Field(min_length=1, max_length=32)]
    product_slug: Annotated[str, Field(min_length=1, max_length=64)]
    serialized: bool = True


class SkuAdminOut(Schema):
    code: str
    product_slug: str
    name: str
    attributes: dict[str, str]
    serialized: bool
    allow_backorder: bool
    is_active: bool

    @staticmethod
    def resolve_product_slug(sku: Sku) -> str:
        return sku.product.slug


@router.post("/skus", response={201: SkuAdminOut})
def create_sku(request, body: NewSkuIn):
    return Status(201, services.create_sku(**body.model_dump(), actor=request.actor))


@router.put("/skus/{code}", response=SkuAdminOut)
def update_sku(request, code: str, body: SkuIn):
    return services.update_sku(code, **body.model_dump(), actor=request.actor)


class PriceIn(Schema):
    amount: Annotated[str, Field(min_length=1, max_length=32)]  # a decimal string; floats are refused


@router.put("/prices/{market}/{sku_code}", response=MarketPriceOut)
def set_price(request, market: str, sku_code: str, body: PriceIn) -> MarketPriceOut:
    amount = services.set_price(market, sku_code, body.amount, actor=request.actor)
    return MarketPriceOut(market=market, currency=get_market(market).currency, amount=str(amount))
