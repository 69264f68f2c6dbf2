"""The checkout (/shop/<market>/checkout/) and the confirmation (/orders/<number>/confirmation/).

One page asks, in order: where the order goes (a saved address of this market, or a new one with
the market's fields; India's state decides the place of supply, converted once by
``regions.india.place_of_supply``), delivery with a shipping method or click-and-collect at a store
(its hours, and whether it has the items now), then payment by card or by instant credit.

The page quotes what it shows (``quote``: the goods' total and each shipping method's fee), and
the order is placed only at that total (``place_order``'s ``expected_total``): a price changed
meanwhile brings the page back with the new total (409), and nothing is charged.

Placing is idempotent. The page carries a fresh ``attempt`` key, sent as the order's idempotency
key: a double click, a reload of the POST or the back button after paying replays the first
order and charges nothing twice. Instant credit places the order unpaid and continues on the
lending domain's page (``lending:pay``), which decides at once.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from millet.accounts import services as accounts
from millet.accounts.actor import Actor, request_actor
from millet.accounts.forms import AddressForm
from millet.accounts.postal import AddressFields, address_problems
from millet.catalog.services import skus_by_id
from millet.core.attempt_keys import AttemptField, is_page_key, with_fresh_attempt
from millet.core.errors import Conflict, DomainError, NotFound
from millet.core.not_found import as_404
from millet.core.quotes import quote, quoted
from millet.regions.india import gst_state_code, place_of_supply, state_choices, state_name
from millet.regions.services import MarketInfo
from millet.sales import services
from millet.sales.cart_views import cart_url
from millet.sales.problems import MESSAGES, problem_text
from millet.sales.views import STATUS
from millet.web.markets import market_or_404

DELIVERY, COLLECT = "delivery", "collect"
CARD, CREDIT = "card", "credit"
NEW_ADDRESS = "new"


class CheckoutForm(forms.Form):
    """The choices of the checkout; the address itself is ``accounts.forms.AddressForm``."""

    attempt = AttemptField()
    fulfilment = forms.ChoiceField(
        choices=[(DELIVERY, gettext_lazy("Delivery")), (COLLECT, gettext_lazy("Click and collect"))]
    )
    address = forms.CharField(required=False, max_length=12)
    shipping_method = forms.CharField(required=False, max_length=16)
    store = forms.CharField(required=False, max_length=32)
    payment = forms.ChoiceField(
        choices=[(CARD, gettext_lazy("Card")), (CREDIT, gettext_lazy("Instant credit"))]
    )
    card_token = forms.CharField(label=gettext_lazy("Card token"), required=False, max_length=64)
    quote = forms.CharField(required=False, max_length=1000)  # what the page showed: see ``expected_total``

    def __init__(self, *args, methods: list[str], stores: list[str], addresses: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.methods, self.stores, self.addresses = methods, stores, addresses

    def clean(self) -> dict:
        data = super().clean()
        if data.get("fulfilment") == DELIVERY and data.get("shipping_method") not in self.methods:
            self.add_error("shipping_method", _("Choose a shipping method."))
        if data.get("fulfilment") == COLLECT and data.get("store") not in self.stores:
            self.add_error("store", _("Choose the store you will collect from."))
        if data.get("address") not in ("", NEW_ADDRESS, *self.addresses):
            self.add_error("address", _("Choose one of your addresses."))
        if data.get("payment") == CARD and not data.get("card_token"):
            self.add_error("card_token", _("Enter your card."))
        return data


def _quote(summary, methods: list[services.ShippingMethod]) -> str:
    """What the page shows the buyer, as its hidden ``quote``: the goods' total and each shipping
    method's fee (``core.quotes``)."""
    return quote({"goods": summary.total, **{m.code: m.price for m in methods}})


def _expected_total(text: str, data: dict) -> Decimal | None:
    """The total the buyer saw for their choices: the quoted goods plus the quoted fee of the shipping
    method chosen (none for click-and-collect). None when the quote is missing or damaged (a page from
    before quoting, an edited form): what was shown is unknown, so the page is shown again."""
    amounts = quoted(text) or {}
    fee = Decimal(0) if data["fulfilment"] == COLLECT else amounts.get(data["shipping_method"])
    goods = amounts.get("goods")
    return None if goods is None or fee is None else goods + fee


