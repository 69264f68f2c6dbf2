"""Sharing devices by invitation (/devices/sharing/): invitations waiting for the signed-in person,
the devices shared with them, and for each device they own its members and an invitation form.

The invitation form's answer is the same whether or not the username or email belongs to someone
(``services.sharing.invite``): the page never tells who has an account.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from millet.accounts.actor import request_actor
from millet.core.errors import Forbidden, Unprocessable
from millet.core.not_found import as_404
from millet.devices import services
from millet.devices.automation_form import device_names


@login_required
@require_safe
def sharing_page(request: HttpRequest) -> HttpResponse:
    return _sharing_page(request)


def _sharing_page(request: HttpRequest, status: int = 200) -> HttpResponse:
    """The page; also the answer to a refused invitation (422, the refusal as a message)."""
    actor = request_actor(request)
    infos = [i for i in services.list_devices(actor) if i.role != "staff"]
    names = device_names([(i.device_id, i.model_urn, i.serial) for i in infos])
    invitations = services.invitations_for(actor)
    invited = device_names([(i.invitation_id, i.model_urn, i.serial) for i in invitations])
    owned = [
        {"device": i, "name": names[i.device_id], "members": services.shares_of(actor, i.device_id)}
        for i in infos
        if i.role == "owner"
    ]
    shared = [{"device": i, "name": names[i.device_id]} for i in infos if i.role != "owner"]
    return render(
        request,
        "devices/sharing/sharing.html",
        {
            "owned": owned,
            "shared": shared,
            "invitations": [(i, invited[i.invitation_id]) for i in invitations],
        },
        status=status,
    )


@login_required
@require_POST
def invite(request: HttpRequest, device_id: str) -> HttpResponse:
    login = request.POST.get("login", "").strip()
    try:
        with as_404(Forbidden):
            services.invite(request_actor(request), device_id, login, request.POST.get("role", ""))
    except Unprocessable as exc:
        messages.error(request, _("Give a username or an email address, and choose what they may do."))
        return _sharing_page(request, status=exc.status_code)
    messages.success(
        request,
        _("If “%(login)s” has a Millet account, your invitation is waiting for them.") % {"login": login},
    )
    return redirect("devices_owner:sharing")


@login_required
@require_POST
def answer(request: HttpRequest, invitation_id: int, verdict: str) -> HttpResponse:
    if verdict not in ("accept", "decline"):
        raise Http404
    with as_404():
        services.answer_invitation(request_actor(request), invitation_id, verdict == "accept")
    text = (
        _("Invitation accepted: the device is in your list.")
        if verdict == "accept"
        else _("Invitation declined.")
    )
    messages.success(request, text)
    return redirect("devices_owner:sharing")


@login_required
@require_POST
def remove_member(request: HttpRequest, device_id: str) -> HttpResponse:
    username = request.POST.get("username", "")
    with as_404(Forbidden):
        services.unshare_device(request_actor(request), device_id, username)
    messages.success(request, _("%(username)s no longer shares this device.") % {"username": username})
    return redirect("devices_owner:sharing")
