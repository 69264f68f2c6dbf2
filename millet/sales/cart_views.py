"""The shopper's cart (/shop/<market>/cart/): add from a product page, change quantities, remove,
and apply a voucher, told why when it is refused. Every form posts and redirects back to the cart
(post/redirect/get), so it works with JavaScript off; an htmx request is sent on with HX-Redirect.

The contract with the product pages: POST ``sales:cart-add`` with ``sku`` (a SKU code) and
``quantity`` (1 when absent); the shopper lands on the cart.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from millet.accounts.actor import request_actor
from millet.core.errors import Conflict, DomainError, NotFound, Unprocessable
from millet.core.not_found import as_404
from millet.core.typed_numbers import WholeNumberField
from millet.sales import services
from millet.sales.problems import problem_text
from millet.web.markets import market_or_404

MAX_IN_CART = 10  # units of one SKU per order online: a shop, not a wholesaler


class LineForm(forms.Form):
    sku = forms.CharField(max_length=64)
    quantity = WholeNumberField(
        label=gettext_lazy("Quantity"), min_value=0, max_value=MAX_IN_CART, required=False
    )


class VoucherForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Voucher code"), max_length=32, required=False)


def cart_url(market: str) -> str:
    return reverse("sales:cart", kwargs={"market": market})


def go_to(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect; htmx gets HX-Redirect, so the browser loads the page instead of swapping it in."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def sign_in_first(request: HttpRequest, market: str) -> HttpResponse:
    """Carts belong to people: a visitor signs in first and comes back to the cart."""
    messages.info(request, _("Sign in or create an account to fill your cart."))
    return go_to(request, f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': cart_url(market)})}")


def _cart_page(request: HttpRequest, market: str, *, status: int = 200) -> HttpResponse:
    info = market_or_404(market)
    context = {"summary": None, "max_in_cart": MAX_IN_CART, "voucher_form": VoucherForm()}
    if request.user.is_authenticated:
        actor = request_actor(request)
        cart = services.open_cart(actor, info.code)
        try:
            summary = services.cart_summary(actor, cart.pk)
        except (NotFound, Conflict) as exc:  # a SKU left the catalog: say so, let them remove it
            messages.error(request, problem_text(exc, info.currency))
            summary = None
        context["summary"] = summary
        if summary and summary.voucher_problem:
            context["voucher_problem"] = problem_text(summary.voucher_problem, info.currency)
        context["voucher_form"] = VoucherForm(initial={"code": summary.voucher_code if summary else ""})
    response = render(request, "sales/cart.html", context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_safe
def cart(request: HttpRequest, market: str) -> HttpResponse:
    """The cart with its lines, voucher, tax and totals (before shipping, chosen at checkout)."""
    return _cart_page(request, market)


def _set_line(request: HttpRequest, market: str, *, add: bool) -> HttpResponse:
    info = market_or_404(market)
    if not request.user.is_authenticated:
        return sign_in_first(request, info.code)
    form = LineForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return _cart_page(request, market, status=422)
    actor = request_actor(request)
    cart_id = services.open_cart(actor, info.code).pk
    sku, quantity = form.cleaned_data["sku"], form.cleaned_data["quantity"]
    if add:
        held = {line.sku.code: line.priced.quantity for line in services.cart_summary(actor, cart_id).lines}
        quantity = min((quantity or 1) + held.get(sku, 0), MAX_IN_CART)
    try:
        with as_404():
            services.set_cart_line(actor, cart_id, sku, quantity or 0)
    except (Conflict, Unprocessable) as exc:
        messages.error(request, problem_text(exc, info.currency))
        return _cart_page(request, market, status=exc.status_code)
    if add:
        messages.success(request, _("Added to your cart."))
    return go_to(request, cart_url(info.code))


@require_POST
def cart_add(request: HttpRequest, market: str) -> HttpResponse:
    """Add ``quantity`` units of ``sku`` (on top of those already in the cart, up to the limit)."""
    return _set_line(request, market, add=True)


@require_POST
def cart_line(request: HttpRequest, market: str) -> HttpResponse:
    """Set a line's quantity; 0 removes it."""
    return _set_line(request, market, add=False)


@require_POST
def cart_voucher(request: HttpRequest, market: str) -> HttpResponse:
    """Apply a voucher code (an empty code takes the voucher off); a refusal says why."""
    info = market_or_404(market)
    if not request.user.is_authenticated:
        return sign_in_first(request, info.code)
    form = VoucherForm(request.POST)
    if not form.is_valid():
        return _cart_page(request, market, status=422)
    actor = request_actor(request)
    code = form.cleaned_data["code"]
    try:
        services.set_cart_voucher(actor, services.open_cart(actor, info.code).pk, code)
    except DomainError as exc:
        messages.error(
            request,
            _("The voucher %(code)s cannot be used: %(reason)s")
            % {"code": code.upper(), "reason": problem_text(exc, info.currency)},
        )
        return _cart_page(request, market, status=exc.status_code)
    messages.success(request, _("The voucher is applied.") if code else _("The voucher is removed."))
    return go_to(request, cart_url(info.code))