def _address_form(request: HttpRequest, market: str) -> AddressForm:
    language = translation.get_language() or "en"
    form = AddressForm(
        request.POST if request.method == "POST" else None,
        market=market,
        state_choices=state_choices(language),
    )
    form.fields["recipient"].widget.attrs["autocomplete"] = "name"
    form.use_required_attribute = False  # needed only for a new address: the view checks
    return form


def _new_address(form: AddressForm, market: str) -> services.ShippingAddress | None:
    """The typed address if complete (every problem put on its field), else None."""
    valid = form.is_valid()
    typed = AddressFields(
        market=market, **{name: form.data.get(name, "") for name in AddressForm.base_fields}
    )
    for name, problem in address_problems(typed.cleaned()).items():
        if name in form.fields and name not in form.errors:
            form.add_error(name, problem)
    if not valid or form.errors:
        return None
    fields = AddressFields(market=market, **form.cleaned_data).cleaned()
    return _shipping_address(fields, market)


def _shipping_address(fields: AddressFields, market: str) -> services.ShippingAddress:
    india = market == "IN"
    return services.ShippingAddress(
        recipient=fields.recipient,
        phone=fields.phone,
        line1=fields.line1,
        line2=fields.line2,
        city=fields.city,
        postal_code=fields.postal_code,
        state=place_of_supply(fields.state) if india else "",
        region="" if india else fields.state,
    )


def _hours(option: services.PickupOption) -> list[str]:
    return [f"{WEEKDAYS_ABBR[day]} {opens}–{closes}" for day, opens, closes in option.hours]


def _context(request: HttpRequest, info: MarketInfo, actor: Actor, summary, form, address_form) -> dict:
    wanted = {line.sku.id: line.priced.quantity for line in summary.lines}
    pickup = services.pickup_options(info.code, wanted)
    saved = [a for a in accounts.list_addresses(actor) if a.market == info.code]
    methods = services.shipping_methods(info.code)
    return {
        "summary": summary,
        "form": form,
        "address_form": address_form,
        "saved_addresses": saved,
        "methods": methods,
        "quote": _quote(summary, methods),  # always today's: a page shown again quotes it anew
        "pickup": [{"option": option, "hours": _hours(option)} for option in pickup],
        "test_mode": settings.MILLET_PAYMENT_GATEWAY == "test",
        "attempt": form["attempt"].value(),
        "chosen": {
            "fulfilment": form["fulfilment"].value() or DELIVERY,
            "address": form["address"].value() or (str(saved[0].id) if saved else NEW_ADDRESS),
            "shipping_method": form["shipping_method"].value() or "standard",
            "store": form["store"].value() or "",
            "payment": form["payment"].value() or CARD,
            "card_token": form["card_token"].value()
            or ("tok_ok" if settings.MILLET_PAYMENT_GATEWAY == "test" else ""),
        },
    }


def _paid_or_continue(order, payment: str) -> HttpResponse:
    """Where a placed (or replayed) order goes next: instant credit's decision, else the confirmation."""
    if order.status == "placed" and payment == CREDIT:
        return HttpResponseRedirect(reverse("lending:pay", kwargs={"number": order.number}))
    return HttpResponseRedirect(reverse("sales:confirmation", kwargs={"number": order.number}))


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, market: str) -> HttpResponse:
    info = market_or_404(market)
    actor = request_actor(request)
    cart = services.open_cart(actor, info.code)
    # A replay (double submit, back button) finds its order first: one query, none found normally.
    replayed = _replayed(actor, request.POST.get("attempt", "")) if request.method == "POST" else None
    try:
        summary = services.cart_summary(actor, cart.pk)
    except (NotFound, Conflict):
        return HttpResponseRedirect(cart_url(info.code))  # the cart says which line is the problem
    if replayed is not None and not summary.lines:  # the cart this form ordered: its order answers
        return _paid_or_continue(replayed, request.POST.get("payment", CARD))
    if not summary.lines:
        return HttpResponseRedirect(cart_url(info.code))
    saved = {str(a.id): a for a in accounts.list_addresses(actor) if a.market == info.code}
    wanted = {line.sku.id: line.priced.quantity for line in summary.lines}
    data = request.POST if request.method == "POST" else None
    if replayed is not None:  # sent again after the cart was filled anew: see below
        data = with_fresh_attempt(request.POST)
    form = CheckoutForm(
        data,
        methods=[m.code for m in services.shipping_methods(info.code)],
        stores=[o.store.facts.code for o in services.pickup_options(info.code, wanted)],
        addresses=list(saved),
    )
    address_form = _address_form(request, info.code)
    if replayed is not None:
        # Sent again (the back button) with a key that placed an order, while the cart holds what the
        # shopper put in since: that order is not this cart's, so its confirmation must not answer,
        # and nothing is placed with the spent key. The page says so, as the API's 409
        # ``idempotency_key_reused`` does, with the shopper's choices and a fresh key for this cart.
        form.is_valid()  # the choices' own problems show too
        form.add_error(None, MESSAGES["idempotency_key_reused"])
        context = _context(request, info, actor, summary, form, address_form)
        return render(request, "sales/checkout.html", context, status=409)
    if request.method == "POST":
        valid = form.is_valid()
        address = None
        if valid and form.cleaned_data["fulfilment"] == DELIVERY:
            chosen = form.cleaned_data["address"]
            if chosen in saved:
                address = _shipping_address(saved[chosen].fields, info.code)
            else:
                address = _new_address(address_form, info.code)
                valid = valid and address is not None
        status = 422
        if valid:
            placed = _place(form, info, actor, cart.pk, address)
            if isinstance(placed, int):
                status = placed
            else:
                return _paid_or_continue(placed, form.cleaned_data["payment"])
        context = _context(request, info, actor, summary, form, address_form)
        return render(request, "sales/checkout.html", context, status=status)
    return render(request, "sales/checkout.html", _context(request, info, actor, summary, form, address_form))


