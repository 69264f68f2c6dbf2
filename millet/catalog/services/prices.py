"""Prices: each market's one active price list, and a SKU's gross unit price on it."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import OuterRef, Subquery

from millet.accounts.actor import Actor
from millet.catalog.models import Price, PriceList
from millet.catalog.services.products import check_taxed_in, sku_row
from millet.core.integrity import created_or_found
from millet.regions.money import parse_amount
from millet.regions.services import get_market

# --- prices --------------------------------------------------------------------------------------


def _active_price_list(market: str) -> PriceList:
    """The market's one active list; the partial unique index makes two racing creators agree."""
    existing = PriceList.objects.filter(market_id=market, is_active=True).first()
    if existing:
        return existing
    return created_or_found(
        lambda: PriceList.objects.create(market_id=market, name=f"{market} retail", is_active=True),
        PriceList.objects.filter(market_id=market, is_active=True).first,
    )


def check_price(market: str, amount: Decimal | str) -> Decimal:
    """A SKU's gross unit price in ``market``: an exact, positive amount of its currency below
    ``MAX_AMOUNT``, returned quantized; 422 ``malformed_money``, 404 ``unknown_market``. ``set_price``
    and the back office's price forms check it here."""
    return parse_amount(amount, get_market(market).currency)


@transaction.atomic
def set_price(market: str, sku_code: str, amount: Decimal, *, actor: Actor) -> Decimal:
    """Set the gross unit price of a SKU in a market (tax-inclusive where the market quotes so).

    Staff only. ``amount`` may be a decimal string; it is parsed in the market's currency. 422
    ``unknown_tax_class`` when the market has no tax rule for the SKU's class (``check_taxed_in``).
    """
    actor.require_staff()
    amount = check_price(market, amount)
    sku = sku_row(sku_code)
    check_taxed_in(market, sku)
    Price.objects.update_or_create(
        price_list=_active_price_list(market), sku=sku, defaults={"amount": amount}
    )
    return amount


def market_price_of(market: str) -> Subquery:
    return Subquery(
        Price.objects.filter(
            sku=OuterRef("pk"), price_list__market_id=market, price_list__is_active=True
        ).values("amount")[:1]
    )
