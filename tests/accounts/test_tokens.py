"""Trading a password for a bearer token, and what the token can then do."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.factories import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def test_password_gives_a_token_that_signs_requests(world):
    response = ApiClient().post("/accounts/tokens", {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 201
    token = response.json()["token"]
    assert ApiClient(token).get("/sales/orders").status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"username": "alice", "password": "wrong"}, 401),
        ({"username": "nobody", "password": "pw"}, 401),
        ({"username": "", "password": "pw"}, 422),
        ({"username": "alice"}, 422),
    ],
)
def test_bad_credentials_are_refused(world, body, status):
    assert ApiClient().post("/accounts/tokens", body).status_code == status


def test_password_guessing_is_throttled(world):
    client = ApiClient()
    answers = [
        client.post("/accounts/tokens", {"username": "alice", "password": f"guess{i}"}).status_code
        for i in range(12)
    ]
    assert answers[:9] == [401] * 9  # the tenth failure locks the account name and the address out
    assert answers[9:] == [429, 429, 429]
