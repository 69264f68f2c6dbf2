"""The kernel's table: what a keyed request created, so a retry of it replays (core.idempotency)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class KeyedRequest(models.Model):
    """An ``Idempotency-Key`` one person used, the fingerprint of the request it came with and the
    reference of what that request created (``keyed_create``). Unique per person, so two people's
    keys never meet and a twin request waits on the row until the first commits. Orders and
    payments keep their keys beside their own rows (``OrderKey``, ``Payment.idempotency_key``)."""

    actor = models.ForeignKey(  # no index of its own: the unique key leads with it
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        db_index=False,
        related_name="+",
    )
    key = models.CharField(_("idempotency key"), max_length=64)
    request_fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    result = models.CharField(
        _("result"), max_length=64, blank=True, help_text=_("What the request created, e.g. its id.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("keyed request")
        verbose_name_plural = _("keyed requests")
        constraints = [
            models.UniqueConstraint(fields=["actor", "key"], name="keyed_request_actor_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.actor_id}:{self.key}"
