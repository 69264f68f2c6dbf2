"""Goals: pace against the straight line, cards per viewer, and the API's answers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from millet.accounts.actor import SYSTEM
from millet.core.errors import Forbidden, NotFound, Unprocessable
from millet.insights.pace import AHEAD, BEHIND, ON_TRACK, pace
from millet.insights.services import catch_up, create_goal, drill_down, get_goal, goal_cards
from tests.insights.conftest import book


def test_pace_is_measured_against_a_straight_line_with_a_band():
    line = {
        "target": Decimal(100),
        "baseline": Decimal(0),
        "starts_on": date(2017, 1, 1),
        "due_on": date(2017, 1, 10),
    }
    halfway = date(2017, 1, 5)
    assert pace(actual=Decimal(50), as_of=halfway, **line).status == ON_TRACK
    assert pace(actual=Decimal(56), as_of=halfway, **line).status == AHEAD
    late = pace(actual=Decimal(44), as_of=halfway, **line)
    assert (late.status, late.gap, late.days_left, late.needed_per_day) == (
        BEHIND,
        Decimal(-6),
        5,
        Decimal("11.2"),
    )
    stores = pace(
        actual=Decimal(54), target=Decimal(1000), baseline=Decimal(54), starts_on=date(2017, 1, 1),
        due_on=date(2019, 12, 31), as_of=date(2017, 1, 1),
    )  # fmt: skip
    assert stores.status == ON_TRACK and not stores.reached
    done = pace(actual=Decimal(100), as_of=date(2017, 1, 10), **line)
    assert done.reached and done.days_left == 0


def _goal(owner, **fields):
    today = timezone.now().date()
    values = {
        "title": "Shanghai's year",
        "metric": "revenue",
        "scope_kind": "store",
        "scope_value": "SH-001",
        "target": Decimal("1000.00"),
        "starts_on": today - timedelta(days=9),
        "due_on": today + timedelta(days=10),
        "owner_id": owner.pk,
    }
    return create_goal(actor=SYSTEM, **values | fields)


def test_cards_show_each_viewer_only_what_they_may_see(people):
    executive, manager = people["executive"], people["manager"]
    _goal(executive[0])
    company_goal = _goal(
        executive[0], title="All of it", scope_kind="company", scope_value="", currency="USD"
    )
    book("revenue:store:SH-001:CNY", 690_00, "CNY")
    catch_up()
    cards = {c.goal.title: c for c in goal_cards(actor=executive[1])}
    assert cards["Shanghai's year"].figure.value == Decimal("690.00")
    assert cards["Shanghai's year"].pace.status == AHEAD  # 69% done with half the days gone
    assert (cards["All of it"].figure.value, cards["All of it"].figure.currency) == (Decimal("100.00"), "USD")
    assert [c.goal.title for c in goal_cards(actor=manager[1])] == ["Shanghai's year"]
    with pytest.raises(NotFound):
        get_goal(company_goal.pk, actor=manager[1])
    for role in ("cashier", "customer"):
        with pytest.raises(Forbidden):
            goal_cards(actor=people[role][1])


def test_managers_drill_down_only_into_their_stores(people):
    today = timezone.now().date()
    with pytest.raises(Forbidden):
        drill_down(actor=people["manager"][1], metric="revenue", by="market", start=today, end=today)
    assert drill_down(actor=people["manager"][1], metric="revenue", by="store", start=today, end=today) == []
    with pytest.raises(Unprocessable):
        drill_down(
            actor=people["executive"][1], metric="revenue", by="store", start=today, end=today - timedelta(1)
        )


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"metric": "profit"}, "unknown_metric"),
        ({"scope_kind": "store", "scope_value": "XX-999"}, "invalid_scope"),
        ({"metric": "devices_connected"}, "invalid_scope"),
        ({"target": Decimal("0")}, "invalid_goal"),
        ({"due_on": date(2000, 1, 1)}, "invalid_goal"),
        ({"metric": "orders", "currency": "CNY"}, "unknown_currency"),
        ({"currency": "XYZ"}, "unknown_currency"),
        ({"scope_kind": "market", "scope_value": "ZZ"}, "invalid_scope"),
        ({"scope_kind": "company", "scope_value": "CN"}, "invalid_scope"),
    ],
)
def test_bad_goals_are_refused_precisely(people, fields, code):
    with pytest.raises(Unprocessable) as refused:
        _goal(people["executive"][0], **fields)
    assert refused.value.code == code


def test_only_staff_set_goals(people):
    with pytest.raises(Forbidden):
        create_goal(
            actor=people["executive"][1], title="x", metric="orders", target=Decimal(1),
            starts_on=date(2017, 1, 1), due_on=date(2017, 2, 1), owner_id=people["executive"][0].pk,
        )  # fmt: skip
