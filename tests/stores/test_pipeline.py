"""Planned openings move one stage at a time and end bound to a real store; goals count both."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from millet.accounts.actor import SYSTEM
from millet.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from millet.inventory.services import get_location
from millet.stores.models import ExpansionGoal, PlannedOpening, Store
from millet.stores.services import (
    StoreSite,
    advance_opening,
    expansion_progress,
    plan_opening,
    planned_openings,
)
from tests.concurrency import behind_open_transaction
from tests.stores.conftest import DAILY

SITE = StoreSite(
    code="HZ-001",
    address="1 West Lake Rd",
    latitude=Decimal("30.274100"),
    longitude=Decimal("120.155100"),
    opening_hours=DAILY,
)


@pytest.fixture
def opening(network) -> PlannedOpening:
    return plan_opening(
        actor=network.staff.actor,
        market="CN",
        city="Hangzhou",
        name="Mi Home Hangzhou",
        target_date=date(2017, 6, 1),
    )


def _walk(opening: PlannedOpening, actor, *stages: str) -> PlannedOpening:
    for stage in stages:
        opening = advance_opening(opening.pk, stage, actor=actor)
    return opening


def test_an_opening_walks_the_pipeline_and_creates_its_store(network, opening):
    staff = network.staff.actor
    opening = _walk(opening, staff, "signed", "fitting_out")
    assert opening.stage == "fitting_out"
    opened = advance_opening(opening.pk, "opened", actor=staff, site=SITE)
    store = Store.objects.get(code="HZ-001")
    assert (opened.stage, opened.store) == ("opened", store)
    assert (store.name, store.city, store.market_id) == ("Mi Home Hangzhou", "Hangzhou", "CN")
    assert store.opened_on is not None
    assert get_location("HZ-001").kind == "store"


def test_an_opening_can_name_a_store_already_opened(network, opening):
    opening = _walk(opening, network.staff.actor, "signed", "fitting_out")
    opened = advance_opening(opening.pk, "opened", actor=network.staff.actor, store_code="BJ-001")
    assert opened.store == network.bj


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({}, Unprocessable, "store_required"),
        ({"store_code": "BJ-001", "site": SITE}, Unprocessable, "store_required"),
        ({"store_code": "MU-001"}, Unprocessable, "wrong_market"),
        ({"store_code": "NO-001"}, Unprocessable, "unknown_store"),
        ({"site": StoreSite("SH-001", "x", Decimal(31), Decimal(121), DAILY)}, Conflict, "duplicate_store"),
        (
            {"site": StoreSite("HZ-001", "x", Decimal(31), Decimal(121), {"mon": []})},
            Unprocessable,
            "invalid_hours",
        ),
    ],
)
def test_opening_refusals_change_nothing(network, opening, kwargs, error, code):
    opening = _walk(opening, network.staff.actor, "signed", "fitting_out")
    stores = Store.objects.count()
    with pytest.raises(error) as exc:
        advance_opening(opening.pk, "opened", actor=network.staff.actor, **kwargs)
    assert exc.value.code == code
    opening.refresh_from_db()
    assert (opening.stage, opening.store, Store.objects.count()) == ("fitting_out", None, stores)


def test_one_store_fulfils_one_opening(network, opening):
    other = plan_opening(
        actor=network.staff.actor, market="CN", city="Beijing", name="B", target_date=date(2017, 1, 1)
    )
    for planned in (opening, other):
        _walk(planned, network.staff.actor, "signed", "fitting_out")
    advance_opening(opening.pk, "opened", actor=network.staff.actor, store_code="BJ-001")
    with pytest.raises(Conflict) as exc:
        advance_opening(other.pk, "opened", actor=network.staff.actor, store_code="BJ-001")
    assert exc.value.code == "store_taken"


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_openings_taking_one_store_at_once_are_409_store_taken(network, opening, require_postgres):
    """Each opening is locked on its own row, so both passed the "store taken?" check; the second
    then met the unique store of the first as an IntegrityError (a 500 on the planner's page)."""
    other = plan_opening(
        actor=network.staff.actor, market="CN", city="Beijing", name="B", target_date=date(2017, 1, 1)
    )
    for planned in (opening, other):
        _walk(planned, network.staff.actor, "signed", "fitting_out")
    first, second = behind_open_transaction(
        lambda: advance_opening(opening.pk, "opened", actor=network.staff.actor, store_code="BJ-001"),
        lambda: advance_opening(other.pk, "opened", actor=network.staff.actor, store_code="BJ-001"),
    )
    assert isinstance(first, PlannedOpening), first
    assert isinstance(second, Conflict) and second.code == "store_taken", repr(second)
    assert PlannedOpening.objects.filter(store__code="BJ-001").count() == 1


@pytest.mark.parametrize(
    ("path", "stage"),
    [
        ((), "fitting_out"),  # no skipping
        ((), "opened"),
        ((), "scouting"),
        (("signed",), "scouting"),  # no going back
        (("dropped",), "signed"),  # dropped is final
        (("signed", "fitting_out", "dropped"), "dropped"),
    ],
)
def test_stage_rules(network, opening, path, stage):
    opening = _walk(opening, network.staff.actor, *path)
    with pytest.raises(Conflict) as exc:
        advance_opening(opening.pk, stage, actor=network.staff.actor, store_code="BJ-001")
    assert exc.value.code == "invalid_transition"
    opening.refresh_from_db()
    assert opening.stage == (path[-1] if path else "scouting")


def test_a_store_is_named_only_when_opening(network, opening):
    with pytest.raises(Unprocessable) as exc:
        advance_opening(opening.pk, "signed", actor=network.staff.actor, store_code="BJ-001")
    assert exc.value.code == "store_not_expected"


def test_unknown_stage_and_opening(network, opening):
    with pytest.raises(Unprocessable):
        advance_opening(opening.pk, "demolished", actor=network.staff.actor)
    with pytest.raises(NotFound):
        advance_opening(10**9, "signed", actor=network.staff.actor)


@pytest.mark.parametrize("who", ["customer", "cashier_sh", "manager_sh"])
def test_the_pipeline_is_back_office_only(network, opening, who):
    actor = getattr(network, who).actor
    with pytest.raises(Forbidden):
        plan_opening(actor=actor, market="CN", city="X", name="Y", target_date=date(2017, 1, 1))
    with pytest.raises(Forbidden):
        advance_opening(opening.pk, "signed", actor=actor)
    with pytest.raises(Forbidden):
        planned_openings(actor=actor)
    assert PlannedOpening.objects.get().stage == "scouting"


def test_plan_opening_validates(network):
    with pytest.raises(Unprocessable):
        plan_opening(actor=network.staff.actor, market="XX", city="X", name="Y", target_date=date(2017, 1, 1))
    with pytest.raises(Unprocessable):
        plan_opening(actor=network.staff.actor, market="CN", city=" ", name="Y", target_date=date(2017, 1, 1))
    assert not PlannedOpening.objects.exists()


def test_expansion_progress_counts_stores_opened_since_the_start_and_the_due_pipeline(network, make_store):
    today = timezone.now().date()
    staff = network.staff.actor
    goal = ExpansionGoal.objects.create(
        market_id="CN",
        target_store_count=4,
        starts_on=today - timedelta(days=30),
        target_date=today + timedelta(days=60),
    )
    make_store("SH-002", opened_on=today - timedelta(days=3))  # counts
    make_store("SH-003", opened_on=today + timedelta(days=3))  # not opened yet
    make_store("MU-002", market="IN", opened_on=today)  # another market
    due = plan_opening(actor=staff, market="CN", city="A", name="A", target_date=today + timedelta(days=30))
    plan_opening(
        actor=staff, market="CN", city="B", name="B", target_date=today + timedelta(days=90)
    )  # too late
    plan_opening(actor=staff, market="IN", city="C", name="C", target_date=today)  # another market
    dropped = plan_opening(actor=staff, market="CN", city="D", name="D", target_date=today)
    advance_opening(dropped.pk, "dropped", actor=staff)

    [progress] = expansion_progress("CN", actor=SYSTEM)
    assert (progress.goal, progress.target, progress.opened, progress.planned) == (goal, 4, 1, 1)
    assert not progress.on_track

    plan_opening(actor=staff, market="CN", city="E", name="E", target_date=today)
    _walk(due, staff, "signed")
    make_store("SH-004", opened_on=today)
    [progress] = expansion_progress("CN", actor=SYSTEM)
    assert (progress.opened, progress.planned, progress.on_track) == (2, 2, True)
    assert expansion_progress("IN", actor=SYSTEM) == []


def test_a_goal_without_start_counts_the_network_and_a_past_goal_ignores_the_pipeline(network):
    goal = ExpansionGoal.objects.create(market_id="CN", target_store_count=3, target_date=date(2017, 12, 31))
    plan_opening(actor=network.staff.actor, market="CN", city="A", name="A", target_date=date(2017, 6, 1))
    [progress] = expansion_progress(actor=SYSTEM)
    assert (progress.goal, progress.opened, progress.planned, progress.on_track) == (goal, 2, 0, False)
    with pytest.raises(NotFound):
        expansion_progress("XX", actor=SYSTEM)
