"""Token owners cached in Redis: cheap authentication that still refuses a revoked token at once.

With Redis (the PostgreSQL pass) a token's owner is read from the shared cache; every change that
could make that wrong (revocation, deleting the user, changing their flags) replaces the entry
before the next request, in every process. Without Redis nothing is cached.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from millet.accounts.models import ApiToken, hash_token
from millet.accounts.services import TokenOwner, issue_token, revoke_tokens, token_owner
from millet.accounts.services import tokens as services
from millet.core.ports import free_port
from tests.factories import ApiClient

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared_cache(settings):
    """The Redis cache every process shares; under CI a missing Redis fails rather than skips."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("Redis is required under CI for the token cache (set REDIS_URL)")
        pytest.skip("needs Redis (REDIS_URL=redis://...)")
    settings.REDIS_URL = url


def cached(raw: str) -> TokenOwner | None:
    return services.cached_owner(raw)


def fresh_token(user) -> str:
    """A token used a moment ago, so reading it records no use."""
    raw = issue_token(user)
    ApiToken.objects.filter(key_hash=hash_token(raw)).update(last_used_at=timezone.now())
    return raw


@pytest.mark.django_db
@pytest.mark.postgres
class TestWithRedis:
    def test_second_request_reads_the_cache_not_the_database(
        self, world, shared_cache, django_assert_num_queries
    ):
        alice = world.users["alice"]
        raw = fresh_token(alice)
        with django_assert_num_queries(1):
            first = token_owner(raw)
        assert cached(raw) is not None
        with django_assert_num_queries(0):
            assert token_owner(raw) == first
        assert (first.user_id, first.is_staff) == (alice.pk, False)

    def test_revoked_token_fails_on_the_next_request(self, world, shared_cache):
        raw = fresh_token(world.users["alice"])
        client = ApiClient(raw)
        assert client.get("/sales/orders").status_code == 200
        old_owner = cached(raw)
        revoke_tokens([old_owner.token_id])
        assert client.get("/sales/orders").status_code == 401
        assert token_owner(raw) is None
        # A request that read the row just before the revocation cannot put it back afterwards.
        key, value = f"acct:tok:{hash_token(raw)}", services._encode(old_owner)
        assert not services._redis().set(key, value, ex=60, nx=True)
        assert token_owner(raw) is None

    def test_deactivating_or_deleting_the_user_drops_their_tokens(self, world, shared_cache):
        User = get_user_model()
        bob = User.objects.create_user(username="bob-cache", password="pw")
        carol = User.objects.create_user(username="carol-cache", password="pw")
        raw_bob, raw_carol = fresh_token(bob), fresh_token(carol)
        assert token_owner(raw_bob) and token_owner(raw_carol)
        bob.is_active = False
        bob.save()
        assert token_owner(raw_bob) is None
        carol.delete()
        assert token_owner(raw_carol) is None

    def test_staff_flag_change_is_seen_at_once_but_a_login_keeps_the_entry(self, world, shared_cache):
        user = get_user_model().objects.create_user(username="dave-cache", password="pw")
        raw = fresh_token(user)
        assert token_owner(raw).is_staff is False
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])  # what signing in does
        assert cached(raw) is not None
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        assert token_owner(raw).is_staff is True

    def test_last_used_is_recorded_at_most_once_a_minute(
        self, world, shared_cache, django_assert_num_queries
    ):
        raw = issue_token(world.users["alice"])
        token = ApiToken.objects.get(key_hash=hash_token(raw))
        assert token.last_used_at is None
        with django_assert_num_queries(2):  # the lookup and the one write
            token_owner(raw)
        token.refresh_from_db()
        assert token.last_used_at is not None
        services._touched.clear()  # as if another process: the shared marker still stops it
        with django_assert_num_queries(0):
            token_owner(raw)


@pytest.mark.django_db
def test_without_redis_every_request_asks_the_database(world, settings, django_assert_num_queries):
    settings.REDIS_URL = ""
    raw = fresh_token(world.users["alice"])
    for _ in range(2):
        with django_assert_num_queries(1):
            assert token_owner(raw).user_id == world.users["alice"].pk
    revoke_tokens([ApiToken.objects.get(key_hash=hash_token(raw)).pk])
    assert token_owner(raw) is None
    assert ApiClient(raw).get("/sales/orders").status_code == 401


@pytest.mark.django_db
def test_stale_last_used_is_rewritten_without_redis(world, settings):
    settings.REDIS_URL = ""
    raw = issue_token(world.users["alice"])
    old = timezone.now() - timedelta(minutes=5)
    ApiToken.objects.filter(key_hash=hash_token(raw)).update(last_used_at=old)
    token_owner(raw)
    assert ApiToken.objects.get(key_hash=hash_token(raw)).last_used_at > old


APP_INSTANCE = """
import json, sys
import django
django.setup()
from millet.accounts.services import token_owner
for line in sys.stdin:
    owner = token_owner(line.strip())
    print(json.dumps(owner.user_id if owner else None), flush=True)
"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_revocation_reaches_another_app_instance_at_once(world, shared_cache):
    """A second process (its own Redis and database connections) caches the owner; revoking in this
    process makes its very next authentication fail."""
    if connection.vendor != "postgresql":
        pytest.skip("the second process needs the committed PostgreSQL test database")
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "millet.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}",
        "REDIS_URL": os.environ["REDIS_URL"],
        "PYTHONPATH": str(ROOT),
    }
    user = get_user_model().objects.create_user(username="erin-cache", password="pw")
    raw = fresh_token(user)
    other = subprocess.Popen(
        [sys.executable, "-c", APP_INSTANCE],
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def ask() -> int | None:
        other.stdin.write(raw + "\n")
        other.stdin.flush()
        return json.loads(other.stdout.readline())

    try:
        assert ask() == user.pk
        assert cached(raw) is not None  # the other instance filled the shared cache
        assert ask() == user.pk
        revoke_tokens(list(ApiToken.objects.filter(user=user).values_list("pk", flat=True)))
        assert ask() is None
    finally:
        other.stdin.close()
        other.wait(timeout=30)


@pytest.mark.django_db
def test_a_use_is_recorded_in_the_database_when_the_markers_redis_node_is_down(world, settings):
    """On a Redis Cluster the owner's entry and the use marker live in different slots: a failover
    of the marker's master must not fail a request whose owner was already read (it was a 500)."""
    port = free_port()  # nothing listens there
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    raw = issue_token(world.users["alice"])
    token = ApiToken.objects.get(key_hash=hash_token(raw))
    entry = services._encode(TokenOwner(token.pk, token.user_id, False, 0.0)).encode()
    services._touched.clear()
    assert services.owner_from_cache(raw, entry).user_id == world.users["alice"].pk
    token.refresh_from_db()
    assert token.last_used_at is not None