def _replayed(actor: Actor, attempt: str):
    """The order this person's ``attempt`` key placed, None for a new key (or none sent, or a damaged
    one, which the form refuses)."""
    if not is_page_key(attempt):
        return None
    try:
        return services.replayed_order(actor, attempt)
    except Conflict:
        raise Http404("no such checkout") from None  # another person's key: nothing to see


def _place(form: CheckoutForm, info: MarketInfo, actor: Actor, cart_id: int, address):
    """Place the order (paying by card at once); on a refusal, its words go on the form and the
    answer is its HTTP status (402 declined, 409 out of stock, 422 otherwise)."""
    data = form.cleaned_data
    collect, card = data["fulfilment"] == COLLECT, data["payment"] == CARD
    expected = _expected_total(data["quote"], data)
    if expected is None:
        form.add_error(None, MESSAGES["price_changed"])
        return 409
    request = {
        "payment_token": data["card_token"] if card else None,
        "channel": "click_collect" if collect else "web",
        "store_code": data["store"] if collect else None,
        "address": None if collect else address,
        "shipping_method": "" if collect else data["shipping_method"],
        "idempotency_key": data["attempt"],
        "expected_total": expected,
    }
    try:  # a twin (a double click) waits for this one's order and replays it (checkout_cart)
        return services.checkout_cart(actor, cart_id, **request)
    except DomainError as exc:
        form.add_error(None, problem_text(exc, info.currency))
        return exc.status_code


@login_required
@require_safe
def confirmation(request: HttpRequest, number: str) -> HttpResponse:
    """The buyer's receipt right after checkout: what was ordered, where it goes, what was paid.
    Another person's order number is a 404, like a number that does not exist."""
    actor = request_actor(request)
    with as_404():
        order = services.get_own_order(actor, number)
    lines = list(order.lines.all())
    skus = skus_by_id(line.sku_id for line in lines)
    components: dict[str, Decimal] = {}
    for taxed in [line.tax_components for line in lines] + [order.shipping_tax_components]:
        for name, amount in taxed.items():
            components[name] = components.get(name, Decimal(0)) + Decimal(amount)
    store = next((s for s in services.pickup_stores(order.market_id) if s.facts.id == order.store_id), None)
    method = next(
        (m for m in services.shipping_methods(order.market_id) if m.code == order.shipping_method), None
    )
    context = {
        "order": order,
        "lines": [{"line": line, "name": skus[line.sku_id].name} for line in lines],
        "tax_components": components,
        "store": store,
        "shipping_label": method.label if method else "",
        "status": STATUS.get(order.status, (order.status, "neutral")),
        "state_name": state_name(gst_state_code(order.shipping_state), translation.get_language() or "en")
        if order.shipping_state.startswith("IN-")
        else "",
        "paid": order.status not in ("placed", "cancelled"),
    }
    return render(request, "sales/confirmation.html", context)
