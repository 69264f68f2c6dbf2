"""Markets, their currencies and tax rules: the facts every price and every ledger amount depends on."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from millet.regions.rules import (
    Problem,
    currency_problems,
    market_code_problems,
    market_problems,
    tax_rule_problems,
)


class Currency(models.Model):
    """ISO 4217 currency; ``exponent`` is the number of minor-unit digits the ledger stores."""

    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    exponent = models.PositiveSmallIntegerField(_("exponent"), default=2, validators=[MaxValueValidator(4)])
    symbol = models.CharField(_("symbol"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("currency")
        verbose_name_plural = _("currencies")

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        if self.exponent is None:
            return  # the field's own validation reports it
        problems = currency_problems(self.code, self.exponent)
        if problems:
            raise ValidationError([problem.error() for problem in problems])


class Market(models.Model):
    """A country the company sells in: one currency, its languages and time zone."""

    code = models.CharField(_("code"), max_length=2, primary_key=True, help_text=_("ISO 3166-1 alpha-2"))
    name = models.CharField(_("name"), max_length=64)
    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="markets", verbose_name=_("currency")
    )
    languages = models.JSONField(
        _("languages"),
        default=list,
        help_text=_('Django language codes, first is default, e.g. ["hi", "en"]'),
    )
    time_zone = models.CharField(_("time zone"), max_length=64)
    prices_include_tax = models.BooleanField(_("prices include tax"), default=True)

    class Meta:
        verbose_name = _("market")
        verbose_name_plural = _("markets")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        problems = market_code_problems(self.code) + market_problems(self.languages, self.time_zone)
        if problems:
            raise ValidationError([problem.error() for problem in problems])


class TaxRule(models.Model):
    """Rate for one tax class in one market. ``components`` splits it within a state (India: CGST +
    SGST); ``inter_state_components`` splits it when the supplier's state and the place of supply
    differ (India: IGST). Each component is computed at its own rate (see ``tax_breakdown``)."""

    market = models.ForeignKey(
        Market, on_delete=models.CASCADE, related_name="tax_rules", verbose_name=_("market")
    )
    tax_class = models.CharField(
        _("tax class"), max_length=32, help_text=_("e.g. standard, electronics, services")
    )
    name = models.CharField(_("name"), max_length=32, help_text=_("VAT, GST, ..."))
    rate = models.DecimalField(
        _("rate"),
        max_digits=6,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    components = models.JSONField(
        _("components"), default=dict, blank=True, help_text=_('e.g. {"CGST": "0.09", "SGST": "0.09"}')
    )
    inter_state_components = models.JSONField(
        _("inter-state components"),
        default=dict,
        blank=True,
        help_text=_(
            'For an inter-state supply, e.g. {"IGST": "0.18"}; empty: the same split as within a state'
        ),
    )

    class Meta:
        verbose_name = _("tax rule")
        verbose_name_plural = _("tax rules")
        constraints = [models.UniqueConstraint(fields=["market", "tax_class"], name="one_tax_rule_per_class")]

    def __str__(self) -> str:
        return f"{self.market_id} {self.name} {self.tax_class} {self.rate:%}"

    def clean(self) -> None:
        if self.rate is None:
            return  # the field's own validation reports it
        errors = {}
        for name, example in (
            ("components", '{"CGST": "0.09", "SGST": "0.09"}'),
            ("inter_state_components", '{"IGST": "0.18"}'),
        ):
            value = getattr(self, name)
            problems = tax_rule_problems(self.rate, value if isinstance(value, dict) else {})
            if not isinstance(value, dict):
                problems.append(
                    Problem(gettext_noop("must be an object like %(example)s"), {"example": example})
                )
            if problems:
                errors[name] = [problem.error() for problem in problems]
        if errors:
            raise ValidationError(errors)
