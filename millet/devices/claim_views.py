"""Adding a device by the QR code in its box (/devices/claim/): the camera reads it where the browser
has a barcode detector (``devices/claim.js``), otherwise the person types the code printed under it.

The code is ``MILLET:<device id>:<claim token>`` (the prefix may be left out). Every refusal, an
unknown code, a used one, or a unit sold to someone else, gets the same answer, so the page tells a
guesser nothing about a unit (``services.claim_device`` gives its reasons to the API only). The one
exception is a code naming a unit the person owns (their own box scanned again): they are told it is
theirs already.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from millet.accounts.actor import Actor, request_actor
from millet.core.errors import DomainError
from millet.devices import services
from millet.devices.automation_form import device_names

PREFIX = "MILLET:"
MAX_CODE = 120


def parse_code(text: str) -> tuple[str, str] | None:
    """``(device_id, claim_token)`` from the QR code's text, or None when it has not that shape."""
    text = (text or "").strip()
    if len(text) > MAX_CODE:
        return None
    if text.upper().startswith(PREFIX):
        text = text[len(PREFIX) :]
    device_id, sep, token = text.partition(":")
    return (device_id, token) if sep and device_id and token else None


@login_required
def claim(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("code", "") if request.method == "POST" else ""
    if request.method == "POST":
        actor = request_actor(request)
        parsed = parse_code(code)
        try:
            if parsed is None:
                raise DomainError("malformed code")
            info = services.claim_device(actor, *parsed)
        except DomainError:
            # Binding consumes the box's token, so a second click (or scan) of one's own box is refused;
            # its owner is told it is theirs, which tells nobody else anything.
            if parsed is not None and (info := _own_device(actor, parsed[0])) is not None:
                messages.info(request, _("%(device)s is already yours.") % {"device": _name(info)})
                return redirect("devices_owner:claim")
            refusal = _(
                "This code does not add a device to your account. Check it, or ask the seller for help."
            )
            return render(request, "devices/claim/claim.html", {"code": code, "refusal": refusal}, status=422)
        messages.success(request, _("%(device)s is yours now.") % {"device": _name(info)})
        return redirect("devices_owner:claim")
    return render(request, "devices/claim/claim.html", {"code": code})


def _own_device(actor: Actor, device_id: str) -> services.DeviceInfo | None:
    """The device if the actor owns it, else None (unknown, or someone else's: not found alike)."""
    try:
        info = services.device_for_viewer(actor, device_id)
    except DomainError:
        return None
    return info if info.owner_id == actor.user_id else None


def _name(info: services.DeviceInfo) -> str:
    return device_names([(info.device_id, info.model_urn, info.serial)])[info.device_id]
