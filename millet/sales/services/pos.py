"""Point of sale: a cashier scans units and takes payment; the units leave the store's stock at once.

At the till every serialized unit is scanned: the serial decides which unit leaves the shelf (and
whose device it becomes), so the system never picks one for the cashier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from millet.accounts.actor import Actor
from millet.catalog.services import sku_info, skus_by_id
from millet.core.errors import Conflict, DomainError, NotFound, Unprocessable
from millet.core.idempotency import fingerprint
from millet.inventory import services as inventory
from millet.regions.services import get_market
from millet.sales.models import Order
from millet.sales.services.fulfilment import fulfil
from millet.sales.services.orders import (
    KeyTaken,
    LineRequest,
    check_expected_total,
    create_order,
    get_order,
    hold_stock,
    merge_lines,
    price_lines,
    replay_order,
    replay_twin,
    take_voucher,
)
from millet.sales.services.stores import store_facts, store_of, till_store
from millet.sales.services.till import cash_account_code, check_takes_sales

# --- point of sale -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    """What a sale being rung up comes to, before payment, in the market's currency."""

    currency: str
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def quote_sale(
    actor: Actor,
    *,
    store_code: str,
    serials: Sequence[str] = (),
    lines: Sequence[LineRequest] = (),
    voucher_code: str | None = None,
) -> Quote:
    """Price scans and lines as ``pos_sale`` would, changing nothing, so the cashier can say the
    total before taking the money. Refusals as ``pos_sale``'s (``scanned_lines``, the voucher)."""
    store = store_facts(store_code)
    actor.require_store(store.id)
    requests, _ = scanned_lines(serials, lines, store.location_id)
    currency = get_market(store.market).currency
    priced = price_lines(store.market, currency, requests, voucher_code)[3]
    return Quote(currency, priced.subtotal, priced.discount, priced.tax, priced.total)


def scanned_lines(
    serials: Sequence[str], lines: Sequence[LineRequest], location_id: int
) -> tuple[list[LineRequest], dict[int, list[str]]]:
    """Check a till's scans and lines before anything moves; return the lines to sell and the
    scanned serials by SKU id.

    ``serials`` are scans alone (their SKU is the unit's); a line may name its scans too, which
    must then be units of that SKU, one per unit. Refusals (each changes nothing):
    Unprocessable ``duplicate_serial`` (one unit scanned twice), ``serial_required`` (a serialized
    SKU sent as a plain line: scan each unit), ``serials_mismatch`` (a line's scans do not match its
    quantity), ``sku_not_serialized`` (scans on a SKU without serial numbers), and every refusal of
    ``inventory.unit_at`` (unknown, sold, in transit, defective, at another location, other SKU).
    """
    every = [*serials, *(s for line in lines for s in line.serials)]
    if len(set(every)) != len(every):
        raise Unprocessable("a serial was scanned twice", code="duplicate_serial")
    infos = sku_info(line.sku_code for line in lines) if lines else {}
    scanned: dict[int, list[str]] = defaultdict(list)  # SKU id -> serials
    for line in lines:
        info = infos[line.sku_code]
        if not info.serialized:
            if line.serials:
                raise Unprocessable(
                    f"{info.code} has no serial numbers to scan",
                    code="sku_not_serialized",
                    facts={"sku": info.code},
                )
            continue
        if not line.serials:
            raise Unprocessable(
                f"{info.code} is serialized: scan each unit sold at the till", code="serial_required"
            )
        if len(line.serials) != line.quantity:
            raise Unprocessable(
                f"{len(line.serials)} serials scanned for {line.quantity} units of {info.code}",
                code="serials_mismatch",
            )
        for serial in line.serials:
            inventory.unit_at(serial, location_id, skus={info.id})
        scanned[info.id] += line.serials
    for serial in serials:
        scanned[inventory.unit_at(serial, location_id).sku_id].append(serial)
    codes = {sku_id: info.code for sku_id, info in skus_by_id(scanned).items()}
    from_scans = [LineRequest(codes[sku_id], len(found)) for sku_id, found in scanned.items()]
    plain = [line for line in lines if not line.serials]
    return merge_lines(from_scans + plain), scanned


