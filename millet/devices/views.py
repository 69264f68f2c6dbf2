"""The device owner's app, /devices/: their homes, rooms and units (including units bought but not yet
switched on, with the steps to set them up), and a page per device with its live readings, the
controls its model's spec allows, the state of recent commands and charts of its history.

The page hears the device live through ``events`` (Server-Sent Events, fed by ``services.live``):
under WSGI (gunicorn's threaded workers, the test live server) a generator holds a thread per open
page; under ASGI (``millet.asgi``) an async generator holds only a coroutine. Owner and members it is
shared with see a device; a read-only member gets no controls; to anyone else the device, its stream
and its charts do not exist (404). Installable to the home screen: ``manifest`` and ``service_worker``.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from millet.accounts.actor import request_actor
from millet.catalog.services import product_faces
from millet.core.errors import DomainError, Forbidden, NotFound
from millet.core.not_found import as_404
from millet.core.refusals import refusal_words
from millet.core.typed_numbers import whole_number
from millet.devices import controls, services
from millet.devices.automation_form import parse_value, value_problem
from millet.devices.telemetry import services as telemetry

CHART_HOURS = 24
CHART_BUCKET_SECONDS = 15 * 60
KEEPALIVE_SECONDS = 15.0
STREAM_SECONDS = 600  # a stream ends after ten minutes; the browser's EventSource reconnects at once
RECENT_COMMANDS = 8
CONTROLLING = ("owner", "control")  # ``DeviceInfo.role`` values that may send commands
# Streams reading the database at once, per process: 1,000 pages opening together (a server restart,
# bench/live.py) would otherwise open 1,000 connections at once, where PostgreSQL allows 100.
OPENINGS_AT_ONCE = 8
# What the owner reads when a form of these pages is refused (the services' codes; their details are
# English, for the API); any other refusal of a command reads COMMAND_REFUSED.
REFUSALS = {
    "invalid_name": gettext_lazy("Give the home a name of 1 to 64 characters."),
    "invalid_room": gettext_lazy("Give the room a name of at most 64 characters."),
    "unknown_action": gettext_lazy("This device has no such action."),
}
COMMAND_REFUSED = gettext_lazy("The device cannot take this now: reload the page and try again.")
_openings = threading.BoundedSemaphore(OPENINGS_AT_ONCE)


def _device_or_404(request: HttpRequest, device_id: str):
    with as_404():
        return services.device_for_viewer(request_actor(request), device_id)


@login_required
@require_safe
def devices(request: HttpRequest) -> HttpResponse:
    """Homes with their rooms' devices, then devices in no home, then units waiting to be set up."""
    return _devices_page(request)


def _devices_page(request: HttpRequest, status: int = 200) -> HttpResponse:
    """The device list; also the answer to a refused form on it (4xx, the refusal as a message)."""
    actor = request_actor(request)
    units = services.list_devices(actor)
    waiting = services.units_to_set_up(actor)
    faces = product_faces({u.model_urn for u in units} | {w.model_urn for w in waiting if w.model_urn})
    homes = services.list_homes(actor)
    cards = [{"info": u, "face": faces.get(u.model_urn)} for u in units]
    places = []
    for home in homes:
        inside = sorted((c for c in cards if c["info"].home_id == home.pk), key=lambda c: c["info"].room)
        rooms: dict[str, list] = {}
        for card in inside:
            rooms.setdefault(card["info"].room, []).append(card)
        places.append({"home": home, "rooms": rooms})
    homeless = [c for c in cards if c["info"].home_id not in {h.pk for h in homes}]
    return render(
        request,
        "devices/devices.html",
        {
            "places": places,
            "homeless": homeless,
            "homes": homes,
            "waiting": [{"unit": w, "face": faces.get(w.model_urn)} for w in waiting],
            "has_any": bool(units or waiting),
        },
        status=status,
    )


@login_required
@require_POST
def create_home(request: HttpRequest) -> HttpResponse:
    try:
        services.create_home(request_actor(request), request.POST.get("name", ""))
    except DomainError as exc:
        messages.error(request, refusal_words(exc, REFUSALS, COMMAND_REFUSED))
        return _devices_page(request, status=exc.status_code)
    messages.success(request, _("Home added."))
    return redirect("devices:devices")


