"""Saved addresses: each market's rules, India's state (GST place of supply), only one's own."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from millet.accounts.actor import actor_for_user
from millet.accounts.postal import AddressFields
from millet.accounts.services import (
    MAX_ADDRESSES,
    InvalidAddress,
    delete_address,
    get_address,
    list_addresses,
    save_address,
)
from millet.core.errors import Conflict, NotFound
from millet.regions.services import ensure_default_markets

pytestmark = pytest.mark.django_db
MUMBAI = AddressFields("IN", "Ravi Shah", "+91 98200 12345", "1 Marine Drive", "Mumbai", "400020", state="27")


@pytest.fixture
def people():
    ensure_default_markets()
    users = get_user_model().objects
    return actor_for_user(users.create_user("ravi")), actor_for_user(users.create_user("mallory"))


def test_an_indian_address_keeps_its_gst_state(people):
    ravi, _ = people
    saved = save_address(ravi, MUMBAI)
    assert saved.gst_state_code == "27" and saved.state_label == "Maharashtra"
    assert [a.id for a in list_addresses(ravi)] == [saved.id]


def test_an_address_typed_with_devanagari_or_full_width_digits_is_saved_in_ascii(people):
    """A PIN code typed "४०००२०" was refused as "A PIN code has six digits", six being what was typed: a
    PIN code and a phone are read by the one rule for typed numbers (``core.typed_numbers``)."""
    ravi, _ = people
    typed = AddressFields(
        "IN", "Ravi Shah", "+९१ ९८२०० १२३४५", "1 Marine Drive", "Mumbai", "४०००२०", state="27"
    )
    saved = save_address(ravi, typed)
    assert (saved.phone, saved.postal_code) == ("+91 98200 12345", "400020")
    wide = AddressFields(
        "CN", "Li Lei", "１３８ ００１３ ８０００", "88 Century Avenue", "Shanghai", "２００１２０"
    )
    in_china = save_address(ravi, wide)
    assert (in_china.phone, in_china.postal_code) == ("138 0013 8000", "200120")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"state": ""}, "state"),
        ({"state": "25"}, "state"),  # Daman and Diu's retired code
        ({"postal_code": "012345"}, "postal_code"),
        ({"postal_code": "40002"}, "postal_code"),
        ({"phone": "12345"}, "phone"),
        ({"recipient": "  "}, "recipient"),
        ({"city": "x" * 65}, "city"),
    ],
)
def test_an_incomplete_indian_address_is_refused_by_field(people, changes, field):
    ravi, _ = people
    with pytest.raises(InvalidAddress) as refused:
        save_address(ravi, AddressFields(**{**MUMBAI.__dict__, **changes}))
    assert field in refused.value.problems and refused.value.status_code == 422
    assert list_addresses(ravi) == []


def test_other_markets_have_their_own_rules(people):
    ravi, _ = people
    berlin = AddressFields("DE", "Ravi Shah", "030 1234567", "Unter den Linden 1", "Berlin", "10117")
    assert save_address(ravi, berlin).gst_state_code is None
    shanghai = AddressFields("CN", "李伟", "138 0013 8000", "南京东路 1 号", "上海", "200001", state="上海")
    assert save_address(ravi, shanghai).state_label == "上海"
    with pytest.raises(InvalidAddress):
        save_address(ravi, AddressFields(**{**berlin.__dict__, "postal_code": "1011"}))


def test_nobody_reaches_another_persons_address(people):
    ravi, mallory = people
    saved = save_address(ravi, MUMBAI)
    for verb in (lambda: get_address(mallory, saved.id), lambda: delete_address(mallory, saved.id)):
        with pytest.raises(NotFound):
            verb()
    with pytest.raises(NotFound):
        save_address(mallory, MUMBAI, saved.id)
    client = Client()
    client.force_login(get_user_model().objects.get(username="mallory"))
    assert client.get(f"/account/addresses/{saved.id}/").status_code == 404
    assert client.post(f"/account/addresses/{saved.id}/delete/").status_code == 404
    assert get_address(ravi, saved.id) == saved


def test_an_address_book_has_a_limit(people):
    ravi, _ = people
    for _ in range(MAX_ADDRESSES):
        save_address(ravi, MUMBAI)
    with pytest.raises(Conflict):
        save_address(ravi, MUMBAI)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_addresses_added_at_once_at_the_limit_keep_the_limit(people, require_postgres):
    """Both counted one below the limit (the other's address not yet committed), so the book
    held one more than ``MAX_ADDRESSES``; the second now waits on the person's row and is 409."""
    from tests.concurrency import behind_open_transaction

    ravi, _ = people
    for _ in range(MAX_ADDRESSES - 1):
        save_address(ravi, MUMBAI)
    first, second = behind_open_transaction(
        lambda: save_address(ravi, MUMBAI), lambda: save_address(ravi, MUMBAI)
    )
    assert not isinstance(first, Exception), first
    assert isinstance(second, Conflict) and second.code == "too_many_addresses", repr(second)
    assert len(list_addresses(ravi)) == MAX_ADDRESSES