def _ring_up(
    actor: Actor,
    verb: str,
    *,
    store_code: str,
    serials: Sequence[str],
    lines: Sequence[LineRequest],
    customer_id: int | None,
    voucher_code: str | None,
    idempotency_key: str | None,
    cash: bool,
    placed_at: datetime | None = None,
    expected_total: Decimal | None = None,
    **paid_with: object,
) -> tuple[Order, Any, dict[int, list[str]]] | Order:
    """Check and place a till sale with its units held at the store: ``(order, new, scans by SKU)``,
    or the order itself when ``idempotency_key`` replays an earlier request (``verb`` and the
    arguments make its fingerprint; ``expected_total`` as ``place_order``'s, outside it)."""
    store = store_facts(store_code)
    request = fingerprint(
        verb,
        store_code=store.code,
        serials=sorted(serials),
        lines=sorted((line.sku_code, line.quantity, sorted(line.serials)) for line in lines),
        customer_id=customer_id,
        voucher_code=voucher_code,
        **{name: None if value is None else str(value) for name, value in paid_with.items()},
    )
    replayed = replay_order(actor, idempotency_key, request)
    if replayed is not None:
        return replayed
    # A twin of this request (a double click on the till's Pay) may commit after that look: its units
    # are then sold (a refusal here) or its key taken (create_order waits for it, then refuses). Both
    # come before this request wrote anything, so the twin's order is the answer.
    try:
        check_takes_sales(store, cash=cash)
        requests, scanned = scanned_lines(serials, lines, store.location_id)
    except DomainError as refused:
        return replay_twin(actor, idempotency_key, request, refused)
    try:
        new = create_order(
            market=store.market,
            currency=get_market(store.market).currency,
            lines=requests,
            channel=Order.Channel.POS,
            store=store,
            customer_id=customer_id,
            staff_id=actor.user_id,
            voucher_code=voucher_code,
            shipping_city="",
            idempotency_key=idempotency_key,
            request_fingerprint=request,
            placed_at=placed_at,
        )
    except KeyTaken as taken:  # only the key's clash: a later refusal may follow our own key row
        return replay_twin(actor, idempotency_key, request, taken)
    check_expected_total(new.order, expected_total)
    hold_stock(new, store=store, near=None, ttl_seconds=None, allow_backorder=False, only_store=True)
    take_voucher(new)
    return new.order, new, scanned


def _take_payment(
    order: Order, lines, scanned: dict[int, list[str]], *, payment_token: str, cash_tendered: Decimal | None
) -> Order:
    """Hand the held units over and charge the card, or take the cash into the drawer (422
    ``cash_short`` refuses less than the total)."""
    store = store_of(order.store_id)
    if cash_tendered is None:
        fulfil(order, lines, store_code=store.code, serials_by_sku=scanned, charge_token=payment_token)
        return order
    if cash_tendered < order.total:
        raise Unprocessable(
            f"{cash_tendered} in cash is less than the total {order.total}", code="cash_short"
        )
    Order.objects.filter(pk=order.pk).update(cash_tendered=cash_tendered)
    order.refresh_from_db(fields=["cash_tendered"])  # as stored ("3000.00"), the same as a replay reads it
    fulfil(order, lines, store_code=store.code, serials_by_sku=scanned, cash_account=cash_account_code(store))
    return order


def _check_payment(payment_token: str, cash_tendered: Decimal | None) -> None:
    if (cash_tendered is None) == (not payment_token):
        raise Unprocessable(
            "pay by card (payment_token) or in cash (cash_tendered), one of them", code="payment_method"
        )


@transaction.atomic
def pos_sale(
    actor: Actor,
    *,
    store_code: str,
    serials: Sequence[str] = (),
    lines: Sequence[LineRequest] = (),
    payment_token: str = "",
    cash_tendered: Decimal | None = None,
    customer_id: int | None = None,
    voucher_code: str | None = None,
    idempotency_key: str | None = None,
    placed_at: datetime | None = None,
    expected_total: Decimal | None = None,
) -> Order:
    """A cashier scans units and takes payment; the units leave this store's stock at once.

    Serialized units come in as scans (``serials``, or a line's ``serials``); plain lines are for
    SKUs without serial numbers. See ``scanned_lines`` for the refusals, all raised before stock,
    money or the order book is touched.

    Paid by card (``payment_token``) or in cash (``cash_tendered``, what the buyer hands over, in
    the market's currency): the total goes to the store's till drawer on the ledger, and 422
    ``cash_short`` refuses less than the total. Exactly one of the two (422 ``payment_method``).
    A closed till day refuses every sale and cash needs
    an open one (``till.check_takes_sales``: 409 ``till_day_closed``, ``till_not_open``).

    ``expected_total`` is the total the cashier told the buyer (the till's quote, voucher included):
    a sale priced to anything else now is refused with 409 ``price_changed`` (``place_order``'s)
    before a unit or the money moves.
    """
    actor.require_store(store_facts(store_code).id)
    _check_payment(payment_token, cash_tendered)
    placed = _ring_up(
        actor,
        "pos_sale",
        store_code=store_code,
        serials=serials,
        lines=lines,
        customer_id=customer_id,
        voucher_code=voucher_code,
        idempotency_key=idempotency_key,
        cash=cash_tendered is not None,
        placed_at=placed_at,
        expected_total=expected_total,
        payment_token=payment_token,
        cash_tendered=cash_tendered,
    )
    if isinstance(placed, Order):
        return placed
    order, new, scanned = placed
    return _take_payment(order, new.lines, scanned, payment_token=payment_token, cash_tendered=cash_tendered)