@login_required
@require_POST
def place(request: HttpRequest, device_id: str) -> HttpResponse:
    home = request.POST.get("home", "")
    home_id = whole_number(home, max_digits=18)
    try:
        with as_404(Forbidden):
            if home and home_id is None:
                raise NotFound("unknown home", code="unknown_home")
            services.place_device(request_actor(request), device_id, home_id, request.POST.get("room", ""))
    except DomainError as exc:
        messages.error(request, refusal_words(exc, REFUSALS, COMMAND_REFUSED))
        return _devices_page(request, status=exc.status_code)
    messages.success(request, _("Device moved."))
    return redirect("devices:devices")


@login_required
@require_safe
def device(request: HttpRequest, device_id: str) -> HttpResponse:
    return _device_page(request, device_id)


def _device_page(request: HttpRequest, device_id: str, status: int = 200) -> HttpResponse:
    """One device; also the answer to a refused command (4xx, the refusal as a message)."""
    info = _device_or_404(request, device_id)
    actor = request_actor(request)
    shadow = services.get_shadow(actor, device_id)
    may_control = info.role in CONTROLLING
    shown = controls.controls_for(
        services.property_keys_for(device_id), shadow.reported, may_control=may_control
    )
    commands = services.list_commands(actor, device_id, limit=RECENT_COMMANDS)
    face = product_faces([info.model_urn]).get(info.model_urn)
    return render(
        request,
        "devices/device.html",
        {
            "info": info,
            "face": face,
            "controls": shown,
            "actions": controls.actions_for(services.device_spec_for(device_id), may_control=may_control),
            "may_control": may_control,
            "commands": [
                {"command": c, "state": controls.COMMAND_STATES.get(c.status, c.status), "what": _what(c)}
                for c in commands
            ],
            "charted": [c for c in shown if c.charted],
            "chart_hours": CHART_HOURS,
            "states_json": json.dumps({k: str(v) for k, v in controls.COMMAND_STATES.items()}),
            "words_json": json.dumps({"on": _("On"), "off": _("Off")}),
        },
        status=status,
    )


def _what(command) -> str:
    """A command in the owner's words: "Power: On", "Restart"."""
    if command.kind == "action":
        name = command.params.get("action", "")
        return controls.action_label(name)
    if command.kind == "set":
        props = command.params.get("props", {})
        return ", ".join(
            f"{controls.label_for(k)}: {(_('On') if v else _('Off')) if isinstance(v, bool) else v}"
            for k, v in props.items()
        )
    return command.kind


def _send(request: HttpRequest, device_id: str, command: Callable[[], object]) -> HttpResponse:
    """Send an owner's command from a form: back to the device page, or the device page again
    with the refusal in the owner's words and its status (404 an unknown property, 422 a value the
    spec refuses, 409 a device that cannot take it now), or 403 for someone who may see the
    device but not control it."""
    try:
        command()
    except Forbidden:
        return HttpResponse(status=403)
    except DomainError as exc:
        messages.error(request, refusal_words(exc, REFUSALS, COMMAND_REFUSED))
        return _device_page(request, device_id, status=exc.status_code)
    messages.success(request, _("Sent to the device."))
    return redirect(reverse("devices:device", args=[device_id]) + "#commands")


@login_required
@require_POST
def set_property(request: HttpRequest, device_id: str) -> HttpResponse:
    _device_or_404(request, device_id)
    key, raw = request.POST.get("prop", ""), request.POST.get("value", "")
    spec = services.property_keys_for(device_id).get(key)
    problem = value_problem(spec, raw, None) if spec is not None else ""
    if problem:  # in words, as the automation editor says it (the spec's refusal names its internals)
        messages.error(request, f"{controls.label_for(key)}: {problem}")
        return _device_page(request, device_id, status=422)

    def command() -> None:
        if spec is None:
            raise NotFound("unknown property")
        value = parse_value(spec, raw)
        services.request_set(request_actor(request), device_id, {key: value})

    return _send(request, device_id, command)


@login_required
@require_POST
def run_action(request: HttpRequest, device_id: str) -> HttpResponse:
    _device_or_404(request, device_id)
    actor, action = request_actor(request), request.POST.get("action", "")
    return _send(request, device_id, lambda: services.request_action(actor, device_id, action, {}))


def _event(message: dict) -> str:
    return f"event: {message['kind']}\ndata: {json.dumps(message, default=str)}\n\n"


