"""The facts other domains need about SKUs, by code or id, and a shopper's SKUs with their prices
in one query (the checkout's hot path). Sales, inventory and the device cloud read the catalog only
through these functions; they take SKU codes and market codes, never rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from millet.catalog.models import Sku
from millet.core import sql
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.regions.money import quantize
from millet.regions.services import get_market

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


def _codes(codes: Iterable[str]) -> set[str]:
    wanted = set(codes)
    if len(wanted) > MAX_BULK_CODES:
        raise Unprocessable(f"at most {MAX_BULK_CODES} SKUs at a time", code="too_many_skus")
    return wanted


def sellable() -> Q:
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
        raise NotFound(
            f"unknown SKU {', '.join(unknown)}", code="unknown_sku", facts={"sku": ", ".join(unknown)}
        )


# The offers read: SQL rather than the ORM (see core.sql), with the same rules as ``sellable`` and
# ``market_price_of``: an active SKU of an active product, and its price in the market's active list.
_OFFERS = """
SELECT s.id, s.code, p.name, p.category, p.tax_class, s.serialized, s.allow_backorder, m.urn, s.name,
    (SELECT CAST(pr.amount AS TEXT) FROM catalog_price pr
        JOIN catalog_pricelist pl ON pl.id = pr.price_list_id
        WHERE pr.sku_id = s.id AND pl.market_id = %s AND pl.is_active LIMIT 1)
FROM catalog_sku s
JOIN catalog_product p ON p.id = s.product_id
LEFT JOIN catalog_devicemodel m ON m.id = p.device_model_id
WHERE s.is_active AND p.is_active AND s.code IN ({codes})
"""


def sku_offers(sku_codes: Iterable[str], market: str) -> dict[str, tuple[SkuInfo, Decimal]]:
    """Facts and market price of SKUs a shopper wants, in one query (the checkout's hot path).

    Refuses the whole set if one SKU is unknown or inactive (404) or has no price there (409).
    """
    currency = get_market(market).currency
    wanted = _codes(sku_codes)
    rows = {
        row[1]: (
            SkuInfo(*row[:5], bool(row[5]), bool(row[6]), *row[7:9], is_active=True),
            None if row[9] is None else quantize(sql.decimal_of(row[9]), currency),
        )
        for row in sql.rows(_OFFERS.format(codes=sql.placeholders(len(wanted))), [market, *wanted])
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
