"""Back office for markets and their tax rules; model ``clean`` methods refuse inconsistent facts. A
made row keeps the facts stored data is read by, as ``define_currency`` and ``define_market`` do: a
currency its code and exponent (the ledger's minor units), a market its code and currency (every
amount sold in it), a tax rule its market and tax class (products name their class)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from millet.core.admin import KeptOnceMade
from millet.regions.models import Currency, Market, TaxRule


class CurrencyForm(KeptOnceMade):
    KEPT = ("code", "exponent")


@admin.register(Currency)
class CurrencyAdmin(admin.ModelAdmin):
    form = CurrencyForm
    list_display = ("code", "name", "symbol", "exponent")
    search_fields = ("code", "name")
    list_filter = ("exponent",)


class TaxRuleForm(KeptOnceMade):
    """A made rule stays its market's rule for its class: moved or renamed, the products of that class
    would be taxed by the standard rule, or not at all, and another market by this rate."""

    KEPT = ("market", "tax_class")


class TaxRuleInline(admin.TabularInline):
    model = TaxRule
    form = TaxRuleForm
    extra = 0


class MarketForm(KeptOnceMade):
    KEPT = ("code", "currency", "prices_include_tax")  # define_market's rule: prices are stored by them


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin):
    form = MarketForm
    list_display = ("code", "name", "currency", "language_list", "time_zone", "prices_include_tax")
    list_filter = ("currency", "prices_include_tax")
    search_fields = ("code", "name")
    inlines = [TaxRuleInline]

    @admin.display(description=_("Languages"))
    def language_list(self, market: Market) -> str:
        return ", ".join(market.languages)


@admin.register(TaxRule)
class TaxRuleAdmin(admin.ModelAdmin):
    form = TaxRuleForm
    list_display = ("market", "tax_class", "name", "rate", "components", "inter_state_components")
    list_filter = ("market", "tax_class", "name")
    search_fields = ("market__code", "market__name", "tax_class", "name")
