"""Store revenue comes from the ledger; stores are ranked within their market; managers see little."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from millet.core.errors import Forbidden, NotFound
from millet.stores.services import CLUB_THRESHOLDS, rank_stores, ranking_for
from tests.stores.conftest import book, create_markets, create_store


def _summary(rankings):
    return [(r.store.code, r.revenue, r.currency, r.rank, r.in_100m_club) for r in rankings]


def test_revenue_is_read_from_the_ledger_net_of_refunds(network, book_revenue):
    book_revenue("SH-001", 150_000_00)
    book_revenue("SH-001", -20_000_00)
    book_revenue("BJ-001", 90_000_00)
    book_revenue("MU-001", 5_000_00, "INR")
    assert _summary(rank_stores()) == [
        ("SH-001", Decimal("130000.00"), "CNY", 1, False),
        ("BJ-001", Decimal("90000.00"), "CNY", 2, False),
        ("MU-001", Decimal("5000.00"), "INR", 1, False),
    ]


def test_a_store_without_a_revenue_account_ranks_with_zero(network, book_revenue):
    book_revenue("BJ-001", 1)
    assert _summary(rank_stores("CN")) == [
        ("BJ-001", Decimal("0.01"), "CNY", 1, False),
        ("SH-001", Decimal("0.00"), "CNY", 2, False),
    ]


def test_revenue_in_another_currency_does_not_count(network, book_revenue):
    book_revenue("SH-001", 10**12, "INR")  # a mis-booked account in the wrong currency
    assert [r.revenue for r in rank_stores("CN")] == [Decimal("0.00"), Decimal("0.00")]


def test_ties_share_a_rank(network, make_store, book_revenue):
    make_store("SH-002")
    for code in ("SH-001", "BJ-001"):
        book_revenue(code, 500)
    assert [(r.store.code, r.rank) for r in rank_stores("CN")] == [
        ("BJ-001", 1),
        ("SH-001", 1),
        ("SH-002", 3),
    ]


def test_the_100m_club_is_per_currency(network, book_revenue):
    book_revenue("SH-001", 100_000_000_00)
    book_revenue("BJ-001", 99_999_999_99)
    book_revenue("MU-001", 100_000_000_00, "INR")  # 100M rupees is not 100M yuan
    clubs = {r.store.code: r.in_100m_club for r in rank_stores()}
    assert clubs == {"SH-001": True, "BJ-001": False, "MU-001": False}
    assert CLUB_THRESHOLDS["CNY"] == Decimal("100000000")


def test_inactive_stores_and_unknown_markets(network):
    network.bj.is_active = False
    network.bj.save()
    assert [r.store.code for r in rank_stores("CN")] == ["SH-001"]
    with pytest.raises(NotFound):
        rank_stores("XX")


def test_staff_see_every_figure(network, book_revenue):
    book_revenue("BJ-001", 700)
    rows = ranking_for(network.staff.actor, "CN")
    assert [(r.store_code, r.revenue, r.own) for r in rows] == [
        ("BJ-001", Decimal("7.00"), False),
        ("SH-001", 0, False),
    ]


def test_a_manager_sees_their_own_figures_and_only_the_rank_of_others(network, book_revenue):
    book_revenue("BJ-001", 700)
    book_revenue("SH-001", 300)
    rows = ranking_for(network.manager_sh.actor)
    own = [r for r in rows if r.own]
    others = [r for r in rows if not r.own]
    assert [(r.store_code, r.rank, r.revenue, r.in_100m_club) for r in own] == [
        ("SH-001", 2, Decimal("3.00"), False)
    ]
    assert [(r.market, r.rank) for r in others] == [("CN", 1), ("IN", 1)]
    assert all((r.store_code, r.store_name, r.city, r.revenue, r.in_100m_club) == (None,) * 5 for r in others)


@pytest.mark.parametrize("who", ["customer", "cashier_sh", "cashier_bj"])
def test_cashiers_and_customers_see_no_ranking(network, who):
    with pytest.raises(Forbidden):
        ranking_for(getattr(network, who).actor)


class RankOrderTest(TestCase):
    """Whatever the revenues, ranks follow revenue: higher never ranks below lower, equal ties."""

    @settings(max_examples=15, deadline=None)
    @given(amounts=st.lists(st.integers(min_value=-(10**6), max_value=10**10), min_size=1, max_size=5))
    def test_ranks_follow_revenue(self, amounts):
        create_markets()
        for index, amount in enumerate(amounts):
            create_store(f"ST-{index:03d}")
            if amount:
                book(f"ST-{index:03d}", amount)
        rankings = rank_stores("CN")
        assert sorted(r.revenue for r in rankings) == sorted(Decimal(a).scaleb(-2) for a in amounts)
        for a in rankings:
            for b in rankings:
                assert (a.revenue > b.revenue) == (a.rank < b.rank)
