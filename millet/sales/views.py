"""The shopper's orders page (/orders/): their orders, newest first, with status and total."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from millet.accounts.actor import actor_for_user
from millet.sales.services import list_orders

# An order's status as a shopper reads it, and the badge tone it gets.
STATUS = {
    "placed": (_("Awaiting payment"), "warning"),
    "paid": (_("Paid"), "info"),
    "backordered": (_("Paid, waiting for stock"), "warning"),
    "fulfilled": (_("Shipped or handed over"), "success"),
    "ready_for_pickup": (_("Ready for pickup"), "accent"),
    "cancelled": (_("Cancelled"), "neutral"),
    "returned": (_("Returned"), "neutral"),
    "partially_returned": (_("Partially returned"), "neutral"),
}
CHANNEL = {
    "web": _("Online"),
    "pos": _("In store"),
    "click_collect": _("Click and collect"),
    "flash": _("Flash sale"),
}
PAGE_SIZE = 50


@login_required
@require_safe
def orders(request: HttpRequest) -> HttpResponse:
    rows = [
        {
            "order": order,
            "status": STATUS.get(order.status, (order.status, "neutral")),
            "channel": CHANNEL.get(order.channel, order.channel),
            "items": sum(line.quantity for line in order.lines.all()),
        }
        for order in list_orders(actor_for_user(request.user), limit=PAGE_SIZE)
    ]
    return render(request, "sales/orders.html", {"rows": rows, "page_size": PAGE_SIZE})
