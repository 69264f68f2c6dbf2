"""Admin building blocks shared by the domains: read-only admins for rows that change only through
their services, and a form for rows whose identifying facts are kept once made."""

from __future__ import annotations

from django import forms
from django.contrib import admin


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
