"""Back office for the catalog. A device model's spec is validated in ``DeviceModel.clean``, so the
admin form lists every spec problem (path and reason) on the spec field instead of saving it.
A product's name and description have a field per language (django-modeltranslation's admin, without
its tabs, which load jQuery UI from a CDN), and its photo is uploaded here (``catalog.images``)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from millet.catalog.models import DeviceModel, Price, PriceList, Product, Sku


@admin.register(DeviceModel)
class DeviceModelAdmin(admin.ModelAdmin):
    list_display = ("urn", "name", "service_count", "product_count")
    search_fields = ("urn", "name")

    def get_queryset(self, request) -> QuerySet[DeviceModel]:
        return super().get_queryset(request).annotate(n_products=Count("products"))

    @admin.display(description=_("Services"))
    def service_count(self, model: DeviceModel) -> int:
        return len(model.spec.get("services", [])) if isinstance(model.spec, dict) else 0

    @admin.display(description=_("Products"), ordering="n_products")
    def product_count(self, model: DeviceModel) -> int:
        return model.n_products


class SkuInline(admin.TabularInline):
    model = Sku
    extra = 0
    fields = ("code", "name", "attributes", "serialized", "allow_backorder", "is_active")
    show_change_link = True


@admin.register(Product)
class ProductAdmin(TranslationAdmin):
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


class PriceInline(admin.TabularInline):
    model = Price
    extra = 0
    autocomplete_fields = ("sku",)


@admin.register(Sku)
class SkuAdmin(admin.ModelAdmin):
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


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
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