# --- a till sale held for instant credit ---------------------------------------------------------


@transaction.atomic
def hold_sale(
    actor: Actor,
    *,
    store_code: str,
    customer_id: int,
    serials: Sequence[str] = (),
    lines: Sequence[LineRequest] = (),
    voucher_code: str | None = None,
    idempotency_key: str | None = None,
) -> Order:
    """Place a till sale for a known customer unpaid, its units held at the store (no expiry) and
    its scans kept on the order, while the customer applies for instant credit at the counter.

    Paid then by the loan (``lending.apply_for_credit_at_counter``, which hands it over through
    ``hand_over_held_sale``), or by card or cash instead (``settle_held_sale``), or cancelled,
    the stock released (``cancel_order``). Refusals as ``pos_sale``'s; a held sale needs the day
    not closed (409 ``till_day_closed``).
    """
    actor.require_store(store_facts(store_code).id)
    placed = _ring_up(
        actor,
        "hold_sale",
        store_code=store_code,
        serials=serials,
        lines=lines,
        customer_id=customer_id,
        voucher_code=voucher_code,
        idempotency_key=idempotency_key,
        cash=False,
    )
    if isinstance(placed, Order):
        return placed
    order, _new, scanned = placed
    order.held_serials = {str(sku_id): found for sku_id, found in scanned.items()}
    Order.objects.filter(pk=order.pk).update(held_serials=order.held_serials)
    return order


def held_sale(actor: Actor, store_code: str, number: str) -> Order:
    """A till sale of this store held for payment or paid by credit and not yet handed over;
    NotFound ``unknown_order`` for anything else (another store's, a web order, one sold already),
    so a cashier cannot probe numbers. The store is the actor's (NotFound ``unknown_store``)."""
    store = till_store(actor, store_code)
    order = get_order(actor, number)
    if order.channel != Order.Channel.POS or order.store_id != store.id or order.customer_id is None:
        raise NotFound(f"no order {number}", code="unknown_order")
    if order.status not in (Order.Status.PLACED, Order.Status.PAID):
        raise NotFound(f"no held sale {number}", code="unknown_order")
    return order


def _held_scans(order: Order) -> dict[int, list[str]]:
    return {int(sku_id): list(found) for sku_id, found in (order.held_serials or {}).items()}


@transaction.atomic
def settle_held_sale(
    actor: Actor,
    store_code: str,
    number: str,
    *,
    payment_token: str = "",
    cash_tendered: Decimal | None = None,
) -> Order:
    """Pay a held sale by card or cash instead (credit declined): as ``pos_sale`` takes payment,
    its held units handed over. Conflict ``not_payable`` once it is paid (a second click)."""
    _check_payment(payment_token, cash_tendered)
    order = held_sale(actor, store_code, number)
    order = get_order(actor, order.number, for_update=True)
    if order.status != Order.Status.PLACED:
        raise Conflict(f"order is {order.status}", code="not_payable")
    check_takes_sales(store_of(order.store_id), cash=cash_tendered is not None)
    return _take_payment(
        order,
        list(order.lines.all()),
        _held_scans(order),
        payment_token=payment_token,
        cash_tendered=cash_tendered,
    )


@transaction.atomic
def hand_over_held_sale(actor: Actor, store_code: str, number: str) -> Order:
    """Hand over a held sale its buyer paid meanwhile (by loan): the scanned units leave the shelf
    and the payment is captured. Conflict ``not_paid`` while it is unpaid."""
    order = held_sale(actor, store_code, number)
    order = get_order(actor, order.number, for_update=True)
    if order.status != Order.Status.PAID:
        raise Conflict(f"order is {order.status}, not paid", code="not_paid")
    fulfil(order, list(order.lines.all()), store_code=store_code, serials_by_sku=_held_scans(order))
    return order
