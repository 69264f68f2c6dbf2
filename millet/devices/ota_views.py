"""Firmware updates and notifications for the device owner (/devices/updates/): per device its version,
the newest firmware for its model, and how its update goes (from ``services.firmware_status``); the
owner may start an available update (``services.update_device``). Below, the person's notifications
(automations that ran, invitations, updates done or failed), newest first.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from millet.accounts.actor import request_actor
from millet.core.errors import Conflict, Forbidden
from millet.core.not_found import as_404
from millet.core.refusals import refusal_words
from millet.devices import services
from millet.devices.automation_form import device_names

NOTIFICATIONS_SHOWN = 50


@login_required
@require_safe
def updates(request: HttpRequest) -> HttpResponse:
    return _updates_page(request)


def _updates_page(request: HttpRequest, status: int = 200) -> HttpResponse:
    """The page; also the answer to a refused update (409, the refusal as a message)."""
    actor = request_actor(request)
    infos = [i for i in services.list_devices(actor) if i.role != "staff"]
    names = device_names([(i.device_id, i.model_urn, i.serial) for i in infos])
    rows = [
        {"device": i, "name": names[i.device_id], "firmware": services.firmware_status(actor, i.device_id)}
        for i in infos
    ]
    notifications = services.notifications_for(actor, limit=NOTIFICATIONS_SHOWN)
    context = {"rows": rows, "notifications": notifications}
    return render(request, "devices/updates/updates.html", context, status=status)


# Why an update cannot start now (``services.update_device``'s conflicts), in the owner's words.
UPDATE_REFUSALS = {
    "nothing_to_update": gettext_lazy("This device has no newer software to install."),
    "update_pending": gettext_lazy("An update of this device is already under way."),
    "rollout_active": gettext_lazy(
        "An update for this model is being rolled out: it reaches this device in its turn."
    ),
}


@login_required
@require_POST
def start_update(request: HttpRequest, device_id: str) -> HttpResponse:
    try:
        with as_404(Forbidden):
            rollout = services.update_device(request_actor(request), device_id)
    except Conflict as exc:
        messages.error(request, refusal_words(exc, UPDATE_REFUSALS, UPDATE_REFUSALS["nothing_to_update"]))
        return _updates_page(request, status=exc.status_code)
    messages.success(
        request,
        _("Update to %(version)s started: it installs when the device is online.")
        % {"version": rollout.firmware.version},
    )
    return redirect("devices_owner:updates")
