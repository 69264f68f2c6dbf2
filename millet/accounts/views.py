"""The shopper's own pages: the profile and saved addresses. Sign-in, sign-up, email verification
and password reset are django-allauth's views with Millet's templates (templates/account/)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from millet.accounts import services
from millet.accounts.actor import request_actor
from millet.accounts.forms import AddressForm, NameForm
from millet.accounts.postal import AddressFields, address_problems
from millet.core.not_found import as_404
from millet.regions.india import state_choices
from millet.regions.services import list_markets


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = NameForm(
        request.POST or None,
        initial={"first_name": request.user.first_name, "last_name": request.user.last_name},
    )
    if request.method == "POST" and form.is_valid():
        services.set_name(actor, form.cleaned_data["first_name"], form.cleaned_data["last_name"])
        messages.success(request, _("Your name is saved."))
        return redirect("accounts:profile")
    context = {
        "form": form,
        "emails": services.email_addresses(actor),
        "addresses": services.list_addresses(actor)[:2],
    }
    return render(request, "accounts/profile.html", context)


@login_required
def addresses(request: HttpRequest) -> HttpResponse:
    addresses = services.list_addresses(request_actor(request))
    context = {"addresses": addresses, "address_markets": list_markets()}
    return render(request, "accounts/addresses.html", context)


def _address_page(request: HttpRequest, market: str, address: services.AddressInfo | None) -> HttpResponse:
    """The add and edit form: the market's fields; the service's problems shown inline."""
    initial = None
    if address is not None:
        initial = {name: getattr(address, name) for name in AddressForm.base_fields}
    form = AddressForm(
        request.POST or None,
        initial=initial,
        market=market,
        state_choices=state_choices(translation.get_language() or "en"),
    )
    if request.method == "POST":
        valid = form.is_valid()
        typed = AddressFields(
            market=market, **{name: request.POST.get(name, "") for name in AddressForm.base_fields}
        )
        # Every problem at once: the market's rules for fields the form itself found no fault with.
        for name, problem in address_problems(typed.cleaned()).items():
            if name in form.fields and name not in form.errors:
                form.add_error(name, problem)
        if valid and not form.errors:
            fields = AddressFields(market=market, **form.cleaned_data)
            try:
                services.save_address(request_actor(request), fields, address.id if address else None)
            except services.InvalidAddress as exc:
                for name, problem in exc.problems.items():
                    form.add_error(name if name in form.fields else None, problem)
            else:
                messages.success(request, _("The address is saved."))
                return redirect("accounts:addresses")
    markets = list_markets()
    context = {
        "form": form,
        "address": address,
        "address_market": next((m for m in markets if m.code == market), None),
        "address_markets": markets,
    }
    return render(request, "accounts/address_form.html", context, status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def address_new(request: HttpRequest) -> HttpResponse:
    codes = {m.code for m in list_markets()}
    wanted = (request.POST.get("market") or request.GET.get("market") or "").upper()
    current = getattr(request, "market", None)
    market = wanted if wanted in codes else (current.code if current else next(iter(sorted(codes)), ""))
    if not market:
        raise Http404("no market")
    return _address_page(request, market, None)


def _own_address(request: HttpRequest, address_id: int) -> services.AddressInfo:
    with as_404():
        return services.get_address(request_actor(request), address_id)


@login_required
@require_http_methods(["GET", "POST"])
def address_edit(request: HttpRequest, address_id: int) -> HttpResponse:
    address = _own_address(request, address_id)
    return _address_page(request, address.market, address)


@login_required
@require_http_methods(["GET", "POST"])
def address_delete(request: HttpRequest, address_id: int) -> HttpResponse:
    address = _own_address(request, address_id)
    if request.method == "POST":
        services.delete_address(request_actor(request), address.id)
        messages.success(request, _("The address is deleted."))
        return redirect("accounts:addresses")
    return render(request, "accounts/address_delete.html", {"address": address})
