"""The drill-down's question: which metric, broken down by what, over which days."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from millet.insights.metrics import (
    BATCH,
    CAMPAIGN,
    CHANNEL,
    FIRMWARE,
    MARKET,
    METRICS,
    MODEL,
    PRODUCT_LINE,
    STORE,
)

BY_CHOICES = (
    (MARKET, _("Market")),
    (CHANNEL, _("Channel")),
    (STORE, _("Store")),
    (PRODUCT_LINE, _("Product line")),
    (CAMPAIGN, _("Flash sale")),
    (MODEL, _("Device model")),
    (FIRMWARE, _("Firmware")),
    (BATCH, _("Production batch")),
)
DEFAULT_DAYS = 30


class DrillDownForm(forms.Form):
    metric = forms.ChoiceField(label=_("Metric"), choices=())
    by = forms.ChoiceField(label=_("By"), choices=BY_CHOICES)
    # ISO dates whatever the page's language: a date input shows nothing for any other format.
    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    end = forms.DateField(label=_("To"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))

    def __init__(self, data=None, *, stores_only: bool = False) -> None:
        today = timezone.now().date()
        initial = {"metric": "revenue", "by": STORE if stores_only else MARKET}
        initial |= {"start": today - timedelta(days=DEFAULT_DAYS - 1), "end": today}
        super().__init__(data if data else None, initial=initial)
        self.fields["metric"].choices = [(m.key, m.label) for m in METRICS.values() if len(m.scopes) > 1]
        if stores_only:
            self.fields["by"].choices = [(STORE, _("Store"))]
            self.fields["metric"].choices = [(m.key, m.label) for m in METRICS.values() if STORE in m.scopes]

    def question(self) -> dict:
        """The cleaned question, or the defaults when nothing was asked."""
        if self.is_bound:
            return self.cleaned_data
        return {name: self.initial[name] for name in self.fields}
