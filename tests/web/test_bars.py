"""The pages' one bar-length rule (``millet.web.bars``), shared by the store dashboard and the credit
monitoring chart: per-mille of the track, half up, money in Decimal and shares as they print."""

from __future__ import annotations

from decimal import Decimal

from millet.web.bars import SCALE, scaled


def test_a_length_is_per_mille_of_the_largest_figure_rounded_half_up():
    assert scaled(Decimal("40.00"), Decimal("100.00")) == 400
    assert scaled(Decimal("1"), Decimal("2000")) == 1  # 0.5 per-mille rounds up, not to even
    assert scaled(Decimal("100"), Decimal("100")) == SCALE
    assert scaled(Decimal("5"), Decimal("10"), length=10) == 5


def test_shares_scale_as_they_print_and_an_empty_chart_draws_nothing():
    assert scaled(0.25, 0.5) == 500
    assert scaled(0.1, 0.3) == 333
    assert scaled(Decimal("7"), Decimal(0)) == 0 and scaled(0.2, 0.0) == 0
