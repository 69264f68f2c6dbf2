"""The regions domain's service API: what routes, admin, commands and other domains may call."""

from millet.regions.services.defaults import ensure_default_markets
from millet.regions.services.markets import (
    MarketInfo,
    TaxBreakdown,
    clear_caches,
    define_currency,
    define_market,
    define_tax_rule,
    get_market,
    is_inter_state,
    list_markets,
    tax_breakdown,
    untaxed_markets,
)
from millet.regions.subdivisions import check_state

__all__ = [
    "check_state",
    "ensure_default_markets",
    "MarketInfo",
    "TaxBreakdown",
    "clear_caches",
    "define_currency",
    "define_market",
    "define_tax_rule",
    "get_market",
    "is_inter_state",
    "list_markets",
    "tax_breakdown",
    "untaxed_markets",
]
