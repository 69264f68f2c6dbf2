"""HTTP routes for catalog; thin: parse, call a service, shape the answer.

Reading the catalog is public (the web store shows it to anyone); changing it is for staff.
"""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Router
from ninja.responses import Status

from millet.catalog import services
from millet.catalog.models import Product
from millet.catalog.schemas import (
    Category,
    DeviceModelIn,
    DeviceModelOut,
    MarketCode,
    MarketPriceOut,
    NewDeviceModelIn,
    NewProductIn,
    NewSkuIn,
    PriceIn,
    ProductAdminOut,
    ProductIn,
    ProductOut,
    SkuAdminOut,
    SkuDetailOut,
    SkuIn,
    SkuOut,
)
from millet.regions.services import get_market

router = Router(tags=["catalog"])


def _category_label(code: str) -> str:
    # Evaluated per request, so LocaleMiddleware's language (from Accept-Language) applies.
    return str(Product.Category(code).label)


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


@router.post("/products", response={201: ProductAdminOut})
def create_product(request, body: NewProductIn):
    return Status(201, services.create_product(**body.model_dump(), actor=request.actor))


@router.put("/products/{slug}", response=ProductAdminOut)
def update_product(request, slug: str, body: ProductIn):
    return services.update_product(slug, **body.model_dump(), actor=request.actor)


@router.post("/skus", response={201: SkuAdminOut})
def create_sku(request, body: NewSkuIn):
    return Status(201, services.create_sku(**body.model_dump(), actor=request.actor))


@router.put("/skus/{code}", response=SkuAdminOut)
def update_sku(request, code: str, body: SkuIn):
    return services.update_sku(code, **body.model_dump(), actor=request.actor)


@router.put("/prices/{market}/{sku_code}", response=MarketPriceOut)
def set_price(request, market: str, sku_code: str, body: PriceIn) -> MarketPriceOut:
    amount = services.set_price(market, sku_code, body.amount, actor=request.actor)
    return MarketPriceOut(market=market, currency=get_market(market).currency, amount=str(amount))
