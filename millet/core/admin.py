"""Admin building blocks shared by the domains: read-only admins for rows that change only through
their services, a form for rows whose identifying facts are kept once made, and the one rule for a
number typed into any admin page."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models

from millet.core.typed_numbers import DecimalNumberField, WholeNumberField

# Each model field class the admin draws a number input for (its defaults name BigIntegerField
# apart from IntegerField, and the first class of a field's MRO found here wins).
TYPED_NUMBER_FIELDS = {
    models.IntegerField: {"form_class": WholeNumberField, "widget": WholeNumberField.widget},
    models.BigIntegerField: {"form_class": WholeNumberField, "widget": WholeNumberField.widget},
    models.DecimalField: {"form_class": DecimalNumberField, "widget": DecimalNumberField.widget},
}


def with_typed_numbers(admin_class: type) -> type:
    """``admin_class`` (a ModelAdmin or an inline) whose number fields read what is typed by
    ``core.typed_numbers``' rule, as every other page does, and its inlines alike. The back office
    site registers every admin through it, so no admin page can follow another rule by forgetting."""
    attrs: dict = {
        "__module__": admin_class.__module__,
        "formfield_overrides": {**TYPED_NUMBER_FIELDS, **admin_class.formfield_overrides},
    }
    if issubclass(admin_class, admin.ModelAdmin):
        attrs["inlines"] = [with_typed_numbers(inline) for inline in admin_class.inlines]
    return type(admin_class.__name__, (admin_class,), attrs)


class _LookOnly:
    """For rows that services keep consistent with others (balances, stock, orders): a hand edit in the
    back office would silently break those equations, so the admin may only look."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(_LookOnly, admin.ModelAdmin):
    pass


class ReadOnlyTabularInline(_LookOnly, admin.TabularInline):
    """Child rows of a read-only parent: shown on its page, never added, edited or removed there."""

    extra = 0
    can_delete = False


class KeptOnceMade(forms.ModelForm):
    """A form whose ``KEPT`` fields are shown but not editable once its row exists: per row, as an
    inline's rows need (an admin's read-only fields are one set for the whole page). For the facts
    stored data is read by (a code others keep, the currency amounts are in): changed in place, every
    row that names or counts on them would be orphaned or misread."""

    KEPT: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:  # documented by Django; a code primary key is "" when new
            for name in self.KEPT:
                if name in self.fields:
                    self.fields[name].disabled = True
