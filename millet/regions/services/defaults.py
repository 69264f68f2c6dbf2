"""The markets the demo and the tests start from: China, India and Germany, as sold to in 2017."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from millet.regions.services.markets import define_currency, define_market, define_tax_rule


@transaction.atomic
def ensure_default_markets() -> None:
    """Create or restore CN, IN and DE with their currencies and electronics tax; safe to call again."""
    define_currency("CNY", "Chinese yuan", symbol="¥")
    define_currency("INR", "Indian rupee", symbol="₹")
    define_currency("EUR", "Euro", symbol="€")
    define_market("CN", "China", currency="CNY", languages=["zh-hans", "en"], time_zone="Asia/Shanghai")
    define_market("IN", "India", currency="INR", languages=["hi", "en"], time_zone="Asia/Kolkata")
    define_market("DE", "Germany", currency="EUR", languages=["de", "en"], time_zone="Europe/Berlin")
    define_tax_rule("CN", "electronics", "VAT", Decimal("0.13"))
    # Within a state: half to the centre (CGST), half to the state (SGST); between states: IGST.
    define_tax_rule(
        "IN",
        "electronics",
        "GST",
        Decimal("0.18"),
        {"CGST": Decimal("0.09"), "SGST": Decimal("0.09")},
        inter_state_components={"IGST": Decimal("0.18")},
    )
    define_tax_rule("DE", "electronics", "VAT", Decimal("0.19"))
