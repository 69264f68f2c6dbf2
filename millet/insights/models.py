"""The insights domain's tables: goals, exchange rates, daily rollups and the rollups' watermark.

Rollups hold only figures other domains' services gave: nothing here points at an order or a
transfer, so a dashboard read stays within these tables at any history size.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from millet.insights.metrics import METRICS, SCOPE_KIND_LABELS, SCOPE_KINDS


class ExchangeRate(models.Model):
    """How many units of the reporting currency one unit of ``currency`` was worth from ``valid_from``
    on, until the next rate of the same currency. Entered in the back office (there is no feed)."""

    currency = models.CharField(_("currency"), max_length=3)
    valid_from = models.DateField(_("valid from"))
    rate = models.DecimalField(_("exchange rate"), max_digits=20, decimal_places=10)
    note = models.CharField(_("note"), max_length=160, blank=True, help_text=_("Where the rate comes from."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ("currency", "-valid_from")
        constraints = [
            models.UniqueConstraint(fields=("currency", "valid_from"), name="insights_rate_one_per_day"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="insights_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} from {self.valid_from}"


class Goal(models.Model):
    """A target for one metric in one scope, to reach between ``starts_on`` and ``due_on``."""

    title = models.CharField(_("title"), max_length=160)
    metric = models.CharField(_("metric"), max_length=32, choices=[(k, m.label) for k, m in METRICS.items()])
    scope_kind = models.CharField(
        _("scope kind"), max_length=16, choices=[(k, SCOPE_KIND_LABELS[k]) for k in SCOPE_KINDS]
    )
    scope_value = models.CharField(
        _("scope"),
        max_length=64,
        blank=True,
        help_text=_("Market, store, channel or flash-sale code, or product lines joined by + (router+tv)."),
    )
    target = models.DecimalField(_("target"), max_digits=24, decimal_places=2)
    currency = models.CharField(
        _("currency"), max_length=3, blank=True, help_text=_("For money goals: the target's currency.")
    )
    starts_on = models.DateField(_("starts on"))
    due_on = models.DateField(_("due on"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("goal", "owner"),  # who answers for the goal, not who owns a thing
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(
        _("source"), max_length=255, blank=True, help_text=_("Where the goal was set, in words.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ("due_on", "pk")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_on__gt=models.F("starts_on")), name="insights_goal_dates"
            ),
            models.CheckConstraint(condition=models.Q(target__gt=0), name="insights_goal_target_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def scope(self) -> str:
        return self.scope_kind if self.scope_kind == "company" else f"{self.scope_kind}:{self.scope_value}"


class Rollup(models.Model):
    """One day's figure of one rollup series in one scope: ``amount`` is integer minor units of
    ``currency`` for money, a plain count when ``currency`` is empty. Days are UTC days."""

    series = models.CharField(_("series"), max_length=32)
    scope = models.CharField(
        _("scope"),
        max_length=200,
        help_text=_("company, market:CN, channel:web, store:SH-001, model:URN, firmware:URN@1.2.0"),
    )
    day = models.DateField(_("day"))
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    amount = models.BigIntegerField(_("amount"), default=0)

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        constraints = [
            models.UniqueConstraint(fields=("series", "scope", "day", "currency"), name="insights_rollup_key")
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.scope} {self.day} {self.amount} {self.currency}"


class Watermark(models.Model):
    """How far a rollup feed has read its source: every id up to ``last_id`` is applied, and so are
    the ids in ``taken`` above it (the settling window, see ``services.rollups``). A feed recounted
    by days keeps its own mark in ``last_id`` (see ``services.retail_series``). The row named
    ``figures`` counts the changes to what the goal cards show instead (``services.versions``)."""

    name = models.CharField(_("feed"), primary_key=True, max_length=32)
    last_id = models.BigIntegerField(_("last ID read"), default=0)
    taken = models.JSONField(_("IDs applied above the mark"), default=list)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("rollup watermark")
        verbose_name_plural = _("rollup watermarks")

    def __str__(self) -> str:
        return f"{self.name} at {self.last_id}"
