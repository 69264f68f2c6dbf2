"""Cancelling before fulfilment, by a person or when an unpaid order's stock hold lapses."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.core.errors import Conflict, Forbidden
from millet.finance import services as finance
from millet.inventory import services as inventory
from millet.sales.models import Order
from millet.sales.services.orders import OPEN_STATUSES, get_order, line_reference
from millet.sales.services.vouchers import release_voucher

# --- cancelling ----------------------------------------------------------------------------------


def cancellable(order: Order) -> bool:
    """Whether ``cancel_order`` would take this order back: it has not been shipped or handed over."""
    return order.status in OPEN_STATUSES


def check_cancellable(order: Order) -> None:
    """Refuse cancelling ``order`` with why: 409 ``already_cancelled`` (a second click, another tab:
    the buyer is told it is done) or ``not_cancellable`` (shipped, handed over or closed: too late,
    returns take over)."""
    if order.status == Order.Status.CANCELLED:
        raise Conflict("the order is already cancelled", code="already_cancelled")
    if not cancellable(order):
        raise Conflict(f"an order that is {order.status} cannot be cancelled", code="not_cancellable")


def may_cancel(actor: Actor, order: Order) -> bool:
    """Whether ``actor`` is someone who cancels ``order`` (its buyer, staff, or a seller at its store),
    whatever its state (``cancellable`` says that)."""
    return bool(
        actor.is_staff
        or (actor.user_id is not None and order.customer_id == actor.user_id)
        or (order.store_id and actor.can_sell_at(order.store_id))
    )


@transaction.atomic
def cancel_order(actor: Actor, number: str) -> Order:
    """Before fulfilment: stock back on the shelf, voucher use back, payment authorisation voided."""
    order = get_order(actor, number, for_update=True)
    if not may_cancel(actor, order):
        raise Forbidden("not your order")
    check_cancellable(order)
    release(order)
    finance.void_authorizations(order.number)
    order.status, order.cancelled_at = Order.Status.CANCELLED, timezone.now()
    Order.objects.filter(pk=order.pk).update(status=order.status, cancelled_at=order.cancelled_at)
    return order


def release(order: Order) -> None:
    """Give an unfulfilled order's holds, back-orders and voucher use back."""
    for line in order.lines.all():
        reference = line_reference(order.number, line.pk)
        inventory.release_reservations(reference)
        inventory.cancel_backorders(reference)
    release_voucher(order)


@transaction.atomic
def expire_unpaid_orders() -> int:
    """Cancel placed orders whose stock hold lapsed (the periodic job behind the payment window)."""
    references = inventory.expire_reservations()
    numbers = {ref.split("/", 1)[0] for ref in references}
    expired = 0
    for order in Order.objects.select_for_update().filter(number__in=numbers, status=Order.Status.PLACED):
        release(order)
        Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED, cancelled_at=timezone.now())
        expired += 1
    return expired
