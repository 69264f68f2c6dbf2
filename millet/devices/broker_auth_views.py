"""The broker's questions over HTTP: RabbitMQ's auth backend, EMQX's and VerneMQ's auth hooks.

Each view reads the broker's request, asks ``services.broker_auth`` and answers in that broker's
format; the rules live in the service. Every URL carries ``broker_auth_token()`` as a path segment,
so only a broker configured with it can ask (a wrong token is a 404). Formats:

- RabbitMQ ``rabbitmq_auth_backend_http`` (``auth_http.http_method = post``): form fields; the
  answer is the plain text ``allow`` or ``deny`` (RabbitMQ's README, "What Must My Web Server Do?").
- EMQX 5 HTTP authentication and authorization: a JSON body (the templates in
  docs/DEVICE_INTEGRATION.md); the answer ``{"result": "allow" | "deny"}``.
- VerneMQ ``vmq_webhooks``: JSON with ``username``, ``password``, ``client_id``, ``topic(s)``; the
  answer ``{"result": "ok"}`` or ``{"result": {"error": "not_allowed"}}``.
"""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from millet.devices.services import broker_auth


def _broker_view(view):
    """POST only, no CSRF (the broker holds no cookie), and only with the right token."""

    @csrf_exempt
    @require_POST
    def checked(request: HttpRequest, token: str, *args) -> HttpResponse:
        if not constant_time_compare(token, broker_auth.broker_auth_token()):
            raise Http404
        return view(request, *args)

    return checked


def _plain(allowed: bool) -> HttpResponse:
    return HttpResponse("allow" if allowed else "deny", content_type="text/plain")


@_broker_view
def rabbitmq_user(request: HttpRequest) -> HttpResponse:
    form = request.POST
    return _plain(
        broker_auth.may_log_in(form.get("username", ""), form.get("password", ""), form.get("client_id"))
    )


@_broker_view
def rabbitmq_vhost(request: HttpRequest) -> HttpResponse:
    return _plain(broker_auth.rabbitmq_vhost(request.POST.get("username", ""), request.POST.get("vhost", "")))


@_broker_view
def rabbitmq_resource(request: HttpRequest) -> HttpResponse:
    form = request.POST
    return _plain(
        broker_auth.rabbitmq_resource(
            form.get("username", ""),
            form.get("vhost", ""),
            form.get("resource", ""),
            form.get("name", ""),
            form.get("permission", ""),
        )
    )


@_broker_view
def rabbitmq_topic(request: HttpRequest) -> HttpResponse:
    form = request.POST
    return _plain(
        broker_auth.rabbitmq_topic(
            form.get("username", ""),
            form.get("vhost", ""),
            form.get("name", ""),
            form.get("permission", ""),
            form.get("routing_key", ""),
        )
    )


def _json(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _text(body: dict, key: str) -> str:
    value = body.get(key)
    return value if isinstance(value, str) else ""


@_broker_view
def emqx_authenticate(request: HttpRequest) -> HttpResponse:
    body = _json(request)
    username, password = _text(body, "username"), _text(body, "password")
    allowed = broker_auth.may_log_in(username, password, _text(body, "clientid"))
    return JsonResponse({"result": "allow" if allowed else "deny", "is_superuser": False})


@_broker_view
def emqx_authorize(request: HttpRequest) -> HttpResponse:
    body = _json(request)
    username, topic, action = _text(body, "username"), _text(body, "topic"), _text(body, "action")
    if action == "publish":
        allowed = broker_auth.may_publish(username, topic)
    else:
        allowed = action == "subscribe" and broker_auth.may_subscribe(username, topic)
    return JsonResponse({"result": "allow" if allowed else "deny"})


def _vernemq(allowed: bool) -> JsonResponse:
    return JsonResponse({"result": "ok"} if allowed else {"result": {"error": "not_allowed"}})


@_broker_view
def vernemq_register(request: HttpRequest) -> HttpResponse:
    body = _json(request)
    return _vernemq(
        broker_auth.may_log_in(_text(body, "username"), _text(body, "password"), _text(body, "client_id"))
    )


@_broker_view
def vernemq_publish(request: HttpRequest) -> HttpResponse:
    body = _json(request)
    return _vernemq(broker_auth.may_publish(_text(body, "username"), _text(body, "topic")))


@_broker_view
def vernemq_subscribe(request: HttpRequest) -> HttpResponse:
    """Every filter of the SUBSCRIBE must be allowed; one forbidden filter refuses the packet."""
    body = _json(request)
    username = _text(body, "username")
    wanted = body.get("topics") if isinstance(body.get("topics"), list) else []
    filters = [entry.get("topic") for entry in wanted if isinstance(entry, dict)]
    allowed = bool(filters) and all(
        isinstance(f, str) and broker_auth.may_subscribe(username, f) for f in filters
    )
    return _vernemq(allowed)