def _snapshot(actor, device_id: str) -> str:
    """The state as the stream opens (a page loaded earlier, or reconnecting, may have missed news):
    one ``reading`` of the reported shadow and a ``command`` per recent command."""
    reported = services.get_shadow(actor, device_id).reported
    now = time.time()
    messages = [{"kind": "reading", "device": device_id, "data": {"props": reported}, "sent": now}]
    messages += [
        {
            "kind": "command",
            "device": device_id,
            "data": {"id": c.command_id, "status": c.status},
            "sent": now,
        }
        for c in services.list_commands(actor, device_id, limit=RECENT_COMMANDS)
    ]
    return "retry: 1000\n\n" + "".join(_event(m) for m in messages)


def _release_connections() -> None:
    """This thread's database connections go back: an open stream needs none (held for a stream's
    life, 1,000 open pages would be 1,000 PostgreSQL connections; tests/devices/test_stream_connections.py).
    One inside a transaction (a test's, ``ATOMIC_REQUESTS``) stays: closing it would break that work."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def _few_at_once(read):
    """``read`` (a view, or a stream's opening) waits its turn among ``OPENINGS_AT_ONCE``, then gives
    back the connections it used."""

    @functools.wraps(read)
    def in_turn(*args, **kwargs):
        with _openings:
            try:
                return read(*args, **kwargs)
            finally:
                _release_connections()

    return in_turn


@_few_at_once
def _opening(actor, device_id: str) -> str:
    """The snapshot, read in turn; the connection it used goes back."""
    return _snapshot(actor, device_id)


def _sync_stream(actor, device_id: str):
    subscription = services.Subscription(device_id)  # first: nothing published after the snapshot is lost
    deadline = timezone.now() + timedelta(seconds=STREAM_SECONDS)
    try:
        yield _opening(actor, device_id)
        while timezone.now() < deadline:
            message = subscription.get(KEEPALIVE_SECONDS)
            yield _event(message) if message is not None else ": keepalive\n\n"
    finally:
        subscription.close()


async def _async_stream(actor, device_id: str):
    subscription = services.Subscription(device_id, asynchronous=True)
    deadline = timezone.now() + timedelta(seconds=STREAM_SECONDS)
    try:
        yield await sync_to_async(_opening)(actor, device_id)
        while timezone.now() < deadline:
            message = await subscription.async_get(KEEPALIVE_SECONDS)
            yield _event(message) if message is not None else ": keepalive\n\n"
    finally:
        subscription.close()


@_few_at_once  # outermost: signing in (login_required) reads the session and the user
@login_required
@require_safe
@never_cache
def events(request: HttpRequest, device_id: str) -> StreamingHttpResponse:
    """``text/event-stream`` of the device's live messages (``services.live``): events ``reading``
    and ``command``, comments as keepalives every 15 s. 404 for a device the person may not see."""
    _device_or_404(request, device_id)
    actor = request_actor(request)
    stream = _async_stream if isinstance(request, ASGIRequest) else _sync_stream
    response = StreamingHttpResponse(
        stream(actor, device_id), content_type="text/event-stream; charset=utf-8"
    )
    response["X-Accel-Buffering"] = "no"  # a proxy in front must pass each event on at once
    return response  # holding no connection (``_few_at_once``) until its opening reads the state


@login_required
@require_safe
def history_chart(request: HttpRequest, device_id: str, prop: str) -> HttpResponse:
    """An SVG line of the property's average per 15 minutes over the last 24 hours."""
    _device_or_404(request, device_id)
    if prop not in services.property_keys_for(device_id):
        raise Http404
    end = timezone.now()
    start = end - timedelta(hours=CHART_HOURS)
    buckets = telemetry.telemetry_history(device_id, prop, start, end, CHART_BUCKET_SECONDS)
    response = render(
        request,
        "devices/chart.svg",
        {"chart": controls.line_chart(buckets, start, end), "label": controls.label_for(prop)},
        content_type="image/svg+xml",
    )
    response["Cache-Control"] = "private, max-age=60"
    return response


@require_safe
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: installs /devices/ to the home screen, in the visitor's language."""
    icon = static("web/favicon.svg")
    return JsonResponse(
        {
            "name": _("Millet devices"),
            "short_name": _("My devices"),
            "start_url": reverse("devices:devices"),
            "scope": reverse("devices:devices"),
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#ff6700",
            "icons": [{"src": icon, "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker script (templates/devices/sw.js), served under /devices/ so its scope is."""
    shell = [static(p) for p in ("web/millet.css", "web/millet.js", "devices/devices.css", "devices/live.js")]
    response = render(
        request,
        "devices/sw.js",
        {"shell": json.dumps(shell), "home": json.dumps(reverse("devices:devices"))},
        content_type="text/javascript",
    )
    response["Cache-Control"] = "no-cache"
    return response
