"""The device owner's automations: the list (enable, disable, delete) and the editor.

The editor is one form posted back to itself: choosing a trigger, a condition or an action (with
the "Show the fields" button, or by htmx as soon as a select changes) renders the typed inputs
that member's spec calls for; "Save" hands the choices to ``services.create_automation``, which
checks every device and value. Nothing is typed as JSON, and it all works with JavaScript off.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from millet.accounts.actor import Actor, request_actor
from millet.core.attempt_keys import new_attempt, sound_or_new
from millet.core.errors import DomainError
from millet.core.not_found import as_404
from millet.devices import services
from millet.devices.automation_form import Pickers, describe, parse_value, value_input, value_problem

MAX_NAME = 64
MAX_MESSAGE = 256  # a notification's message (services.automations)


@login_required
@require_safe
def automations(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    pickers = Pickers(actor)
    rows = [
        {"automation": a, "home": home, "words": describe(a, pickers)}
        for home in services.list_homes(actor)
        for a in services.list_automations(actor, home.pk)
    ]
    return render(request, "devices/automations/list.html", {"rows": rows, "can_build": bool(pickers.names)})


def _editor(actor: Actor, pickers: Pickers, data) -> dict:
    """The editor's context for the posted (or empty) choices."""
    trigger = pickers.triggers.get(data.get("trigger", ""))
    condition = pickers.conditions.get(data.get("condition", ""))
    action = pickers.actions.get(data.get("action", ""))
    return {
        "data": data,
        "homes": services.list_homes(actor),
        "triggers": Pickers.choices(pickers.triggers),
        "conditions": Pickers.choices(pickers.conditions),
        "actions": Pickers.choices(pickers.actions),
        "trigger": trigger,
        "condition": condition,
        "trigger_input": trigger
        and trigger.prop
        and value_input(
            trigger.prop, "trigger_value", _("Value"), data.get("trigger_value", ""), with_ops=True
        ),
        "condition_input": condition
        and value_input(
            condition.prop, "condition_value", _("Value"), data.get("condition_value", ""), with_ops=True
        ),
        "action": action,
        "action_input": action
        and action.prop
        and value_input(
            action.prop, "action_value", _("Set it to"), data.get("action_value", ""), with_ops=False
        ),
        "notify": action is not None and action.kind == "notify",
        "errors": [],
        # One key per editor shown: the same form sent again (a reload, a retry) saves nothing twice;
        # a damaged key is no key, and the form gets a new one.
        "attempt": sound_or_new(data.get("attempt", "")),
    }


def _comparison(member, data, prefix: str) -> dict:
    return {
        "device": member.device_id,
        "property": member.name,
        "op": data.get(f"{prefix}_op", "=="),
        "value": parse_value(member.prop, data.get(f"{prefix}_value", "")),
    }


def _action(member, data) -> dict:
    if member.kind == "notify":
        return {"type": "notify", "message": data.get("message", "").strip()}
    if member.kind == "action":
        return {"type": "action", "device": member.device_id, "action": member.name, "args": {}}
    return {
        "type": "set",
        "device": member.device_id,
        "props": {member.name: parse_value(member.prop, data.get("action_value", ""))},
    }


def _home_id(actor: Actor, context: dict, posted: str) -> int:
    """The chosen home, the only one, or a first home made now for the owner's first automation."""
    homes = context["homes"]
    chosen = next((h.pk for h in homes if str(h.pk) == posted), None)
    if chosen is not None:
        return chosen
    return homes[0].pk if homes else services.create_home(actor, _("My home")).pk


def _save(actor: Actor, context: dict, data) -> list[str]:
    """Create the automation; the problems to show, if any."""
    trigger, action = context["trigger"], context["action"]
    name = data.get("name", "").strip()
    errors = []
    if not 1 <= len(name) <= MAX_NAME:
        errors.append(_("Give the automation a name of 1 to %(max)d characters.") % {"max": MAX_NAME})
    if trigger is None:
        errors.append(_("Choose what starts the automation."))
    if action is None:
        errors.append(_("Choose what the automation does."))
    elif action.kind == "notify" and not 1 <= len(data.get("message", "").strip()) <= MAX_MESSAGE:
        errors.append(
            _("Write the notification's message in 1 to %(max)d characters.") % {"max": MAX_MESSAGE}
        )
    for member, prefix, compared in (
        (trigger, "trigger", True),
        (context["condition"], "condition", True),
        (action, "action", False),
    ):
        if member is not None and member.prop is not None:  # a property to compare or set
            op = data.get(f"{prefix}_op", "==") if compared else None
            problem = value_problem(member.prop, data.get(f"{prefix}_value", ""), op)
            if problem:
                errors.append(f"{member.label}: {problem}")
    if errors:
        return errors
    if trigger.kind == "event":
        trigger_type, trigger_data = "event", {"device": trigger.device_id, "event": trigger.name}
    else:
        trigger_type, trigger_data = "property", _comparison(trigger, data, "trigger")
    condition = context["condition"]
    conditions = [{"type": "property", **_comparison(condition, data, "condition")}] if condition else []
    try:
        services.create_automation(
            actor,
            _home_id(actor, context, data.get("home", "")),
            name=name,
            trigger_type=trigger_type,
            trigger=trigger_data,
            conditions=conditions,
            actions=[_action(action, data)],
            idempotency_key=context["attempt"],
        )
    except DomainError:  # what the checks above cannot see: a device no longer yours, a spec changed,
        context["attempt"] = new_attempt()  # or this form's key spent on other choices (Back, edit)
        return [_("These choices cannot be saved any more: choose them again.")]
    return []


@login_required
def new_automation(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    pickers = Pickers(actor)
    data = request.POST if request.method == "POST" else {}
    context = _editor(actor, pickers, data)
    if request.method == "POST" and "refresh" not in request.POST and "refresh" not in request.GET:
        context["errors"] = _save(actor, context, data)
        if not context["errors"]:
            messages.success(
                request, _("Automation “%(name)s” saved and on.") % {"name": data["name"].strip()}
            )
            return redirect("devices_owner:automations")
        return render(request, "devices/automations/edit.html", context, status=422)
    response = render(request, "devices/automations/edit.html", context)
    response["Vary"] = "HX-Request"
    return response


@login_required
@require_POST
def set_enabled(request: HttpRequest, automation_id: int) -> HttpResponse:
    enabled = request.POST.get("enabled") == "true"
    with as_404():
        automation = services.set_automation_enabled(request_actor(request), automation_id, enabled)
    text = _("“%(name)s” is on.") if enabled else _("“%(name)s” is off.")
    messages.success(request, text % {"name": automation.name})
    return redirect("devices_owner:automations")


@login_required
@require_POST
def delete(request: HttpRequest, automation_id: int) -> HttpResponse:
    with as_404():
        services.delete_automation(request_actor(request), automation_id)
    messages.success(request, _("The automation is deleted."))
    return redirect("devices_owner:automations")
