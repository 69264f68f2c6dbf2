"""Back office for lending. Products are edited here; everything with money behind it (applications,
loans, schedules, events) is read-only, because it changes only through the lending services and
the ledger, and nobody edits a posted transfer. Models are approved with an action, which goes
through the registry service so the previous version is retired in the same step."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from millet.accounts.actor import request_actor
from millet.core.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from millet.core.errors import DomainError
from millet.core.form_errors import refusal_on_form
from millet.core.refusals import refusal_words
from millet.lending import services as lending
from millet.lending.models import Application, CreditModel, Installment, Loan, LoanEvent, LoanProduct

# A loan product's refusals on its form, in the staff member's language.
PRODUCT_REFUSALS = {
    "invalid_apr": gettext_lazy("The APR is a decimal from 0 to %(most)s."),
    "invalid_terms": gettext_lazy("Terms are whole months from 1 to %(most)s."),
    "invalid_amount_range": gettext_lazy("The largest amount is below the smallest."),
    "invalid_grace_days": gettext_lazy("The grace days are from %(least)s to %(most)s."),
    "invalid_charge_off_days": gettext_lazy("The days before charge-off are from %(least)s to %(most)s."),
}


class LoanProductForm(forms.ModelForm):
    """The product's terms checked by ``lending.check_product``, as the API's are: no APR above the
    cap, no term or day count out of range, no negative fee, no currency the platform lacks."""

    class Meta:
        model = LoanProduct
        fields = (
            "code",
            "name",
            "currency",
            "apr",
            "terms",
            "late_fee",
            "grace_days",
            "charge_off_days",
            "min_amount",
            "max_amount",
            "is_active",
        )

    def clean(self) -> dict:
        data = super().clean()
        names = ("apr", "terms", "late_fee", "min_amount", "max_amount")
        if any(name in self.errors for name in (*names, "currency", "grace_days", "charge_off_days")):
            return data
        with refusal_on_form(PRODUCT_REFUSALS, otherwise=gettext_lazy("This loan product was refused.")):
            terms, fee, low, high = lending.check_product(
                currency=data.get("currency", self.instance.currency),  # read-only once it has lent
                **{name: data.get(name) for name in names},
                grace_days=data.get("grace_days"),
                charge_off_days=data.get("charge_off_days"),
            )
        data.update(terms=terms, late_fee=fee, min_amount=low, max_amount=high)
        return data


@admin.register(LoanProduct)
class LoanProductAdmin(admin.ModelAdmin):
    form = LoanProductForm
    list_display = (
        "code",
        "name",
        "currency",
        "apr",
        "terms",
        "late_fee",
        "min_amount",
        "max_amount",
        "is_active",
    )
    list_filter = ("currency", "is_active")
    search_fields = ("code", "name")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # loans refer to their product; retire it with is_active instead

    def get_readonly_fields(self, request, obj=None) -> tuple[str, ...]:
        """A product that has lent keeps its currency: its late fee is booked in its loans' currency."""
        if obj is not None and Loan.objects.filter(product=obj).exists():
            return ("currency",)
        return ()


# Why a version was not approved, as the admin says it: it was deleted meanwhile.
APPROVE_REFUSALS = {"unknown_model": gettext_lazy("This version no longer exists.")}


@admin.register(CreditModel)
class CreditModelAdmin(ReadOnlyAdmin):
    list_display = ("version", "status", "metrics", "registered_at", "approved_at", "approved_by")
    list_filter = ("status",)
    exclude = ("artifact",)  # thousands of lines of bins; the API and the file hold it
    actions = ["approve"]

    @admin.action(description=gettext_lazy("Approve this version (retires the approved one)"))
    def approve(self, request, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one version."), level=messages.ERROR)
            return
        try:
            model = lending.approve_model(request_actor(request), queryset.get().version)
        except DomainError as exc:
            self.message_user(request, refusal_words(exc, APPROVE_REFUSALS), level=messages.ERROR)
            return
        self.message_user(request, _("%(version)s is now approved.") % {"version": model.version})


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "customer",
        "order",
        "product",
        "term_months",
        "amount",
        "status",
        "outcome",
        "probability_of_default",
        "points",
        "created_at",
    )
    list_filter = ("status", "outcome", "product", "model")
    search_fields = ("number", "order__number", "customer__username")
    date_hierarchy = "created_at"
    list_select_related = ("customer", "order", "product")


class InstallmentInline(ReadOnlyTabularInline):
    model = Installment
    fields = (
        "seq",
        "due_date",
        "principal_due_minor",
        "interest_due_minor",
        "principal_paid_minor",
        "interest_paid_minor",
        "late_fee_charged",
    )


class LoanEventInline(ReadOnlyTabularInline):
    model = LoanEvent
    fields = (
        "kind",
        "key",
        "amount_minor",
        "principal_minor",
        "interest_minor",
        "fee_minor",
        "surplus_minor",
        "on_date",
    )


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "customer",
        "order_number",
        "currency",
        "principal_minor",
        "outstanding_principal_minor",
        "status",
        "bucket",
        "days_past_due",
    )
    list_filter = ("status", "bucket", "currency", "product", "defaulted")
    search_fields = ("number", "order_number", "customer__username")
    list_select_related = ("customer",)
    inlines = [InstallmentInline, LoanEventInline]
