"""The pages that belong to no domain: the landing redirect and the staff landing page."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from millet.accounts.actor import request_actor
from millet.web import nav
from millet.web.markets import visitor_market


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    """``/`` is the store: the visitor's market (cookie, then browser languages, then the default)."""
    market = visitor_market(request)
    code = market.code if market is not None else settings.MILLET_DEFAULT_MARKET
    response = HttpResponseRedirect(reverse("catalog:home", kwargs={"market": code}))
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    return response


@login_required
@require_safe
def staff_home(request: HttpRequest) -> HttpResponse:
    """Where people who work for the company land after signing in: the pages their roles may use."""
    actor = request_actor(request)
    if not actor.is_employee:
        raise PermissionDenied("staff only")
    return render(request, "web/staff.html", {"links": nav.links(nav.STAFF, actor)})
