"""Opening stores and the rules for who sees a store and who may change its staff."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from millet.accounts.actor import Actor
from millet.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from millet.inventory.services import create_location, get_location
from millet.stores.models import StaffMember, Store
from millet.stores.services import (
    assign_staff,
    get_store,
    public_stores,
    remove_staff,
    staff_of,
    store_for_location,
    stores_of,
)
from tests.stores.conftest import make_person

CUSTOMER = Actor(user_id=999)


def test_open_store_creates_its_stock_location(make_store):
    store = make_store("SZ-001", city="Shenzhen")
    location = get_location("SZ-001")
    assert store.location_id == location.pk
    assert (location.kind, location.market_id, location.city) == ("store", "CN", "Shenzhen")
    assert store_for_location(location.pk) == store


def test_a_warehouse_has_no_store(markets):
    warehouse = create_location(
        code="WH-SH",
        name="Shanghai DC",
        kind="warehouse",
        market="CN",
        city="Shanghai",
        latitude=Decimal("31.1"),
        longitude=Decimal("121.3"),
    )
    assert store_for_location(warehouse.pk) is None


@pytest.mark.parametrize(
    ("overrides", "error", "code"),
    [
        ({"code": "sh-002"}, Unprocessable, "invalid_store_code"),
        ({"code": "S"}, Unprocessable, "invalid_store_code"),
        ({"code": "SH 002"}, Unprocessable, "invalid_store_code"),
        ({"code": "SH-002\n"}, Unprocessable, "invalid_store_code"),
        ({"name": "  "}, Unprocessable, "missing_field"),
        ({"market": "XX"}, Unprocessable, "unknown_market"),
        ({"latitude": Decimal("90.5")}, Unprocessable, "invalid_coordinates"),
        ({"longitude": Decimal("-180.000001")}, Unprocessable, "invalid_coordinates"),
        ({"latitude": Decimal("31.1234567")}, Unprocessable, "invalid_coordinates"),
        ({"latitude": Decimal("NaN")}, Unprocessable, "invalid_coordinates"),
        ({"opening_hours": {"mon": ["22:00", "10:00", "11:00"]}}, Unprocessable, "invalid_hours"),
        ({"code": "SH-001"}, Conflict, "duplicate_store"),
    ],
)
def test_open_store_refuses_bad_input_and_changes_nothing(network, make_store, overrides, error, code):
    before = Store.objects.count()
    with pytest.raises(error) as exc:
        make_store(overrides.pop("code", "SH-002"), **overrides)
    assert exc.value.code == code
    assert Store.objects.count() == before
    if code != "duplicate_store":
        with pytest.raises(NotFound):
            get_location("SH-002")


def test_open_store_refuses_a_code_a_warehouse_already_uses(make_store):
    create_location(
        code="WH-SH",
        name="Shanghai DC",
        kind="warehouse",
        market="CN",
        city="Shanghai",
        latitude=Decimal("31.1"),
        longitude=Decimal("121.3"),
    )
    with pytest.raises(Conflict) as exc:
        make_store("WH-SH")
    assert exc.value.code == "duplicate_location"
    assert not Store.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_a_store_opened_twice_at_once_is_409_duplicate_store(make_store, require_postgres):
    """The second passed the "store exists?" check, then met the twin's stock location and was told
    of a location by that name (duplicate_location), not of the store the check speaks of."""
    from tests.concurrency import behind_open_transaction

    first, second = behind_open_transaction(lambda: make_store("HZ-001"), lambda: make_store("HZ-001"))
    assert isinstance(first, Store), first
    assert isinstance(second, Conflict) and second.code == "duplicate_store", repr(second)
    assert Store.objects.filter(code="HZ-001").count() == 1


def test_public_directory_lists_only_opened_active_stores(network, make_store):
    make_store("SH-009", opened_on=date(2999, 1, 1))
    network.bj.is_active = False
    network.bj.save()
    assert [s.code for s in public_stores()] == ["SH-001", "MU-001"]
    assert [s.code for s in public_stores("IN")] == ["MU-001"]
    with pytest.raises(NotFound):
        public_stores("XX")


def test_stores_of_each_role(network):
    assert {s.code for s in stores_of(network.staff.actor)} == {"SH-001", "BJ-001", "MU-001"}
    assert [s.code for s in stores_of(network.cashier_sh.actor)] == ["SH-001"]
    assert [s.code for s in stores_of(network.manager_bj.actor)] == ["BJ-001"]
    assert list(stores_of(network.customer.actor)) == []


def test_a_closed_store_is_visible_to_its_own_staff_and_the_back_office_only(network):
    network.sh.is_active = False
    network.sh.save()
    for person in (network.staff, network.manager_sh, network.cashier_sh):
        assert get_store(person.actor, "SH-001") == network.sh
    for actor in (network.customer.actor, network.cashier_bj.actor, None):
        with pytest.raises(NotFound):
            get_store(actor, "SH-001")
    assert get_store(None, "BJ-001") == network.bj


def test_staff_list_is_for_that_store_managers_and_the_back_office(network):
    names = [m.user.username for m in staff_of(network.manager_sh.actor, "SH-001")]
    assert names == ["cash-sh", "mgr-sh"]
    assert len(staff_of(network.staff.actor, "BJ-001")) == 2
    for person in (network.cashier_sh, network.manager_bj, network.cashier_bj, network.customer):
        with pytest.raises(Forbidden):
            staff_of(person.actor, "SH-001")


def test_a_manager_hires_and_dismisses_cashiers_at_their_store(network):
    newbie = make_person("newbie")
    member = assign_staff("SH-001", newbie.user.pk, "cashier", actor=network.manager_sh.actor)
    assert (member.store, member.role) == (network.sh, "cashier")
    assert newbie.actor.can_sell_at(network.sh.pk)
    remove_staff("SH-001", newbie.user.pk, actor=network.manager_sh.actor)
    assert not newbie.actor.can_sell_at(network.sh.pk)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_a_role_given_twice_at_once_leaves_one_membership_with_the_later_role(network, require_postgres):
    """Neither found a row to lock, so both inserted and the second met one_role_per_user_per_store
    as an IntegrityError (a 500); now it replaces the first's role, as one after the other does."""
    from tests.concurrency import behind_open_transaction

    newbie = make_person("newbie")
    first, second = behind_open_transaction(
        lambda: assign_staff("SH-001", newbie.user.pk, "cashier", actor=network.staff.actor),
        lambda: assign_staff("SH-001", newbie.user.pk, "manager", actor=network.staff.actor),
    )
    assert isinstance(first, StaffMember), first
    assert isinstance(second, StaffMember), repr(second)
    assert list(StaffMember.objects.filter(user=newbie.user).values_list("role", flat=True)) == ["manager"]


