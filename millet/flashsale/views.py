"""The shopper's flash-sale pages, under /shop/<market>/flash/ (docs/WEB.md).

- ``sales``: the market's sales that have not ended;
- ``sale``: one sale: a countdown to the start (server time), the gate's one button, "sold out"
  with the waitlist, and the caller's claims;
- ``claim`` (POST): the button; one claim per click, then the claim's page (POST/redirect/GET);
- ``claim_page``: the claim's place in the queue while its order is written (htmx polls it; a
  refresh link without JavaScript), then the payment window with its countdown and the card form;
- ``pay`` (POST) and ``join_waitlist`` (POST).

An htmx request (``HX-Request``) gets the changing part alone (``flashsale/_action.html``,
``flashsale/_claim.html``). Every page and form works with JavaScript off.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from millet.accounts.actor import request_actor
from millet.core.client_address import client_address
from millet.core.errors import DomainError, ServiceUnavailable
from millet.core.not_found import as_404
from millet.core.refusals import refusal_words
from millet.finance.services import PaymentDeclined
from millet.flashsale import services
from millet.flashsale.forms import ClaimForm, PayForm
from millet.web import nav
from millet.web.formats import local_datetime
from millet.web.markets import market_or_404

# Why the gate said no, as a shopper reads it (``services.REFUSALS`` codes and the page's own).
REFUSED = {
    "not_started": gettext_lazy("The sale has not started yet."),
    "ended": gettext_lazy("The sale has ended."),
    "limit": gettext_lazy("You already have as many units as this sale allows."),
    "sold_out": gettext_lazy("Sold out. Join the waitlist to be offered a unit someone does not pay for."),
    "rate_limited": gettext_lazy("Too many clicks at once. Wait a second and try again."),
    "claim_in_progress": gettext_lazy("Your first click is still being answered. Reload the page."),
    "not_running": gettext_lazy("The waitlist opens only while a sold-out sale is running."),
    "not_sold_out": gettext_lazy("Units are still available: buy one now."),
    "claim_queued": gettext_lazy("Your order is still being written. Try again in a moment."),
    "not_payable": gettext_lazy("This claim can no longer be paid."),
    "payment_window_closed": gettext_lazy("The payment window has closed; the unit went back to the sale."),
}
DECLINED = gettext_lazy("The card was declined. Check the token or use another card.")


def _actor(request: HttpRequest):
    return request_actor(request) if request.user.is_authenticated else None


def _sale_or_404(request: HttpRequest, market: str, code: str) -> services.SaleView:
    market_or_404(market)
    with as_404():
        return services.sale_for(_actor(request), market, code)


def _sale_url(sale: services.SaleView) -> str:
    return reverse("flashsale:sale", kwargs={"market": sale.market, "code": sale.code})


def _claim_url(sale: services.SaleView, gate_id: str) -> str:
    return reverse(
        "flashsale:claim_page", kwargs={"market": sale.market, "code": sale.code, "gate_id": gate_id}
    )


def _refusal(exc: DomainError) -> str:
    return refusal_words(exc, REFUSED)


def _partial(
    request: HttpRequest, fragment: str, page: str, context: dict, status: int = 200
) -> HttpResponse:
    """The fragment for htmx, the whole page otherwise (and ``Vary: HX-Request`` either way)."""
    template = fragment if request.headers.get("HX-Request") else page
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def promotions(market: str) -> list[nav.Promotion]:
    """The market's flash sales, live or upcoming, for the store's menu and home (``nav.add_promotions``)."""
    now = timezone.now()
    return [
        nav.Promotion(
            kind=gettext_lazy("Flash sale"),
            title=sale.name,
            note=(
                _("On now, until %(at)s") % {"at": local_datetime(sale.ends_at)}
                if sale.starts_at <= now
                else _("Starts %(at)s") % {"at": local_datetime(sale.starts_at)}
            ),
            href=reverse("flashsale:sale", kwargs={"market": sale.market, "code": sale.code}),
            starts_at=sale.starts_at,
            ends_at=sale.ends_at,
            live=sale.starts_at <= now,
        )
        for sale in services.announced_sales(market)
    ]


@require_safe
def sales(request: HttpRequest, market: str) -> HttpResponse:
    market_or_404(market)
    return render(request, "flashsale/sales.html", {"sales": services.market_sales(market)})


def _sale_page(
    request: HttpRequest, sale: services.SaleView, form: ClaimForm | None = None, status: int = 200
):
    context = {
        "sale": sale,
        "form": form or ClaimForm(),
        "sale_url": _sale_url(sale),
        "claims": [(claim, _claim_url(sale, claim.id)) for claim in sale.claims],
        "sign_in_url": f"{reverse(settings.LOGIN_URL)}?next={_sale_url(sale)}",
    }
    return _partial(request, "flashsale/_action.html", "flashsale/sale.html", context, status)


@require_safe
def sale(request: HttpRequest, market: str, code: str) -> HttpResponse:
    return _sale_page(request, _sale_or_404(request, market, code))


@require_POST
def claim(request: HttpRequest, market: str, code: str) -> HttpResponse:
    """The gate's button. Signed out: to the sign-in page, which comes back to the sale (never
    elsewhere: ``next`` is the sale's own path)."""
    sale = _sale_or_404(request, market, code)
    if not request.user.is_authenticated:
        return redirect_to_login(_sale_url(sale))
    form = ClaimForm(request.POST)
    if not form.is_valid():
        return _sale_page(request, sale, form, status=422)
    try:
        view = services.claim_once(
            request_actor(request),
            sale.code,
            attempt=form.cleaned_data["attempt"],
            ip=client_address(request),
        )
    except ServiceUnavailable:
        raise  # the gate is down: the 503 page (millet.core.outage), not a refusal
    except DomainError as exc:  # said on the sale as it is now (sold out: the waitlist), with a fresh attempt
        messages.error(request, _refusal(exc))
        return _sale_page(request, _sale_or_404(request, market, code), status=exc.status_code)
    return redirect(_claim_url(sale, view.id))


