"""The demo company's consumer credit: an approved scorecard and installment products per market,
so a newcomer's checkout can offer "pay in 3, 6 or 12 months" straight after the quick start."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import Future, ProcessPoolExecutor
from decimal import Decimal
from functools import cache
from importlib.metadata import version
from multiprocessing import get_context
from pathlib import Path

import django
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


def _cached_training(cache_dir: Path) -> joblib.memory.MemorizedFunc:
    return joblib.Memory(cache_dir / "credit-models", verbose=0).cache(_train)


TRAINING_ARGS = (5, 0, APPROVE_BELOW_PD)  # folds, seed, approval cutoff


def _train_into(cache_dir: Path) -> dict:
    """The artifact, trained (or read) through the disk cache; run in the training process."""
    return _cached_training(cache_dir)(*TRAINING_ARGS, training_fingerprint())


@cache
def _trained_artifact() -> dict:
    """The demo's scorecard artifact: trained once per machine and training code (``CACHE_DIR``)."""
    return _train_into(CACHE_DIR)


def train_in_background() -> Future | None:
    """Start training the demo's scorecard in a process of its own, so the WOE binning (a minute on
    one core) runs on the other core while the caller places the demo's orders; None when the
    artifact is already in the disk cache. ``build_lending_demo`` waits for it.

    A spawned process, not a forked one: the caller has threads (progress bars) and database
    connections a fork would copy. It sets Django up from the same environment, and touches no
    database."""
    if _cached_training(CACHE_DIR).check_call_in_cache(*TRAINING_ARGS, training_fingerprint()):
        return None
    pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"), initializer=django.setup)
    future = pool.submit(_train_into, CACHE_DIR)
    pool.shutdown(wait=False)  # the process ends once its one task is done
    return future


def build_lending_demo(training: Future | None = None) -> str:
    """Train on the German Credit data without protected attributes (5 folds: the figures the
    registry shows, AUC with and without them and the four-fifths ratios), approve, add products;
    returns the approved model's version. ``training`` is ``train_in_background``'s future, if the
    caller started one: its artifact is used (a training error is raised here)."""
    artifact = training.result() if training is not None else _trained_artifact()
    model = lending.register_model(artifact)
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
