"""The back office (Django admin) for every role whose daily work is there, not only ``is_staff``.

Staff keep the whole admin. Supply planners, merchandisers and claims handlers (``ADMIN_GROUPS``)
open it too, and Django's model permissions, granted to their group by
``accounts.services.add_to_group``, decide which models each sees and may add: a supply planner
sees stock and purchase orders, not the ledger. Anyone else signed in gets a 403, never a second
sign-in form; sign-in is the web store's (``/account/login/``) or this one, for the same people.

Rows that only a domain's verb may create are added through a ``ServiceForm`` on a
``ServiceAddAdmin`` (campaigns, purchase orders, stores, firmware, rollouts).
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from millet.accounts.actor import actor_for_user, request_actor
from millet.core.admin import ReadOnlyAdmin, with_typed_numbers
from millet.core.form_errors import REFUSED, refusal_on_form


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

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        """Every admin, with its number fields read by the one rule (``core.admin.with_typed_numbers``)."""
        super().register(model_or_iterable, with_typed_numbers(admin_class or admin.ModelAdmin), **options)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """A signed-in person whose roles have no back office is refused (403), not asked to sign in
        again as someone else."""
        if request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied("the back office is for staff and back-office roles")
        return super().login(request, extra_context)


class ServiceForm(forms.Form):
    """The add form of a row that only a domain's verb may create (issue 11: the back office creates
    campaigns, purchase orders, stores, firmware and rollouts through the services).

    A subclass declares its fields and ``create(actor, data)``, which calls the verb and returns the
    row. ``clean`` calls it once the fields are valid, inside the admin's transaction, so the verb's
    own checks hold and its refusal (a ``DomainError``) is shown on the form, never half-saved.
    The refusal is said in the staff member's language: the subclass's ``REFUSALS`` (the verb's
    codes to sentences, naming the refusal's facts) or its ``REFUSED`` sentence naming the row.
    """

    actor = None  # set per request by ServiceAddAdmin.get_form
    REFUSALS: Mapping[str, object] = {}
    REFUSED: object = REFUSED

    def __init__(self, *args, instance=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance = instance  # the admin's add view passes None and reads it back after clean

    def create(self, actor, data: dict):
        raise NotImplementedError

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors:
            with refusal_on_form(self.REFUSALS, otherwise=self.REFUSED):
                self.instance = self.create(self.actor, data)
        return data


class ServiceAddMixin:
    """A ModelAdmin whose add view makes the row through a ``ServiceForm`` (``add_form``); its change
    view, if the admin has one, stays the admin's own."""

    add_form: type[ServiceForm]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            actor = request_actor(request)
            kwargs["form"] = type(self.add_form.__name__, (self.add_form,), {"actor": actor})
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return list(self.add_form.base_fields) if obj is None else super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else super().get_readonly_fields(request, obj)

    def get_inlines(self, request, obj):
        return [] if obj is None else super().get_inlines(request, obj)

    def save_form(self, request, form, change):
        return super().save_form(request, form, change) if change else form.instance  # the verb made it

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        if change:
            super().save_related(request, form, formsets, change)


class ServiceAddAdmin(ServiceAddMixin, ReadOnlyAdmin):
    """Read-only rows that the back office may add through a ``ServiceForm``, for whoever holds the
    model's Django ``add`` permission (and the verb's own role, which the verb checks)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return admin.ModelAdmin.has_add_permission(self, request)  # Django's, not ReadOnlyAdmin's


def service_form_page(modeladmin, request, obj, form_class: type[ServiceForm], title) -> HttpResponse:
    """An admin page with one ``ServiceForm`` that acts on ``obj`` (an order's fulfilment, a return):
    shown to whoever may view ``obj``; on success, a message and back to ``obj``'s page; the verb's
    refusal stays on the form (422)."""
    if not modeladmin.has_view_permission(request, obj):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, instance=obj)
        form.actor = request_actor(request)
        if form.is_valid():
            modeladmin.message_user(request, gettext("Done: %(title)s") % {"title": title}, messages.SUCCESS)
            opts = modeladmin.model._meta
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", obj.pk)
        status = 422
    else:
        form = form_class(instance=obj)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "subtitle": str(obj),
        "opts": modeladmin.model._meta,
        "original": obj,
        "form": form,
    }
    return TemplateResponse(request, "admin/service_form.html", context, status=status)