def _claim_context(request: HttpRequest, sale: services.SaleView, gate_id: str) -> dict:
    actor = request_actor(request)
    with as_404():
        view = services.settle_claim(actor, sale.code, gate_id)
    return {
        "sale": sale,
        "claim": view,
        "ahead": services.queue_place(actor, sale.code, gate_id) if view.status == "queued" else 0,
        "queue_cap": services.QUEUE_CAP,
        "claim_url": _claim_url(sale, gate_id),
        "sale_url": _sale_url(sale),
        "test_gateway": settings.MILLET_PAYMENT_GATEWAY == "test",
    }


@login_required
@require_safe
def claim_page(request: HttpRequest, market: str, code: str, gate_id: str) -> HttpResponse:
    sale = _sale_or_404(request, market, code)
    context = _claim_context(request, sale, gate_id)
    context["form"] = PayForm()
    return _partial(request, "flashsale/_claim.html", "flashsale/claim.html", context)


@login_required
@require_POST
def pay(request: HttpRequest, market: str, code: str, gate_id: str) -> HttpResponse:
    """Pay within the window. Paying twice (a double click, a reload, the back button) answers the
    paid claim again and charges once; a declined card is a 422 with the form, a claim that can no
    longer be paid (its window closed) the claim's page with why and the service's status (409)."""
    sale = _sale_or_404(request, market, code)
    form = PayForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            with as_404():
                services.pay_claim(
                    request_actor(request),
                    sale.code,
                    gate_id,
                    payment_token=form.cleaned_data["payment_token"],
                )
        except PaymentDeclined:
            form.add_error("payment_token", DECLINED)
        except DomainError as exc:
            messages.error(request, _refusal(exc))
            status = exc.status_code
        else:
            return redirect(_claim_url(sale, gate_id))
    context = _claim_context(request, sale, gate_id)
    context["form"] = form
    return render(request, "flashsale/claim.html", context, status=status)


@require_POST
def join_waitlist(request: HttpRequest, market: str, code: str) -> HttpResponse:
    """Join a sold-out sale's waitlist; a refusal (units are back on sale, the sale ended) is said
    on the sale as it is now, with the service's status (409)."""
    sale = _sale_or_404(request, market, code)
    if not request.user.is_authenticated:
        return redirect_to_login(_sale_url(sale))
    try:
        services.join_waitlist(request_actor(request), sale.code)
    except DomainError as exc:
        messages.error(request, _refusal(exc))
        return _sale_page(request, _sale_or_404(request, market, code), status=exc.status_code)
    messages.success(request, _("You are on the waitlist. We offer you a unit here if one comes back."))
    return redirect(_sale_url(sale))
