"""Shared fixtures: a small but real company (markets, catalog, stock, stores, people)."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from millet.accounts.actor import actor_for_user


def worker_environment(worker: str, environ: dict[str, str]) -> dict[str, str]:
    """What worker ``gwN`` of a parallel run (``pytest -n``) must see apart from the others.

    pytest-django already gives each worker its own test database. What the settings read from the
    environment, it cannot split: ``REDIS_URL``'s database index (worker N takes the suite's index
    minus N, so one worker's flush of sign-in counters or of a flash sale never reaches another's)
    and ``MILLET_DATA_DIR`` (the demo's device manifest, mail and uploads; a subdirectory each).
    Brokers, live servers and private database servers already pick free ports of their own."""
    number = int(worker.removeprefix("gw"))
    changed: dict[str, str] = {}
    if url := environ.get("REDIS_URL"):
        parts = urlsplit(url)
        index = int(parts.path.strip("/") or 0)
        index = index - number if index >= number else index + number
        changed["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{index}"))
    if data_dir := environ.get("MILLET_DATA_DIR"):
        changed["MILLET_DATA_DIR"] = os.path.join(data_dir, worker)
        os.makedirs(changed["MILLET_DATA_DIR"], exist_ok=True)
    return changed


def pytest_configure_node(node) -> None:
    """pytest-xdist, in the controller, before the worker's pytest starts (and reads the settings)."""
    changed = worker_environment(node.workerinput["workerid"], dict(os.environ))
    node.gateway.remote_exec(f"import os; os.environ.update({changed!r})").waitclose()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed MQTT test's report carries where the broker's tasks and this process's threads were
    waiting when it failed: a rare stall shows its cause in the CI log instead of only a timeout."""
    report = yield
    if report.failed and call.when == "call":
        from tests.devices.mqtt_fixtures import Broker, thread_stacks

        brokers = [v for v in getattr(item, "funcargs", {}).values() if isinstance(v, Broker)]
        for broker in brokers:
            report.sections.append((f"{broker.mode} broker at failure", broker.describe()))
        if brokers:
            report.sections.append(("threads at failure", thread_stacks()))
    return report


@pytest.fixture(autouse=True)
def _stop_mqtt_leftovers():
    """After each test, stop the workers and MQTT clients it left running (``mqtt_fixtures``): after
    a failure they would reconnect to the test's stopped broker for the rest of the session."""
    yield
    fixtures = sys.modules.get("tests.devices.mqtt_fixtures")  # imported only by the tests that use it
    if fixtures is not None:
        fixtures.stop_leftovers()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """A test that asks for ``require_postgres`` or ``require_shared_cache`` runs in the PostgreSQL
    pass (the one with Redis): marked ``postgres`` here, so the SQLite pass (``-m "not postgres"``)
    leaves it out even when its author forgot the mark (a race test without it failed the SQLite
    pass under CI)."""
    for item in items:
        if {"require_postgres", "require_shared_cache"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def require_postgres():
    """Tests of row locks and true concurrency need PostgreSQL; under CI its absence is a failure."""
    if not is_postgres():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is required under CI (set DATABASE_URL to a PostgreSQL database)")
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture
def world(db):
    """Markets CN/IN/DE, a few products with prices, a warehouse and two stores per market."""
    from tests.factories import build_world

    return build_world()


@pytest.fixture
def actor_of():
    return actor_for_user


@pytest.fixture
def api_client():
    from tests.factories import ApiClient

    return ApiClient


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness protects real passwords; test users need none of it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def migrate(transactional_db):
    """``migrate((app, migration))`` takes the test database's schema there (a data migration's test
    writes rows as they were before it, then migrates forward). Afterwards every app is taken back to
    its newest migration, so the tests after it, on the same database, find the schema the code
    expects. Migrations run outside a test's transaction, hence ``transactional_db``."""
    from django.db.migrations.executor import MigrationExecutor

    def to(*targets: tuple[str, str]) -> None:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()  # what the last run applied or unapplied
        executor.migrate(list(targets) or executor.loader.graph.leaf_nodes())

    yield to
    to()


@pytest.fixture
def require_shared_cache():
    """Facts kept in the shared cache (``core.shared_cache``) need Redis; under CI its absence fails."""
    from millet.core.shared_cache import shared

    if not shared():
        if os.environ.get("CI"):
            pytest.fail("Redis is required under CI for the shared cache (set REDIS_URL)")
        pytest.skip("needs Redis (REDIS_URL=redis://...)")


@pytest.fixture
def redis_outage():
    """A private Redis (tests/private_redis.py) behind everything ``REDIS_URL`` reaches: Django's
    cache, cached sessions, sign-in counts, the token cache, the flash-sale gate. The test sets up
    with it answering, then ``stop()``s it. The suite's own Redis is back before any other
    fixture's teardown (a flash-sale campaign's is forgotten there)."""
    from tests.private_redis import PrivateRedis, redis_at

    server = PrivateRedis()
    server.start()
    try:
        with redis_at(server.url):
            yield server
    finally:
        server.close()


@pytest.fixture(autouse=True)
def _fresh_signin_limits():
    """Sign-in and throttle counts and the shared cache's facts live in Redis when REDIS_URL is set,
    outside the test's transaction: one test's failed sign-ins from 127.0.0.1 must not lock the next
    test out for 15 minutes, nor its flash sale reach the next test's menu. (The suite's Redis, read
    before the test: some tests point REDIS_URL at a private server of their own.)"""
    from django.conf import settings

    url = settings.REDIS_URL
    yield
    if url:
        from millet.core import redis_client

        client = redis_client.connect(url)
        try:
            for pattern in ("*:axes-*", "*:throttle_*", "*:facts:*"):
                keys = list(client.scan_iter(pattern, count=1000))
                if keys:
                    client.delete(*keys)
        finally:
            client.close()


@pytest.fixture(autouse=True)
def _default_language():
    """A request served in the test's thread activates its language (millet/web/middleware.py) and
    nothing switches it back: the next test in that process would make its products with names in
    that language only. Each test starts in the default language."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_market_caches():
    """Market, tax and ledger-account facts are cached per process; a rolled-back test must not leak them."""
    from millet.finance.services import forget_accounts
    from millet.regions.services import clear_caches

    clear_caches()
    forget_accounts()
    yield
    clear_caches()
    forget_accounts()


@pytest.fixture(autouse=True)
def _statements_stay_in_their_domain(request):
    """Every SQL statement Millet's code issues touches only its own domain's tables (the rest it asks
    of that domain's services); see tests/architecture/tables.py. A test fails on the first that does not."""
    from tests.architecture.tables import foreign_tables, issuing_app

    crossings: list[str] = []

    def check(execute, sql, params, many, context):
        issuer = issuing_app()
        if issuer is not None:
            foreign = foreign_tables(sql, issuer[1])
            if foreign:
                crossings.append(f"{issuer[0]} ({issuer[1]}) touched {sorted(foreign)}: {sql[:300]}")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(check):
        yield
    assert not crossings, "statements crossed into other domains' tables:\n" + "\n".join(
        dict.fromkeys(crossings)
    )
