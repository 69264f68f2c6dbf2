"""Voucher redemption with limits that hold under concurrent checkouts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import F, Q
from django.utils import timezone

from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.regions.money import parse_amount, quantize
from millet.regions.services import get_market
from millet.sales.models import Order, Voucher, VoucherRedemption


class BelowMinimumSpend(Conflict):
    """The cart or order spends less than the voucher asks; ``min_spend`` is that minimum."""

    code = "voucher_min_spend"

    def __init__(self, min_spend: Decimal) -> None:
        super().__init__(f"voucher needs a minimum spend of {min_spend}")
        self.min_spend = min_spend


def check_voucher(
    *,
    market: str,
    kind: str,
    value: Decimal,
    min_spend: Decimal,
    valid_from: datetime | None,
    valid_until: datetime | None,
) -> tuple[Decimal, Decimal]:
    """The rules a voucher's terms obey wherever it is made or edited (the back office makes them):
    a percent voucher takes 0 to 100 percent off; an amount voucher's value and any voucher's
    minimum spend are exact amounts in the market's currency (the value positive, the minimum
    possibly 0); a validity window ends after it starts. Returns (value, min_spend) quantized.
    422 ``invalid_voucher`` or ``malformed_money``; 404 ``unknown_market``."""
    currency = get_market(market).currency
    if kind == Voucher.Kind.PERCENT:
        if not isinstance(value, Decimal) or not value.is_finite() or not 0 < value <= 100:
            raise Unprocessable(
                "a percent voucher takes more than 0 and at most 100 percent off", code="invalid_voucher"
            )
    elif kind == Voucher.Kind.AMOUNT:
        value = parse_amount(value, currency)
    else:
        raise Unprocessable(f"kind must be one of {Voucher.Kind.values}", code="invalid_voucher")
    min_spend = parse_amount(min_spend, currency, allow_zero=True)
    if valid_from and valid_until and valid_until <= valid_from:
        raise Unprocessable("a voucher's validity must end after it starts", code="invalid_voucher")
    return value, min_spend


def voucher_discount(voucher: Voucher, subtotal: Decimal, currency: str) -> Decimal:
    if voucher.kind == Voucher.Kind.PERCENT:
        return quantize(subtotal * voucher.value / 100, currency)
    return min(voucher.value, subtotal)


def find_voucher(code: str, market: str, subtotal: Decimal) -> Voucher:
    voucher = Voucher.objects.filter(code=code, is_active=True).first()
    if voucher is None:
        raise NotFound(f"unknown voucher {code!r}", code="unknown_voucher")
    now = timezone.now()
    if voucher.market_id != market:
        raise Unprocessable("voucher is not valid in this market", code="voucher_wrong_market")
    if (voucher.valid_from and now < voucher.valid_from) or (
        voucher.valid_until and now >= voucher.valid_until
    ):
        raise Conflict("voucher is not valid now", code="voucher_expired")
    if subtotal < voucher.min_spend:
        raise BelowMinimumSpend(voucher.min_spend)
    return voucher


def redeem_voucher(voucher: Voucher, order: Order, customer_id: int | None) -> None:
    """Count one use, or refuse. Must run inside the order's transaction.

    The conditional UPDATE both checks the global limit and locks the voucher row, so the
    per-customer count read after it sees every redemption committed before ours.
    """
    taken = (
        Voucher.objects.filter(pk=voucher.pk)
        .filter(Q(max_uses__isnull=True) | Q(used_count__lt=F("max_uses")))
        .update(used_count=F("used_count") + 1)
    )
    if not taken:
        raise Conflict("voucher has been used up", code="voucher_limit_reached")
    if customer_id is not None:
        used = VoucherRedemption.objects.filter(voucher=voucher, customer_id=customer_id).count()
        if used >= voucher.max_uses_per_customer:
            raise Conflict("you have already used this voucher", code="voucher_limit_reached")
    VoucherRedemption.objects.create(voucher=voucher, order=order, customer_id=customer_id)


def release_voucher(order: Order) -> None:
    """A cancelled order gives its voucher use back."""
    deleted, _ = VoucherRedemption.objects.filter(order=order).delete()
    if deleted:
        Voucher.objects.filter(pk=order.voucher_id, used_count__gt=0).update(used_count=F("used_count") - 1)
