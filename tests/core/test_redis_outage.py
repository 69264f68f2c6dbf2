"""Redis down (a private redis-server, killed mid-test): pages and API routes answer 503 with
Retry-After and a translated sentence where Redis holds the truth, and keep working where it only
saves work; nothing is half-written.

Each test sets its world up with Redis answering, then stops it (``redis_outage``, tests/conftest.py).
"""

from __future__ import annotations

import time

import pytest
import redis
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import translation

from millet.accounts.models import ApiToken
from millet.core import redis_client
from millet.core.errors import Conflict
from millet.core.outage import RETRY_AFTER_SECONDS, is_unavailable, unavailable_detail
from tests.private_redis import redis_at
from tests.redis_cluster import PrivateCluster

OUTAGE_PAGE_HEADING = "We are back in a moment"  # 503.html's
API_OUTAGE = "a service Millet depends on is not answering; try again in a moment"


def raised_from(cause: BaseException, exc: BaseException) -> BaseException:
    try:
        raise exc from cause
    except BaseException as raised:  # noqa: BLE001 - the exception itself is the point
        return raised


def raised_while_handling(first: BaseException, exc: BaseException) -> BaseException:
    try:
        try:
            raise first
        except BaseException:  # noqa: BLE001
            raise exc  # noqa: B904 - deliberately not "from": only its context names the first
    except BaseException as raised:  # noqa: BLE001
        return raised


def test_an_outage_is_told_by_the_error_or_what_it_was_raised_from():
    refused = redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    assert is_unavailable(refused) and is_unavailable(redis.TimeoutError("Timeout reading from socket"))
    assert is_unavailable(redis.exceptions.ClusterDownError("CLUSTERDOWN The cluster is down"))
    assert is_unavailable(redis.exceptions.ClusterError("TTL exhausted."))
    cluster_gone = redis.exceptions.RedisClusterException("Redis Cluster cannot be connected.")
    assert is_unavailable(raised_from(refused, cluster_gone))  # how redis-py's cluster client says it
    misconfigured = redis.exceptions.RedisClusterException("Cluster mode is not enabled on this node")
    assert not is_unavailable(misconfigured)
    assert not is_unavailable(redis.ResponseError("WRONGTYPE"))  # a bug, not an outage
    assert not is_unavailable(raised_while_handling(refused, KeyError("x")))  # a bug in the handler
    assert not is_unavailable(Conflict("sold out"))


def back(server) -> None:
    """Redis restarted (its AOF), and this process asks it again: as it does ``QUIET_SECONDS`` after
    it last found it down (``redis_client.seems_down``)."""
    server.start()
    redis_client.reset()


def browser(language: str) -> Client:
    client = Client()
    client.cookies["django_language"] = language
    return client


def in_language(language: str, text: str) -> str:
    with translation.override(language):
        translated = translation.gettext(text)
    assert translated != text, f"no {language} translation of {text!r}"
    return translated


def assert_outage_page(response, language: str) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Language"] == language
    page = response.content.decode()
    assert in_language(language, OUTAGE_PAGE_HEADING) in page and 'class="notice-page"' in page
    assert "Traceback" not in page


@pytest.mark.postgres  # needs redis-server: the PostgreSQL pass runs with Redis
@pytest.mark.django_db
def test_the_sign_in_page_shows_but_signing_in_waits_for_the_failure_counts(world, redis_outage):
    """The page needs no Redis; signing in does: failed sign-ins are counted there, and a guesser must
    not get unlimited tries while they cannot be. Nobody is signed in, no session is written."""
    redis_outage.stop()
    visitor = browser("de")
    assert visitor.get("/account/login/").status_code == 200
    answer = visitor.post("/account/login/", {"login": "alice", "password": "pw-alice"})
    assert_outage_page(answer, "de")
    world.users["alice"].refresh_from_db()
    assert world.users["alice"].last_login is None
    assert not Session.objects.exists() and "sessionid" not in answer.cookies


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # outside a test transaction: the header's count is kept in Redis
def test_a_signed_in_shopper_keeps_browsing_and_filling_the_cart(world, redis_outage):
    """The session and the header's cart count are read from the database while Redis is down, and a
    change made meanwhile is not hidden by the count Redis kept from before, once it is back."""
    alice = browser("en")
    alice.force_login(world.users["alice"])
    alice.post("/shop/cn/cart/add/", {"sku": "MI6-64", "quantity": 2})
    assert 'aria-label="Cart, 2 items"' in alice.get("/shop/cn/").content.decode()  # kept in Redis

    redis_outage.stop()
    home = alice.get("/shop/cn/")
    assert home.status_code == 200 and 'aria-label="Cart, 2 items"' in home.content.decode()
    assert alice.post("/shop/cn/cart/add/", {"sku": "MI6-64", "quantity": 1}).status_code == 302
    assert 'aria-label="Cart, 3 items"' in alice.get("/shop/cn/cart/").content.decode()

    back(redis_outage)  # its AOF brings back the count it kept: 2
    assert 'aria-label="Cart, 3 items"' in alice.get("/shop/cn/").content.decode()


