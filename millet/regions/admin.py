"""Back office for markets and their tax rules; model ``clean`` methods refuse inconsistent facts."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from millet.regions.models import Currency, Market, TaxRule


@admin.register(Currency)
class CurrencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "symbol", "exponent")
    search_fields = ("code", "name")
    list_filter = ("exponent",)


class TaxRuleInline(admin.TabularInline):
    model = TaxRule
    extra = 0


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "currency", "language_list", "time_zone", "prices_include_tax")
    list_filter = ("currency", "prices_include_tax")
    search_fields = ("code", "name")
    inlines = [TaxRuleInline]

    @admin.display(description=_("Languages"))
    def language_list(self, market: Market) -> str:
        return ", ".join(market.languages)


@admin.register(TaxRule)
class TaxRuleAdmin(admin.ModelAdmin):
    list_display = ("market", "tax_class", "name", "rate", "components", "inter_state_components")
    list_filter = ("market", "tax_class", "name")
    search_fields = ("market__code", "market__name", "tax_class", "name")
