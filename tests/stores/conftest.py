"""A small store network: two markets, three stores, a person in every role, and ledger revenue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.accounts.services import issue_token
from millet.finance.services import TransferSpec, create_transfers, ensure_account
from millet.regions.models import Currency, Market
from millet.regions.services import clear_caches
from millet.stores.models import StaffMember, Store
from millet.stores.services import open_store

DAILY = {day: ["10:00", "22:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2's deliberate slowness would dominate these tests' run time; it is not what they test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def create_markets() -> None:
    clear_caches()
    Currency.objects.create(code="CNY", name="Renminbi", exponent=2, symbol="¥")
    Currency.objects.create(code="INR", name="Indian rupee", exponent=2, symbol="₹")
    Market.objects.create(
        code="CN", name="China", currency_id="CNY", languages=["zh-hans"], time_zone="Asia/Shanghai"
    )
    Market.objects.create(
        code="IN", name="India", currency_id="INR", languages=["hi", "en"], time_zone="Asia/Kolkata"
    )


def create_store(code: str, market: str = "CN", **overrides) -> Store:
    fields = {
        "code": code,
        "name": f"Mi Home {code}",
        "market": market,
        "city": "Shanghai",
        "address": "1 Nanjing Road",
        "latitude": Decimal("31.230400"),
        "longitude": Decimal("121.473700"),
        "opening_hours": DAILY,
        "opened_on": date(2016, 1, 1),
    }
    return open_store(**{**fields, **overrides}, actor=SYSTEM)


def book(store_code: str, minor: int, currency: str = "CNY") -> None:
    """Credit a store's ledger revenue account, as a sale (positive) or a refund (negative) would."""
    funds = f"test-funds:{currency}"
    revenue = f"revenue:store:{store_code}:{currency}"
    ensure_account(funds, currency, "asset")
    ensure_account(revenue, currency, "revenue")
    debit, credit = (funds, revenue) if minor > 0 else (revenue, funds)
    create_transfers(
        [TransferSpec(debit=debit, credit=credit, amount=abs(minor), currency=currency, code="revenue")]
    )


@pytest.fixture
def markets(db):
    create_markets()
    yield
    clear_caches()


@pytest.fixture
def make_store(markets):
    return create_store


@dataclass
class Person:
    user: object
    token: str

    @property
    def actor(self):
        return actor_for_user(self.user)

    @property
    def client(self) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")


@dataclass
class Network:
    sh: Store
    bj: Store
    mumbai: Store
    staff: Person
    customer: Person
    manager_sh: Person
    cashier_sh: Person
    manager_bj: Person
    cashier_bj: Person


def make_person(
    username: str, *, is_staff: bool = False, store: Store | None = None, role: str = ""
) -> Person:
    user = get_user_model().objects.create_user(
        username=username, password="pw-" + username, is_staff=is_staff
    )
    if store is not None:
        StaffMember.objects.create(user=user, store=store, role=role)
    return Person(user, issue_token(user))


@pytest.fixture
def network(make_store) -> Network:
    sh = make_store("SH-001", name="Mi Home Shanghai")
    bj = make_store("BJ-001", name="Mi Home Beijing", city="Beijing")
    mumbai = make_store("MU-001", market="IN", name="Mi Home Mumbai", city="Mumbai")
    return Network(
        sh=sh,
        bj=bj,
        mumbai=mumbai,
        staff=make_person("ops", is_staff=True),
        customer=make_person("buyer"),
        manager_sh=make_person("mgr-sh", store=sh, role="manager"),
        cashier_sh=make_person("cash-sh", store=sh, role="cashier"),
        manager_bj=make_person("mgr-bj", store=bj, role="manager"),
        cashier_bj=make_person("cash-bj", store=bj, role="cashier"),
    )


@pytest.fixture
def book_revenue(markets):
    return book