@pytest.mark.postgres
@pytest.mark.django_db
def test_signing_out_waits_for_redis_and_the_session_stays_whole(world, redis_outage):
    """A signed-out session's entry left in Redis would sign its cookie in again: signing out is
    refused before the session's row is touched, and works once Redis is back."""
    alice = browser("hi")
    alice.force_login(world.users["alice"])
    assert alice.get("/account/").status_code == 200

    redis_outage.stop()
    assert_outage_page(alice.post("/account/logout/"), "hi")
    assert Session.objects.count() == 1
    assert alice.get("/account/").status_code == 200  # still signed in, read from the database

    back(redis_outage)
    assert alice.post("/account/logout/").status_code == 302
    assert not Session.objects.exists()
    assert alice.get("/account/").status_code == 302  # to the sign-in page


@pytest.mark.postgres
@pytest.mark.django_db
def test_an_api_route_answers_the_api_error_with_retry_after_and_issues_no_token(world, redis_outage):
    """Trading a password for a token is throttled per address in Redis: 503 in the API's error body,
    in the language asked, and no token. A route Redis only speeds up (the token cache) answers."""
    redis_outage.stop()
    tokens = ApiToken.objects.count()
    answer = Client().post(
        "/api/accounts/tokens",
        {"username": "alice", "password": "pw-alice"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert answer.status_code == 503 and answer["Retry-After"] == str(RETRY_AFTER_SECONDS)
    with translation.override("zh-hans"):
        detail = unavailable_detail()
    assert answer.json() == {"error": "service_unavailable", "detail": detail}
    assert detail == in_language("zh-hans", API_OUTAGE)
    assert ApiToken.objects.count() == tokens

    orders = world.client("alice").get("/sales/orders")  # the bearer token read from the database
    assert orders.status_code == 200 and orders.json() == []


TIMEOUT = 3  # seconds: far above a page's own time, even on a loaded machine


@pytest.fixture
def short_timeouts(monkeypatch):
    """Redis calls give up after ``TIMEOUT`` (set before ``redis_outage`` builds its clients)."""
    monkeypatch.setattr(redis_client, "SOCKET_TIMEOUT", TIMEOUT)
    monkeypatch.setattr(redis_client, "CONNECT_TIMEOUT", TIMEOUT)


def seconds(call, *args):
    began = time.monotonic()
    return call(*args), time.monotonic() - began


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hung_redis_costs_one_timeout_then_pages_go_without_it(world, short_timeouts, redis_outage):
    """A Redis that hangs (SIGSTOP) rather than refuses: the first page waits out one timeout, and
    for ``QUIET_SECONDS`` after it the session, the header's count and the token cache go straight
    to the database. Before, each call waited its own (a signed-in store page 3 of them, 15 s)."""
    alice = browser("en")
    alice.force_login(world.users["alice"])
    assert alice.get("/shop/cn/").status_code == 200
    redis_outage.freeze()
    try:
        first, waited = seconds(alice.get, "/shop/cn/")
        assert first.status_code == 200 and TIMEOUT <= waited < 2 * TIMEOUT
        for page in (
            lambda: alice.get("/shop/cn/"),
            lambda: alice.get("/shop/cn/cart/"),
            lambda: world.client("bob").get("/sales/orders"),
        ):
            answer, waited = seconds(page)
            assert answer.status_code == 200 and waited < TIMEOUT
    finally:
        redis_outage.thaw()


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_cluster_with_every_master_gone_is_an_outage_like_one_redis(world):
    """``REDIS_URL=redis+cluster://``: the cluster client's own errors ("cannot be connected", raised
    from the last node's connection error) answer as one Redis's do."""
    cluster = PrivateCluster()
    try:
        cluster.start()
        with redis_at(cluster.url):
            alice = browser("en")
            alice.force_login(world.users["alice"])
            assert alice.get("/shop/cn/").status_code == 200
            cluster.stop()
            assert alice.get("/shop/cn/").status_code == 200  # session and count from the database
            assert_outage_page(
                browser("de").post("/account/login/", {"login": "bob", "password": "pw-bob"}), "de"
            )
            answer = Client().post(
                "/api/accounts/tokens",
                {"username": "bob", "password": "pw-bob"},
                content_type="application/json",
            )
            assert answer.status_code == 503 and answer.json()["error"] == "service_unavailable"
            assert answer["Retry-After"] == str(RETRY_AFTER_SECONDS)
    finally:
        cluster.stop()
