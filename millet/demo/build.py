"""Builds the demo company from the 2017 letter, only through each domain's services.

Seeded, so the same seed gives the same company: markets, a 34-SKU catalog with device models,
warehouses, 54 Mi Home stores with staff, stock with serial numbers, customers, the store
expansion pipeline, a few thousand past orders across every channel (with returns and
cancellations), and a few months of purchases on credit decided by the approved scorecard (loans,
declines and referrals for the risk officer), all booked on the ledger.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from millet.accounts import services as accounts
from millet.accounts.actor import (
    CLAIMS_HANDLER_GROUP,
    EXECUTIVE_GROUP,
    MERCHANDISER_GROUP,
    RISK_OFFICER_GROUP,
    SUPPLY_PLANNER_GROUP,
    SYSTEM,
    actor_for_user,
)
from millet.catalog import services as catalog
from millet.core.errors import DomainError
from millet.demo import insurance as insurance_demo
from millet.demo.content import DE_INCOMING, DE_STOCK, EUR_PRICES, PRODUCT_TEXT, SPEC_LABELS, VARIANT_TEXT
from millet.demo.data import (
    CN_PLANNED_CITIES,
    CN_STORE_CITIES,
    DEVICE_MODELS,
    IN_PLANNED_CITIES,
    PRODUCTS,
    SHIPPING_ADDRESSES,
    WAREHOUSES,
)
from millet.demo.devices import build_device_demo
from millet.demo.insights import build_insights_demo
from millet.demo.lending import APPLICATIONS, build_credit_sales, build_lending_demo, train_in_background
from millet.demo.letter import opening_day, replay_2016
from millet.insights import services as insights
from millet.inventory import services as inventory
from millet.regions.services import ensure_default_markets
from millet.sales import services as sales
from millet.stores import services as stores

ADMIN_USER, ADMIN_PASSWORD = "admin", "millet-admin"
DEMO_LOGINS = {
    "customer": "millet-customer",
    "cashier": "millet-cashier",
    "manager": "millet-manager",
    "risk": "millet-risk",  # a risk officer: /lending/monitoring/, the referrals in /lending/reviews/
    "planner": "millet-planner",  # a supply planner: purchase orders and transfers (back office)
    "merchandiser": "millet-merchandiser",  # flash-sale campaigns and vouchers (back office)
    "claims": "millet-claims",  # a claims handler: policies and claims (back office)
    "executive": "millet-executive",  # the store network, credit and /insights/ figures, read only
    "staff": "millet-staff",  # the whole back office, not a superuser
}
# The back-office people and their role's group (the store jobs and the customer are made below).
BACK_OFFICE_PEOPLE = {
    "risk": RISK_OFFICER_GROUP,
    "planner": SUPPLY_PLANNER_GROUP,
    "merchandiser": MERCHANDISER_GROUP,
    "claims": CLAIMS_HANDLER_GROUP,
    "executive": EXECUTIVE_GROUP,
}


def demo_email(username: str) -> str:
    return f"{username}@millet.local"


STORE_HOURS = {day: ["10:00", "22:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}

Progress = Callable[[str, int], None]  # (task name, units done) -> None


@dataclass
class DemoCompany:
    skus: dict[str, dict] = field(default_factory=dict)  # code -> {id, serialized, markets}
    locations: dict[str, int] = field(default_factory=dict)
    store_codes: dict[str, list[str]] = field(default_factory=dict)  # market -> store codes
    customers: list = field(default_factory=list)
    cashiers: dict[str, object] = field(default_factory=dict)  # store code -> user
    opened_on: dict[str, date] = field(default_factory=dict)  # store code -> the day it opened
    orders: int = 0
    letter_transfers: int = 0  # the 2016 daily summaries' transfers (--letter)
    credit: Counter = field(default_factory=Counter)  # credit applications by final status


def build_catalog(company: DemoCompany) -> None:
    for urn, name, services in DEVICE_MODELS.values():
        model = catalog.create_device_model(urn, name, {"services": services}, actor=SYSTEM)
        shown = catalog.spec_labels(catalog.checked_spec(model.spec))
        for language, labels in SPEC_LABELS.items():
            mine = {label: text for label, text in labels.items() if label in shown}
            catalog.translate_device_model(urn, language, mine, actor=SYSTEM)
    for slug, name, category, model, serialized, variants in PRODUCTS:
        urn = DEVICE_MODELS[model][0] if model else None
        drawing, description, translations = PRODUCT_TEXT[slug]
        catalog.create_product(
            slug, name, category, description=description, device_model_urn=urn, drawing=drawing, actor=SYSTEM
        )
        for language, (local_name, local_description) in translations.items():
            catalog.translate_product(
                slug, language, name=local_name, description=local_description, actor=SYSTEM
            )
        for code, variant, cny, inr in variants:
            sku = catalog.create_sku(
                code,
                slug,
                f"{name} {variant}",
                serialized=serialized,
                allow_backorder=category == "phone",
                actor=SYSTEM,
            )
            for language, (local_name, _) in translations.items():
                local_variant = VARIANT_TEXT.get(variant, {}).get(language, variant)
                catalog.translate_sku(code, language, name=f"{local_name} {local_variant}", actor=SYSTEM)
            catalog.set_price("CN", code, Decimal(cny), actor=SYSTEM)
            markets = ["CN"]
            if inr:
                catalog.set_price("IN", code, Decimal(inr), actor=SYSTEM)
                markets.append("IN")
            if code in EUR_PRICES:
                catalog.set_price("DE", code, Decimal(EUR_PRICES[code]), actor=SYSTEM)
                markets.append("DE")
            company.skus[code] = {"id": sku.pk, "serialized": serialized, "markets": markets}


def build_network(company: DemoCompany, rng: random.Random, *, letter: bool = False) -> None:
    """Warehouses and the 54 Chinese stores: opened over the last 900 days, or in the letter's
    timeline (``letter.opening_day``) for ``--letter``."""
    for market, sites in WAREHOUSES.items():
        for code, city, lat, lon, state in sites:
            loc = inventory.create_location(
                code=code,
                name=f"{city} warehouse",
                kind="warehouse",
                market=market,
                city=city,
                state=state,
                latitude=Decimal(lat),
                longitude=Decimal(lon),
            )
            company.locations[code] = loc.pk
    first_opening = timezone.localdate() - timedelta(days=900)
    for city, city_code, lat, lon, count in CN_STORE_CITIES:
        for n in range(1, count + 1):
            code = f"CN-{city_code}-{n:03d}"
            jitter = Decimal(rng.randint(-300, 300)) / 10000
            opened_on = (
                opening_day(code, rng) if letter else first_opening + timedelta(days=rng.randint(0, 890))
            )
            store = stores.open_store(
                code=code,
                name=f"Mi Home {city} {n}",
                market="CN",
                city=city,
                address=f"{n} {city} Mall, {city}",
                latitude=Decimal(lat) + jitter,
                longitude=Decimal(lon) - jitter,
                opening_hours=STORE_HOURS,
                opened_on=opened_on,
                actor=SYSTEM,
            )
            company.locations[code] = store.location_id
            company.store_codes.setdefault("CN", []).append(code)
            company.opened_on[code] = opened_on


def build_people(company: DemoCompany, rng: random.Random, customers: int) -> None:
    accounts.create_user(ADMIN_USER, password=ADMIN_PASSWORD, email=demo_email(ADMIN_USER), superuser=True)
    # The demo logins have verified addresses (the company's word), so they can sign in at the
    # web store's sign-in, which asks shoppers who sign up themselves to confirm theirs.
    demo_customer = accounts.create_user(
        "customer",
        password=DEMO_LOGINS["customer"],
        first_name="Li",
        last_name="Wei",
        email=demo_email("customer"),
    )
    for username, group in BACK_OFFICE_PEOPLE.items():
        person = accounts.create_user(username, password=DEMO_LOGINS[username], email=demo_email(username))
        accounts.add_to_group(person.pk, group)
    accounts.create_user("staff", password=DEMO_LOGINS["staff"], email=demo_email("staff"), staff=True)
    names = ["Wei", "Fang", "Min", "Jing", "Lei", "Yan", "Priya", "Rahul", "Anjali", "Arjun", "Hao", "Xin"]
    # Demo buyers and most staff never log in: no passwords, as hashing hundreds would take minutes.
    buyers = [(f"buyer{i:05d}", rng.choice(names)) for i in range(customers)]
    company.customers = [demo_customer, *accounts.create_users(buyers)]
    for i, code in enumerate(company.store_codes["CN"]):
        if i == 0:
            cashier = accounts.create_user(
                "cashier", password=DEMO_LOGINS["cashier"], email=demo_email("cashier")
            )
            manager = accounts.create_user(
                "manager", password=DEMO_LOGINS["manager"], email=demo_email("manager")
            )
        else:
            cashier, manager = accounts.create_users(
                [(f"cashier-{code.lower()}", ""), (f"manager-{code.lower()}", "")]
            )
        stores.assign_staff(code, manager.pk, "manager", actor=SYSTEM)
        stores.assign_staff(code, cashier.pk, "cashier", actor=SYSTEM)
        company.cashiers[code] = cashier


def build_stock(company: DemoCompany, progress: Progress) -> None:
    plan = []
    for code, sku in company.skus.items():
        for market in sku["markets"]:
            for wh, *_ in WAREHOUSES[market]:
                plan.append((code, wh, DE_STOCK.get(code, 120) if market == "DE" else 120))
        for store in company.store_codes["CN"]:
            plan.append((code, store, 6))
    for i, (code, location, qty) in enumerate(plan):
        progress("stock", 1)
        if not qty:
            continue
        sku = company.skus[code]
        serials = (
            [
                f"{code.replace('-', '')[:4]}{sku['id']:03d}{company.locations[location]:03d}{n:05d}"
                for n in range(qty)
            ]
            if sku["serialized"]
            else []
        )
        inventory.receive_units(
            sku_id=sku["id"],
            location_id=company.locations[location],
            quantity=qty,
            reference="opening-stock",
            serials=serials,
            serialized=sku["serialized"],
            batch=f"B{2016 + i % 2}{(i % 12) + 1:02d}",
        )
    warehouse = company.locations[WAREHOUSES["DE"][0][0]]
    for code, (units, days) in DE_INCOMING.items():
        inventory.create_purchase_order(
            actor=SYSTEM,
            supplier="Millet factory",
            location_id=warehouse,
            lines=[(company.skus[code]["id"], units)],
            expected_on=timezone.localdate() + timedelta(days=days),
        )


def build_pipeline() -> None:
    today = timezone.localdate()
    start = today - timedelta(days=90)
    for market, target, description in (
        ("CN", 200, "200 more Mi Home stores in three years"),
        ("IN", 100, "Mi Home comes to India"),
    ):
        stores.set_expansion_goal(
            actor=SYSTEM,
            market=market,
            target_store_count=target,
            starts_on=start,
            target_date=start + timedelta(days=3 * 365),
            description=description,
        )
    for i, city in enumerate(CN_PLANNED_CITIES):
        opening = stores.plan_opening(
            actor=SYSTEM,
            market="CN",
            city=city,
            name=f"Mi Home {city}",
            target_date=today + timedelta(days=30 + 21 * i),
        )
        for stage in ("signed", "fitting_out")[: i % 3]:
            stores.advance_opening(opening.pk, stage, actor=SYSTEM)
    for i, city in enumerate(IN_PLANNED_CITIES):
        stores.plan_opening(
            actor=SYSTEM,
            market="IN",
            city=city,
            name=f"Mi Home {city}",
            target_date=today + timedelta(days=60 + 30 * i),
        )


def _scanned(company: DemoCompany, store: str, line: sales.LineRequest) -> sales.LineRequest:
    """The line as a cashier rings it up: each unit of a serialized SKU scanned off the shelf."""
    sku = company.skus[line.sku_code]
    if not sku["serialized"]:
        return line
    serials = inventory.serials_on_shelf(company.locations[store], sku["id"], line.quantity)
    return sales.LineRequest(line.sku_code, line.quantity, tuple(serials))


def _one_order(company: DemoCompany, rng: random.Random, placed_at) -> None:
    staff = SYSTEM
    roll = rng.random()
    market = "IN" if roll > 0.9 else "CN"
    codes = [c for c, s in company.skus.items() if market in s["markets"]]
    lines = [
        sales.LineRequest(code, rng.choice((1, 1, 1, 2)))
        for code in rng.sample(codes, rng.choice((1, 1, 2, 3)))
    ]
    customer = rng.choice(company.customers)
    buyer = actor_for_user(customer)
    if market == "CN" and roll < 0.30:
        store = rng.choice(company.store_codes["CN"])
        cashier = actor_for_user(company.cashiers[store])
        order = sales.pos_sale(
            cashier,
            store_code=store,
            lines=[_scanned(company, store, line) for line in lines],
            payment_token="tok_ok",
            customer_id=customer.pk if rng.random() < 0.5 else None,
            placed_at=placed_at,
        )
        returned_by, where = cashier, {"store_code": store}
    elif market == "CN" and roll < 0.36:
        store = rng.choice(company.store_codes["CN"])
        order = sales.place_order(
            buyer,
            market="CN",
            lines=lines,
            channel="click_collect",
            store_code=store,
            payment_token="tok_ok",
            placed_at=placed_at,
        )
        cashier = actor_for_user(company.cashiers[store])
        if rng.random() < 0.06:
            sales.cancel_order(buyer, order.number)
            return
        scans = [serial for line in lines for serial in _scanned(company, store, line).serials]
        sales.collect_order(cashier, order.number, serials=scans)
        returned_by, where = cashier, {"store_code": store}
    else:
        city, state = rng.choice(SHIPPING_ADDRESSES[market])
        order = sales.place_order(
            buyer,
            market=market,
            lines=lines,
            payment_token="tok_ok",
            placed_at=placed_at,
            shipping_city=city,
            shipping_state=state,
        )
        if rng.random() < 0.04:
            sales.cancel_order(buyer, order.number)
            return
        if order.status == "backordered":
            return
        sales.fulfil_order(staff, order.number)
        returned_by, where = staff, {"warehouse_code": WAREHOUSES[market][0][0]}
    if rng.random() < 0.03:
        line = sales.get_order(staff, order.number).lines.all()[0]
        sold = [unit.serial for unit in sales.sold_units(staff, order.number) if unit.sku_id == line.sku_id]
        serials = tuple(sold[:1])
        sales.return_order(
            returned_by,
            order.number,
            lines=[sales.ReturnRequest(line.pk, 1, serials)],
            reason="changed mind",
            **where,
        )


def build_orders(
    company: DemoCompany, rng: random.Random, count: int, progress: Progress, days: int = 180
) -> None:
    now = timezone.now()
    stamps = sorted(now - timedelta(seconds=rng.randint(0, days * 86400)) for _ in range(count))
    batch = 100
    for start in range(0, count, batch):
        with transaction.atomic():  # one commit per hundred orders keeps SQLite fast
            for placed_at in stamps[start : start + batch]:
                try:
                    with transaction.atomic():
                        _one_order(company, rng, placed_at)
                    company.orders += 1
                except DomainError:
                    pass  # sold out at that store: a real shopper would walk away too
                progress("orders", 1)


def build_demo(
    *,
    seed: int,
    customers: int,
    orders: int,
    progress: Progress,
    stage: Callable[[str, int], None],
    letter: bool = False,
) -> DemoCompany:
    """Build everything; ``stage(name, total)`` announces each step so a caller can show progress.
    ``letter`` opens the stores in the letter's timeline and replays 2016 (``demo.letter``)."""
    rng = random.Random(seed)
    company = DemoCompany()
    training = train_in_background()  # the scorecard fits on the other core meanwhile
    with transaction.atomic():
        ensure_default_markets()
        build_catalog(company)
        build_network(company, rng, letter=letter)
        build_people(company, rng, customers)
        build_pipeline()
    stock_steps = sum(
        sum(len(WAREHOUSES[m]) for m in sku["markets"]) + len(company.store_codes["CN"])
        for sku in company.skus.values()
    )
    stage("stock", stock_steps)
    with transaction.atomic():
        build_stock(company, progress)
    stage("orders", orders)
    with insights.catch_up_deferred():  # one catch-up after the orders, not one per order
        build_orders(company, rng, orders, progress)
    stage("devices", 1)
    build_device_demo(company.customers[0], random.Random(seed + 1))  # own rng: orders stay as they were
    progress("devices", 1)
    # After the devices: claims on connected units carry their telemetry. Own rng, as the devices'.
    insurance_demo.build_insurance_demo(
        company.skus, company.customers[0].pk, random.Random(seed + 4), stage=stage, progress=progress
    )
    stage("credit model", 1)
    build_lending_demo(training)
    progress("credit model", 1)
    stage("credit sales", APPLICATIONS + 1)  # and one step for the reviews and repayments
    with insights.catch_up_deferred():  # as for the orders: no catch-up per sale
        company.credit = build_credit_sales(
            company.customers,
            {code: sku["markets"] for code, sku in company.skus.items()},
            random.Random(seed + 3),  # own rng, like the devices': the orders stay as they were
            lambda n: progress("credit sales", n),
        )
    insights.rebuild()  # the decisions are dated in the past months, which only a rebuild recounts
    if letter:
        stage("2016", 366)
        company.letter_transfers = replay_2016(
            company.opened_on,
            {code: sku["id"] for code, sku in company.skus.items()},
            random.Random(seed + 2016),
            lambda days: progress("2016", days),
        )
    stage("goals", 1)
    build_insights_demo()
    progress("goals", 1)
    return company
