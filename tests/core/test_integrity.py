"""``millet.core.integrity``: a refused insert is "it exists" only when the row is there.

``KeyedRequest`` stands for any table: its unique key (person, key) is the one a service guards,
and its NOT NULL fingerprint is "another constraint" the same insert can meet."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError

from millet.core.errors import Conflict
from millet.core.integrity import created_or_found, taken_or_raise
from millet.core.models import KeyedRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    return get_user_model().objects.create_user("keyholder")


def keyed(person, key: str):
    return KeyedRequest.objects.filter(actor=person, key=key)


def test_a_key_taken_before_is_refused_without_running_the_block(person):
    """The common case is asked first: no insert is tried, so none fails."""
    KeyedRequest.objects.create(actor=person, key="k0", request_fingerprint="f")
    ran = []
    with pytest.raises(Conflict) as refused, taken_or_raise(keyed(person, "k0"), Conflict("k0 exists")):
        ran.append(True)
    assert str(refused.value) == "k0 exists" and not ran


def test_the_unique_key_met_is_the_conflict(person):
    """A twin that passed the same question at the same moment: the insert itself is refused."""
    KeyedRequest.objects.create(actor=person, key="k1", request_fingerprint="f")
    with (
        pytest.raises(Conflict) as refused,
        taken_or_raise(keyed(person, "k1"), Conflict("k1 exists"), check_first=False),
    ):
        KeyedRequest.objects.create(actor=person, key="k1", request_fingerprint="g")
    assert str(refused.value) == "k1 exists"


def test_another_constraint_is_raised_as_itself_and_the_transaction_goes_on(person):
    """The NOT NULL refuses the row and no row holds the key: the IntegrityError is the answer, and
    the re-check ran after the savepoint was rolled back, so the transaction still answers queries
    (PostgreSQL refuses every query in an aborted one)."""
    with pytest.raises(IntegrityError), taken_or_raise(keyed(person, "k2"), Conflict("k2 exists")):
        KeyedRequest.objects.create(actor=person, key="k2", request_fingerprint=None)
    assert not keyed(person, "k2").exists()


def test_a_twin_made_first_is_the_answer(person):
    twin = KeyedRequest.objects.create(actor=person, key="k3", request_fingerprint="f")
    made = created_or_found(
        lambda: KeyedRequest.objects.create(actor=person, key="k3", request_fingerprint="g"),
        keyed(person, "k3").first,
    )
    assert made == twin


def test_no_twin_found_raises_the_integrity_error(person):
    with pytest.raises(IntegrityError):
        created_or_found(
            lambda: KeyedRequest.objects.create(actor=person, key="k4", request_fingerprint=None),
            keyed(person, "k4").first,
        )
    assert not keyed(person, "k4").exists()
