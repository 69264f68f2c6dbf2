"""The camera owner's pages: their cameras (/cameras/) and a camera's recent snapshots with the faces
found in each drawn over the picture (/cameras/<device_id>/).

Only the camera's owner and the members it is shared with see them; to anyone else, staff included,
a camera and its pictures do not exist (404), as ``services.snapshots`` decides.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from millet.accounts.actor import request_actor
from millet.core.not_found import as_404
from millet.vision import services

PAGE_SIZE = 12  # the newest snapshots shown on a camera's page


@login_required
@require_safe
def cameras(request: HttpRequest) -> HttpResponse:
    return render(request, "vision/cameras.html", {"cameras": services.list_cameras(request_actor(request))})


@login_required
@require_safe
def camera(request: HttpRequest, device_id: str) -> HttpResponse:
    actor = request_actor(request)
    with as_404():
        found = services.camera_for_viewer(actor, device_id)
    snapshots = services.list_snapshots(actor, device_id, limit=PAGE_SIZE)
    return render(
        request, "vision/camera.html", {"camera": found, "snapshots": snapshots, "page_size": PAGE_SIZE}
    )


@login_required
@require_safe
def snapshot_image(request: HttpRequest, snapshot_id: int) -> HttpResponse:
    """The picture itself, private to those who may see it (never cached by a shared cache)."""
    with as_404():
        content_type, data = services.snapshot_image(request_actor(request), snapshot_id)
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
