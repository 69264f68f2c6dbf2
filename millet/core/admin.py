"""Admin building blocks shared by every domain whose rows change only through its services."""

from __future__ import annotations

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
