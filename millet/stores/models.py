"""The branded store network: stores, their staff and roles, and the pipeline of planned openings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from millet.stores.hours import validate_opening_hours


class Store(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    market = models.ForeignKey(
        "regions.Market", on_delete=models.PROTECT, related_name="stores", verbose_name=_("market")
    )
    city = models.CharField(_("city"), max_length=64)
    address = models.CharField(_("address"), max_length=255)
    opening_hours = models.JSONField(
        _("opening hours"),
        default=dict,
        blank=True,
        validators=[validate_opening_hours],
        help_text=_('Local time, e.g. {"mon": ["10:00", "22:00"], ...}; a missing day is closed.'),
    )
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    location = models.OneToOneField(
        "inventory.Location",
        on_delete=models.PROTECT,
        related_name="store",
        verbose_name=_("stock location"),
        help_text=_("The stock location this store sells from."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class StaffMember(models.Model):
    """Gives a user a role at one store; cashiers and managers act only on their own store."""

    class Role(models.TextChoices):
        CASHIER = "cashier", _("Cashier")
        MANAGER = "manager", _("Manager")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="store_roles", verbose_name=_("user")
    )
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="staff", verbose_name=_("store"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        constraints = [models.UniqueConstraint(fields=["user", "store"], name="one_role_per_user_per_store")]

    def __str__(self) -> str:
        return f"user {self.user_id} {self.role} @ store {self.store_id}"


class ExpansionGoal(models.Model):
    """A target from the plan, e.g. 'open 200 more stores in China by 2019-12-31'."""

    market = models.ForeignKey("regions.Market", on_delete=models.PROTECT, verbose_name=_("market"))
    target_store_count = models.PositiveIntegerField(_("target store count"))
    starts_on = models.DateField(
        _("starts on"),
        null=True,
        blank=True,
        help_text=_("Stores opened from this day on count toward the goal; empty: the target is a total."),
    )
    target_date = models.DateField(_("target date"))
    description = models.CharField(_("description"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("expansion goal")
        verbose_name_plural = _("expansion goals")

    def __str__(self) -> str:
        return f"{self.market_id}: {self.target_store_count} stores by {self.target_date}"


class PlannedOpening(models.Model):
    class Stage(models.TextChoices):
        SCOUTING = "scouting", _("Scouting")
        SIGNED = "signed", _("Lease signed")
        FITTING_OUT = "fitting_out", _("Fitting out")
        OPENED = "opened", _("Opened")
        DROPPED = "dropped", _("Dropped")

    market = models.ForeignKey("regions.Market", on_delete=models.PROTECT, verbose_name=_("market"))
    city = models.CharField(_("city"), max_length=64)
    name = models.CharField(_("name"), max_length=128)
    target_date = models.DateField(_("target date"))
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.SCOUTING)
    store = models.OneToOneField(
        Store, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("store")
    )

    class Meta:
        verbose_name = _("planned opening")
        verbose_name_plural = _("planned openings")

    def __str__(self) -> str:
        return f"{self.name} ({self.stage}, {self.target_date})"
