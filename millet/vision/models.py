"""The vision domain's tables: camera snapshots with the faces found in them, and retention per home.

A snapshot stores the picture, where each face is (box, score, five landmarks, ellipse) and nothing
else: faces are detected, never identified, so no embedding or descriptor is computed or kept.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_RETENTION_DAYS = 7
MAX_RETENTION_DAYS = 365


class Snapshot(models.Model):
    """A picture a camera took, owned with the camera: by its owner when it was taken.

    ``home`` is the home the camera was in, whose retention applies. ``faces`` is a list of
    ``{"box": {x, y, width, height}, "score", "landmarks": [{x, y}] * 5 | null, "ellipse": {...}}`` in
    the picture's pixels (see ``services.faces``).
    """

    device_id = models.CharField(
        _("device ID"),
        max_length=32,
        help_text=_("The camera's device id (no join: the device cloud owns its table)."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="+"
    )
    home = models.ForeignKey(
        "devices.Home",
        verbose_name=_("home"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    taken_at = models.DateTimeField(_("taken at"))
    content_type = models.CharField(_("content type"), max_length=16)
    image = models.BinaryField(_("image"))
    width = models.PositiveIntegerField(_("width (pixels)"))
    height = models.PositiveIntegerField(_("height (pixels)"))
    detector = models.CharField(_("face detector"), max_length=16)
    face_count = models.PositiveIntegerField(_("faces found"))
    best_score = models.FloatField(
        _("best face score"), null=True, blank=True, help_text=_("Highest face score; empty without faces.")
    )
    faces = models.JSONField(_("faces"), default=list, blank=True)

    class Meta:
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        indexes = [
            models.Index(fields=["device_id", "taken_at"]),
            models.Index(fields=["home", "taken_at"]),
            models.Index(fields=["taken_at"]),
        ]

    def __str__(self) -> str:
        return f"snapshot {self.pk} of {self.device_id} at {self.taken_at:%Y-%m-%d %H:%M:%S}"


class SnapshotRetention(models.Model):
    """How long a home keeps its cameras' snapshots; a home without a row keeps them 7 days."""

    home = models.OneToOneField(
        "devices.Home",
        verbose_name=_("home"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="snapshot_retention",
    )
    days = models.PositiveSmallIntegerField(
        _("days kept"),
        default=DEFAULT_RETENTION_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RETENTION_DAYS)],
    )

    class Meta:
        verbose_name = _("snapshot retention")
        verbose_name_plural = _("snapshot retentions")

    def __str__(self) -> str:
        return f"{self.home_id}: {self.days} days"
