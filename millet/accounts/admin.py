"""Back office for API tokens. A token is shown by its prefix only; the stored hash is useless to a
reader but still never displayed. Tokens are issued by ``issue_token`` (the raw value exists only
then), so the admin cannot add or edit them: it can only revoke, which deletes the row."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from millet.accounts import services
from millet.accounts.models import ApiToken
from millet.core.admin import ReadOnlyAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at")
    search_fields = ("user__username", "prefix")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    exclude = ("key_hash",)
    actions = ["revoke_tokens"]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.delete_apitoken")

    @admin.action(description=_("Revoke selected tokens"), permissions=["revoke"])
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = services.revoke_tokens(list(queryset.values_list("pk", flat=True)))
        words = ngettext("Revoked %(count)d token.", "Revoked %(count)d tokens.", revoked)
        self.message_user(request, words % {"count": revoked}, messages.SUCCESS)
