"""The drill-down's question: which metric, broken down by what, over which days."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from millet.core.errors import Unprocessable
from millet.core.refusals import GENERAL
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

# Django merges every domain's catalog into one, so a word that means another thing elsewhere
# takes a context: "Store" alone is the web store in the menu (商城), here a Mi Home store (门店).
STORE_LABEL = pgettext_lazy("breakdown by", "Store")

BY_CHOICES = (
    (MARKET, _("Market")),
    (CHANNEL, _("Channel")),
    (STORE, STORE_LABEL),
    (PRODUCT_LINE, _("Product line")),
    (CAMPAIGN, pgettext_lazy("breakdown by", "Flash sale")),
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
        # Bound only by a question: a link's other parameters (``format=csv`` on the default view's
        # CSV link, a campaign tag) ask nothing, so the defaults answer.
        asked = data is not None and any(name in data for name in self.base_fields)
        super().__init__(data if asked else None, initial=initial)
        self.fields["metric"].choices = [(m.key, m.label) for m in METRICS.values() if len(m.scopes) > 1]
        if stores_only:
            self.fields["by"].choices = [(STORE, STORE_LABEL)]
            self.fields["metric"].choices = [(m.key, m.label) for m in METRICS.values() if STORE in m.scopes]

    def refuse(self, exc: Unprocessable) -> None:
        """Put the service's refusal of the question (``drill_down``'s ``invalid_period`` or
        ``invalid_breakdown``; the rules are the service's alone) on the field it concerns, in the
        page's language: the service words it in English for the API."""
        if exc.code == "invalid_period":
            self.add_error("end", _("The end must be on or after the start, and at most ten years later."))
        elif exc.code == "invalid_breakdown":
            data = self.cleaned_data
            names = {"metric": METRICS[data["metric"]].label, "by": dict(BY_CHOICES)[data["by"]]}
            self.add_error("by", _("%(metric)s has no breakdown by “%(by)s”.") % names)
        else:  # a refusal the form's own choices leave no way to: said in general words, not English
            self.add_error(None, GENERAL)

    def question(self) -> dict:
        """The cleaned question, or the defaults when nothing was asked."""
        if self.is_bound:
            return self.cleaned_data
        return {name: self.initial[name] for name in self.fields}
