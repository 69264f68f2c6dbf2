"""The demo company's consumer credit: an approved scorecard and installment products per market,
so a newcomer's checkout can offer "pay in 3, 6 or 12 months" straight after the quick start."""

from __future__ import annotations

import hashlib
import os
from decimal import Decimal
from functools import cache
from importlib.metadata import version
from pathlib import Path

import joblib

from millet.accounts.actor import SYSTEM
from millet.lending import credit
from millet.lending import services as lending
from millet.lending.credit import train
from millet.lending.policy import APPROVE_BELOW_PD

# joblib.Memory (a scikit-learn dependency, already installed) keeps results on disk keyed by their
# arguments, with atomic writes that concurrent processes may share: chosen over a cache file of our
# own. Training is deterministic for a seed but costs a minute or two of WOE binning, most of a demo
# build; the machine's second build (a rebuild, another test worker) reads it back instead.
CACHE_DIR = Path(os.environ.get("MILLET_CACHE_DIR") or Path.home() / ".cache" / "millet")
LIBRARIES = ("scorecardpy", "scikit-learn", "pandas", "numpy")


def training_fingerprint() -> str:
    """What the trained artifact depends on besides its arguments: the training code's source (every
    module of ``lending.credit``) and the versions of the libraries it fits with. A change to either
    is a new cache key, so a stale artifact is never read."""
    digest = hashlib.sha256()
    for path in sorted(Path(credit.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in LIBRARIES:
        digest.update(f"{name}=={version(name)}".encode())
    return digest.hexdigest()


def _train(folds: int, seed: int, approve_below_pd: float, fingerprint: str) -> dict:
    del fingerprint  # part of the cache key only
    return train(folds=folds, seed=seed, approve_below_pd=approve_below_pd).artifact


@cache
def _trained_artifact() -> dict:
    """The demo's scorecard artifact: trained once per machine and training code (``CACHE_DIR``)."""
    trained = joblib.Memory(CACHE_DIR / "credit-models", verbose=0).cache(_train)
    return trained(5, 0, APPROVE_BELOW_PD, training_fingerprint())


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
