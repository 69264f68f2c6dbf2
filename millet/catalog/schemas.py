"""The catalog API's request and response types (names unique across the whole API)."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Field, Schema

from millet.catalog.models import Product, Sku
from millet.core.types import Money

MarketCode = Annotated[str, Field(min_length=2, max_length=2)]


Category = Annotated[str, Field(max_length=16)]


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


class DeviceModelIn(Schema):
    name: Annotated[str, Field(min_length=1, max_length=128)]
    spec: dict[str, Any]


class NewDeviceModelIn(DeviceModelIn):
    urn: Annotated[str, Field(min_length=1, max_length=128)]


class DeviceModelOut(Schema):
    urn: str
    name: str
    spec: dict[str, Any]


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


class PriceIn(Schema):
    amount: Money
