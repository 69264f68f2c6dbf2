"""tax_breakdown against an independent exact computation with fractions."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from millet.core.errors import NotFound
from millet.regions.services import define_currency, define_market, define_tax_rule, tax_breakdown

# The markets fixture only creates rows every example reads and none changes.
RATES = {"CN": Fraction(13, 100), "IN": Fraction(18, 100), "DE": Fraction(19, 100)}
cents = st.integers(min_value=1, max_value=99_999_999_999)


def half_up(value: Fraction) -> int:
    """Round half away from zero for non-negative values, the invoice convention."""
    return int(value + Fraction(1, 2))


def money(minor: int) -> Decimal:
    return Decimal(minor).scaleb(-2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gross=cents, market=st.sampled_from(sorted(RATES)))
def test_inclusive_tax_is_the_rounded_exact_share(markets, gross, market):
    rate = RATES[market]
    result = tax_breakdown(market, "electronics", money(gross))
    assert result.tax == money(half_up(gross * rate / (1 + rate)))
    assert result.net + result.tax == money(gross)
    assert sum(result.components.values()) == result.tax


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gross=cents)
def test_gst_splits_into_cgst_and_sgst_that_sum_exactly(markets, gross):
    result = tax_breakdown("IN", "electronics", money(gross))
    assert set(result.components) == {"CGST", "SGST"}
    tax_minor = int(result.tax.scaleb(2))
    assert result.components["CGST"] == money(half_up(Fraction(tax_minor, 2)))
    assert result.components["CGST"] + result.components["SGST"] == result.tax
    assert 0 <= result.components["CGST"] - result.components["SGST"] <= Decimal("0.01")


@pytest.mark.parametrize(
    ("gross", "tax", "cgst", "sgst"),
    [
        ("118.00", "18.00", "9.00", "9.00"),
        ("19999.00", "3050.69", "1525.35", "1525.34"),
        ("0.07", "0.01", "0.01", "0.00"),  # CGST takes the half paisa: half-up, not half-even
    ],
)
def test_gst_examples(markets, gross, tax, cgst, sgst):
    result = tax_breakdown("IN", "electronics", Decimal(gross))
    assert (result.name, result.tax, result.net) == ("GST", Decimal(tax), Decimal(gross) - Decimal(tax))
    assert result.components == {"CGST": Decimal(cgst), "SGST": Decimal(sgst)}


def test_vat_names_its_only_component(markets):
    result = tax_breakdown("DE", "electronics", Decimal("119.00"))
    assert (result.tax, result.net, result.components) == (
        Decimal("19.00"),
        Decimal("100.00"),
        {"VAT": Decimal("19.00")},
    )


def test_net_quoting_market_adds_tax_rounding_half_up(db):
    define_currency("USD", "US dollar", symbol="$")
    define_market(
        "US",
        "United States",
        currency="USD",
        languages=["en"],
        time_zone="America/New_York",
        prices_include_tax=False,
    )
    define_tax_rule("US", "electronics", "Sales tax", Decimal("0.05"))
    result = tax_breakdown("US", "electronics", Decimal("0.10"))
    assert (result.net, result.tax) == (Decimal("0.10"), Decimal("0.01"))  # 0.005 rounds up


def test_unknown_tax_class_without_standard_rule_is_untaxed(markets):
    result = tax_breakdown("CN", "services", Decimal("10.00"))
    assert (result.tax, result.net, result.components) == (Decimal("0"), Decimal("10.00"), {})


def test_standard_rule_covers_classes_without_their_own(markets):
    define_tax_rule("CN", "standard", "VAT", Decimal("0.06"))
    assert tax_breakdown("CN", "services", Decimal("106.00")).tax == Decimal("6.00")


def test_unknown_market_is_not_found(markets):
    with pytest.raises(NotFound) as exc:
        tax_breakdown("FR", "electronics", Decimal("1.00"))
    assert exc.value.code == "unknown_market"
