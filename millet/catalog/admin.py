"""Back office for the catalog. A device model's spec is validated in ``DeviceModel.clean``, so the
admin form lists every spec problem (path and reason) on the spec field instead of saving it; its
labels in each language are checked against that spec by ``check_spec_labels``.
A product's name and description have a field per language (django-modeltranslation's admin, without
its tabs, which load jQuery UI from a CDN), and its photo is uploaded here (``catalog.images``)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin
from modeltranslation.utils import build_localized_fieldname

from millet.catalog import services
from millet.catalog.models import DeviceModel, Price, PriceList, Product, Sku
from millet.core.admin import KeptOnceMade
from millet.core.form_errors import refusal_on_form

# A device model's labels, a column per language (the untranslated field would write whichever
# column the page's language picks).
LABEL_COLUMNS = tuple(
    build_localized_fieldname("spec_labels", lang) for lang in settings.MODELTRANSLATION_LANGUAGES
)

# The catalog's refusals on its forms, in the staff member's language (the service says them in
# English, for the API).
REFUSALS = {
    "invalid_label": _(
        'Labels are an object of English label to text, like {"Fan level": "风扇档位"}, '
        "each text 1 to %(limit)s characters."
    ),
    "unknown_label": _("The spec shows no label %(labels)s."),
    "invalid_spec": _("The spec itself is refused: correct it first."),
    "invalid_attributes": _(
        'Attributes are up to 20 pairs of short texts, like {"colour": "black"}: '
        "each name 1 to 32 characters, each value up to 64."
    ),
    "invalid_tax_class": _("A tax class is letters, digits, - or _, up to %(limit)s characters."),
    "unknown_tax_class": _(
        "The tax class %(tax_class)s has no tax rule, nor a standard one, in %(markets)s: "
        "the product would sell there with no tax."
    ),
}


class DeviceModelForm(forms.ModelForm):
    """Each language's labels checked by ``check_spec_labels`` against the spec on the form, as
    ``translate_device_model`` checks them: labels the page shows, each a short text."""

    def clean(self) -> dict:
        data = super().clean()
        for column in LABEL_COLUMNS:
            if data.get(column) is not None:
                with refusal_on_form(REFUSALS, self, column, otherwise=_("These labels were refused.")):
                    data[column] = services.check_spec_labels(data.get("spec"), data[column])
        return data


@admin.register(DeviceModel)
class DeviceModelAdmin(admin.ModelAdmin):
    form = DeviceModelForm
    fields = ("urn", "name", "spec", *LABEL_COLUMNS)
    list_display = ("urn", "name", "service_count", "product_count")
    search_fields = ("urn", "name")

    def get_readonly_fields(self, request, obj=None) -> tuple[str, ...]:
        """A made model keeps its URN, as ``update_device_model`` does: devices name their model by it."""
        return () if obj is None else ("urn",)

    def get_queryset(self, request) -> QuerySet[DeviceModel]:
        return super().get_queryset(request).annotate(n_products=Count("products"))

    @admin.display(description=_("Services"))
    def service_count(self, model: DeviceModel) -> int:
        return len(model.spec.get("services", [])) if isinstance(model.spec, dict) else 0

    @admin.display(description=_("Products"), ordering="n_products")
    def product_count(self, model: DeviceModel) -> int:
        return model.n_products


class SkuForm(KeptOnceMade):
    """A SKU's attributes checked by ``checked_attributes``, as ``create_sku``'s are; a made SKU keeps
    its code (for life: plans, documents and the API name it), its product and whether its units
    carry serial numbers (``update_sku`` changes none: inventory counts a serialized SKU by its
    units)."""

    KEPT = ("code", "product", "serialized")

    def clean_attributes(self) -> dict[str, str]:
        with refusal_on_form(REFUSALS):
            return services.checked_attributes(self.cleaned_data.get("attributes"))


class SkuInline(admin.TabularInline):
    model = Sku
    form = SkuForm
    extra = 0
    fields = ("code", "name", "attributes", "serialized", "allow_backorder", "is_active")
    show_change_link = True


class ProductForm(forms.ModelForm):
    """A product's tax class checked by ``check_tax_class``, as ``create_product``'s is (a class no
    market's rule taxes would sell untaxed); the class a made product has is kept as it is, as
    ``update_product`` keeps it."""

    def clean_tax_class(self) -> str:
        tax_class = self.cleaned_data["tax_class"]
        if self.instance.pk is not None and tax_class == self.instance.tax_class:
            return tax_class
        with refusal_on_form(REFUSALS):
            return services.check_tax_class(tax_class)


@admin.register(Product)
class ProductAdmin(TranslationAdmin):
    form = ProductForm
    list_display = ("name", "slug", "category", "tax_class", "device_model", "is_active")
    fields = (
        "slug",
        "name",
        "category",
        "description",
        "image",
        "drawing",
        "tax_class",
        "device_model",
        "is_active",
    )
    list_filter = ("category", "is_active", "tax_class", ("device_model", admin.EmptyFieldListFilter))
    search_fields = ("name", "slug", "description", "skus__code")
    prepopulated_fields = {"slug": ("name_en",)}
    autocomplete_fields = ("device_model",)
    inlines = [SkuInline]

    def get_readonly_fields(self, request, obj=None) -> tuple[str, ...]:
        """A made product keeps its slug, its identity (``update_product`` never changes it)."""
        return () if obj is None else ("slug",)

    def get_prepopulated_fields(self, request, obj=None) -> dict:
        return self.prepopulated_fields if obj is None else {}


def checked_amount(form: forms.ModelForm, market: str | None) -> None:
    """``set_price``'s rules on a price form: ``check_price`` on the amount, in ``market``'s currency
    (None: not known yet), and ``check_taxed_in`` on its SKU (a made price keeps its SKU)."""
    amount = form.cleaned_data.get("amount")
    if market is None or amount is None:
        return
    with refusal_on_form(REFUSALS, form, "amount"):
        form.cleaned_data["amount"] = services.check_price(market, amount)
    sku = form.cleaned_data.get("sku") or getattr(form.instance, "sku", None)
    if sku is not None:
        with refusal_on_form(REFUSALS, form, None, otherwise=_("This SKU cannot be priced in this market.")):
            services.check_taxed_in(market, sku)


class PriceForm(KeptOnceMade):
    """A price as ``set_price`` sets it: its amount checked by ``check_price`` in its list's market's
    currency; a made price stays on its list and SKU (moving it would reprice another SKU, or read
    its amount in another currency)."""

    KEPT = ("price_list", "sku")

    def clean(self) -> dict:
        data = super().clean()
        if "price_list" in self.fields:  # the price's own page; on its list's page the formset checks
            price_list = data.get("price_list")
            checked_amount(self, price_list.market_id if price_list is not None else None)
        return data


class PriceFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            if form.has_changed() and not self._should_delete_form(form):
                checked_amount(form, self.instance.market_id)


class PriceInline(admin.TabularInline):
    model = Price
    form = PriceForm
    formset = PriceFormSet
    extra = 0
    autocomplete_fields = ("sku",)


@admin.register(Sku)
class SkuAdmin(admin.ModelAdmin):
    form = SkuForm
    list_display = ("code", "name", "product", "serialized", "allow_backorder", "is_active")
    list_filter = ("is_active", "serialized", "allow_backorder", "product__category")
    search_fields = ("code", "name", "product__name")
    list_select_related = ("product",)
    autocomplete_fields = ("product",)


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = ("name", "market", "is_active")
    list_filter = ("market", "is_active")
    search_fields = ("name", "market__name", "market__code")
    inlines = [PriceInline]

    def get_readonly_fields(self, request, obj=None) -> tuple[str, ...]:
        """A list with prices keeps its market: its amounts are in that market's currency."""
        return ("market",) if obj is not None and obj.prices.exists() else ()


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    form = PriceForm
    list_display = ("sku", "market", "price", "price_list")
    list_filter = ("price_list__market", "price_list__is_active", "sku__product__category")
    search_fields = ("sku__code", "sku__name", "sku__product__name")
    list_select_related = ("sku", "price_list__market")
    autocomplete_fields = ("sku",)

    @admin.display(description=_("Price"), ordering="amount")
    def price(self, price: Price) -> str:
        return f"{price.amount} {price.price_list.market.currency_id}"

    @admin.display(description=_("Market"), ordering="price_list__market")
    def market(self, price: Price) -> str:
        return str(price.price_list.market)
