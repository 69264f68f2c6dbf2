"""The demo company's consumer credit: an approved scorecard and installment products per market,
so a newcomer's checkout can offer "pay in 3, 6 or 12 months" straight after the quick start."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from millet.accounts.actor import SYSTEM
from millet.lending import services as lending
from millet.lending.credit import train
from millet.lending.policy import APPROVE_BELOW_PD


@cache
def _trained_artifact() -> dict:
    """Training is deterministic for a seed; a process that rebuilds the demo trains once."""
    return train(folds=5, seed=0, approve_below_pd=APPROVE_BELOW_PD).artifact


def build_lending_demo() -> str:
    """Train on the German Credit data without protected attributes (5 folds: the figures the
    registry shows, AUC with and without them and the four-fifths ratios), approve, add products;
    returns the approved model's version."""
    model = lending.register_model(_trained_artifact())
    lending.approve_model(SYSTEM, model.version)
    for code, name, currency, apr, late_fee, low, high in (
        ("CN-EASY", "Mi Easy Pay", "CNY", "0.1800", "30.00", "300.00", "50000.00"),
        ("IN-EMI", "Mi Credit EMI", "INR", "0.1600", "300.00", "3000.00", "500000.00"),
    ):
        lending.create_product(
            SYSTEM,
            code=code,
            name=name,
            currency=currency,
            apr=Decimal(apr),
            terms=[3, 6, 12],
            late_fee=Decimal(late_fee),
            min_amount=Decimal(low),
            max_amount=Decimal(high),
        )
    return model.version