def test_assigning_again_replaces_the_role(network):
    assign_staff("SH-001", network.cashier_sh.user.pk, "manager", actor=network.staff.actor)
    assert StaffMember.objects.get(user=network.cashier_sh.user, store=network.sh).role == "manager"
    assert StaffMember.objects.filter(user=network.cashier_sh.user).count() == 1


@pytest.mark.parametrize(
    ("who", "store", "target", "role", "error"),
    [
        ("manager_bj", "SH-001", "customer", "cashier", Forbidden),  # another store
        ("cashier_sh", "SH-001", "customer", "cashier", Forbidden),  # cashiers do not hire
        ("customer", "SH-001", "customer", "cashier", Forbidden),
        ("manager_sh", "SH-001", "customer", "manager", Forbidden),  # managers are made by the back office
        ("manager_sh", "SH-001", "manager_sh", "cashier", Forbidden),  # nor unmade by a manager
        ("staff", "SH-001", "customer", "owner", Unprocessable),
        ("staff", "XX-404", "customer", "cashier", NotFound),
    ],
)
def test_assign_staff_refusals_change_nothing(network, who, store, target, role, error):
    before = set(StaffMember.objects.values_list("user_id", "store_id", "role"))
    with pytest.raises(error):
        assign_staff(store, getattr(network, target).user.pk, role, actor=getattr(network, who).actor)
    assert set(StaffMember.objects.values_list("user_id", "store_id", "role")) == before


def test_assigning_an_unknown_or_inactive_user_is_not_found(network):
    network.customer.user.is_active = False
    network.customer.user.save()
    for user_id in (network.customer.user.pk, 10**9):
        with pytest.raises(NotFound) as exc:
            assign_staff("SH-001", user_id, "cashier", actor=network.staff.actor)
        assert exc.value.code == "unknown_user"


@pytest.mark.parametrize(
    ("who", "target", "error"),
    [
        ("manager_bj", "cashier_sh", Forbidden),
        ("cashier_sh", "cashier_sh", Forbidden),
        ("manager_sh", "manager_sh", Forbidden),
        ("manager_sh", "customer", NotFound),
    ],
)
def test_remove_staff_refusals_change_nothing(network, who, target, error):
    before = StaffMember.objects.count()
    with pytest.raises(error):
        remove_staff("SH-001", getattr(network, target).user.pk, actor=getattr(network, who).actor)
    assert StaffMember.objects.count() == before


def test_back_office_removes_a_manager(network):
    remove_staff("SH-001", network.manager_sh.user.pk, actor=network.staff.actor)
    assert network.manager_sh.actor.store_roles == {}
