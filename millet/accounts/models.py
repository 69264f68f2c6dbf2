"""API tokens for integrators and apps; people in the browser use Django's session login."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """Only the SHA-256 of a token is stored, so a leaked database does not leak usable tokens."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=64, default="default")
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    prefix = models.CharField(
        _("prefix"), max_length=8, help_text=_("First characters, to tell tokens apart in the admin.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class Address(models.Model):
    """A shopper's saved delivery address in one market. For India, ``state`` is the GST state code
    (``regions.india``), which decides the place of supply; elsewhere it is the province or state as
    written, and optional. The rules are ``accounts.postal.address_problems``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="addresses"
    )
    market = models.ForeignKey(
        "regions.Market", verbose_name=_("market"), on_delete=models.PROTECT, related_name="+"
    )
    recipient = models.CharField(_("recipient"), max_length=100)
    phone = models.CharField(_("mobile number"), max_length=20)
    line1 = models.CharField(_("address line 1"), max_length=120)
    line2 = models.CharField(_("address line 2"), max_length=120, blank=True)
    city = models.CharField(_("city"), max_length=64)
    postal_code = models.CharField(_("postal code"), max_length=10)
    state = models.CharField(_("province or state"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        indexes = [models.Index(fields=["user", "-updated_at"], name="address_by_user")]

    def __str__(self) -> str:
        return f"{self.recipient}, {self.city} ({self.market_id})"
