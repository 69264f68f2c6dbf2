"""The back office (Django admin) for every role whose daily work is there, not only ``is_staff``.

Staff keep the whole admin. Supply planners, merchandisers and claims handlers (``ADMIN_GROUPS``)
open it too, and Django's model permissions, granted to their group by
``accounts.services.add_to_group``, decide which models each sees and may add: a supply planner
sees stock and purchase orders, not the ledger. Anyone else signed in gets a 403, never a second
sign-in form; sign-in is the web store's (``/account/login/``) or this one, for the same people.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from millet.accounts.actor import actor_for_user


def may_use_back_office(user) -> bool:
    """Active staff, or an active member of one of the back-office roles of ``ADMIN_GROUPS``."""
    if not (user.is_active and user.is_authenticated):
        return False
    return user.is_staff or actor_for_user(user).uses_back_office


class BackOfficeAuthenticationForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user) -> None:
        if not may_use_back_office(user):
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class BackOfficeSite(admin.AdminSite):
    site_header = _("Millet back office")
    site_title = "Millet"
    login_form = BackOfficeAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        return may_use_back_office(request.user)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """A signed-in person whose roles have no back office is refused (403), not asked to sign in
        again as someone else."""
        if request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied("the back office is for staff and back-office roles")
        return super().login(request, extra_context)
