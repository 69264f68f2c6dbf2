"""Back office for insights: exchange rates are entered here (there is no feed) and goals are set and
corrected here, both checked by the same service rules as the API; rollups are read-only (they
change only through the catch-up and the rebuild)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from millet.core.admin import KeptOnceMade, ReadOnlyAdmin
from millet.core.form_errors import refusal_on_form
from millet.insights import services as insights
from millet.insights.models import ExchangeRate, Goal, Rollup

# A rate's and a goal's refusals on their forms, in the staff member's language.
RATE_REFUSALS = {
    "unknown_currency": _("No rate can be set for %(currency)s: it is unknown, or the reporting currency."),
    "invalid_rate": _("A rate is a positive number below 10,000,000,000 with at most 10 decimal places."),
}
GOAL_REFUSALS = {
    "invalid_goal": _(
        "A goal needs a title, a target above 0 with at most 2 decimal places, "
        "and a due date after its start."
    ),
    "unknown_currency": _("A count goal has no currency, and a money goal's currency must be known."),
    "invalid_scope": _("The scope does not name anything this metric can be measured for."),
    "unknown_metric": _("There is no such metric."),
}


class ExchangeRateForm(KeptOnceMade):
    """A rate checked by ``check_rate``, as ``set_rate``'s is; a made rate keeps its currency, the
    unit its number is in (moved to another currency, 0.1 yuan per rupee would price every euro of
    the period at 0.1 yuan), as ``set_rate`` never moves one."""

    KEPT = ("currency",)

    class Meta:
        model = ExchangeRate
        fields = ("currency", "valid_from", "rate", "note")

    def clean(self):
        data = super().clean()
        if "currency" in data and "rate" in data:
            with refusal_on_form(RATE_REFUSALS, otherwise=_("This rate was refused.")):
                insights.check_rate(data["currency"], data["rate"])
        return data


class GoalForm(forms.ModelForm):
    class Meta:
        model = Goal
        fields = ("title", "metric", "scope_kind", "scope_value", "target", "currency", "starts_on", "due_on")
        fields += ("owner", "source")

    def clean(self):
        data = super().clean()
        names = ("title", "metric", "scope_kind", "scope_value", "target", "starts_on", "due_on", "currency")
        if all(name in data for name in names):
            with refusal_on_form(GOAL_REFUSALS, otherwise=_("This goal was refused.")):
                data["currency"] = insights.check_goal(**{name: data[name] for name in names})
        return data


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    form = ExchangeRateForm
    list_display = ("currency", "valid_from", "rate", "note", "created_at")
    list_filter = ("currency",)
    date_hierarchy = "valid_from"


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    form = GoalForm
    list_display = (
        "title",
        "metric",
        "scope_kind",
        "scope_value",
        "target",
        "currency",
        "starts_on",
        "due_on",
    )
    list_filter = ("metric", "scope_kind")
    search_fields = ("title",)
    raw_id_fields = ("owner",)


@admin.register(Rollup)
class RollupAdmin(ReadOnlyAdmin):
    list_display = ("series", "scope", "day", "amount", "currency")
    list_filter = ("series",)
    search_fields = ("scope",)
    date_hierarchy = "day"
