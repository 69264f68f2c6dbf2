"""Fixtures for regions and for the catalog tests that need markets."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from millet.accounts.services import issue_token
from millet.regions.services import clear_caches, ensure_default_markets


@pytest.fixture(autouse=True)
def fresh_region_caches():
    """Market facts are cached per process, and a rolled-back test sends no signal to clear them."""
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def markets(db) -> None:
    ensure_default_markets()


@pytest.fixture
def staff_token(db) -> str:
    return issue_token(get_user_model().objects.create_user("merchandiser", is_staff=True))


@pytest.fixture
def customer_token(db) -> str:
    return issue_token(get_user_model().objects.create_user("shopper"))


@pytest.fixture
def admin_client(client, db):
    client.force_login(get_user_model().objects.create_superuser("root", password="pw-root-long"))
    return client
