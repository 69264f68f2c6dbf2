"""Failed sign-ins are limited per account and per client address, and a header cannot reset either.

Issue 8, fault 4: 40 guesses for one user, each with a different X-Forwarded-For, got 40 answers of
401 and no 429.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import cache
from django.test import Client

from millet.core.client_address import parse_trusted_proxies
from tests.factories import ApiClient

pytestmark = pytest.mark.django_db

LIMIT = 10  # AXES_FAILURE_LIMIT: the tenth failure is answered 429
LOCKED = {"error": "too_many_attempts", "detail": "too many failed sign-ins; try again later"}


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def behind_proxy(settings):
    """The test client connects from 127.0.0.1; name it the trusted proxy."""
    settings.MILLET_TRUSTED_PROXIES = parse_trusted_proxies("127.0.0.1")


def guess(username: str, *, address: str | None = None, password: str = "guess") -> tuple[int, dict]:
    headers = {"HTTP_X_FORWARDED_FOR": address} if address else {}
    response = ApiClient().post("/accounts/tokens", {"username": username, "password": password}, **headers)
    return response.status_code, response.json()


def test_forty_guesses_with_forged_forwarded_for_headers_are_throttled(world):
    answers = [guess("alice", address=f"198.51.100.{i}")[0] for i in range(40)]
    assert answers == [401] * (LIMIT - 1) + [429] * (40 - LIMIT + 1)


def test_a_guesser_spread_over_many_real_addresses_is_stopped_per_account(world, behind_proxy):
    # Each guess really comes from its own address (the trusted proxy says so): only the count per
    # account can stop them, and it does; then not even the right password opens the account.
    answers = [guess("alice", address=f"198.51.100.{i}") for i in range(40)]
    assert [status for status, _ in answers] == [401] * (LIMIT - 1) + [429] * (40 - LIMIT + 1)
    assert answers[-1][1] == LOCKED
    assert guess("alice", address="203.0.113.250", password="pw-alice") == (429, LOCKED)
    # Spellings of the same name share the count.
    assert guess("ALICE ", address="203.0.113.251")[0] == 429
    # Another account from a fresh address is untouched.
    assert guess("bob", address="203.0.113.252", password="pw-bob")[0] == 201


def test_the_api_says_a_lockout_in_english_with_its_code_and_a_page_in_the_persons_language(world):
    """The API answered the lockout in the request's language ('登录失败次数过多'), where every other
    API refusal is English with a code; the sign-in page says it in the person's language."""
    chinese = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    answers = [
        ApiClient().post("/accounts/tokens", {"username": "alice", "password": "guess"}, **chinese)
        for _ in range(LIMIT)
    ]
    assert answers[0].json() == {"error": "bad_credentials", "detail": "unknown user or wrong password"}
    assert (answers[-1].status_code, answers[-1].json()) == (429, LOCKED)
    page = Client(headers={"Accept-Language": "zh-hans"}).post(
        "/admin/login/", {"username": "alice", "password": "guess"}
    )
    assert page.status_code == 429 and "登录失败次数过多，请稍后再试" in page.content.decode()


def test_an_unknown_account_is_answered_and_throttled_exactly_like_a_real_one(world, behind_proxy, settings):
    settings.PASSWORD_HASHERS = ["tests.accounts.test_signin_limits.CountingHasher"]
    CountingHasher.calls = 0
    real, work_real = [], []
    unknown, work_unknown = [], []
    for i in range(LIMIT + 2):
        real.append(guess("alice", address=f"198.51.100.{i}"))
        work_real.append(CountingHasher.take())
        unknown.append(guess("nobody-here", address=f"198.51.101.{i}"))
        work_unknown.append(CountingHasher.take())
    assert real == unknown
    # The same password-hashing work either way (so the same time): one hash per checked guess, none
    # once locked out. Django's ModelBackend hashes the password of an unknown user too.
    assert work_real == work_unknown == [1] * (LIMIT) + [0, 0]


class CountingHasher(MD5PasswordHasher):
    """The test's fast hasher, counting how often a password is hashed."""

    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)

    @classmethod
    def take(cls) -> int:
        calls, cls.calls = cls.calls, 0
        return calls


def test_a_trusted_proxys_header_is_honoured_and_an_untrusted_peers_is_not(world, behind_proxy):
    # Ten failures from one real address, each for a different name: that address is locked out.
    answers = [guess(f"nobody{i}", address="203.0.113.7")[0] for i in range(LIMIT)]
    assert answers == [401] * (LIMIT - 1) + [429]
    assert guess("alice", address="203.0.113.7", password="pw-alice")[0] == 429
    # The proxy says the next request is someone else: believed.
    assert guess("alice", address="203.0.113.8", password="pw-alice")[0] == 201
    # A peer that is not the proxy: its header is ignored, it is counted as itself.
    direct = Client(REMOTE_ADDR="192.0.2.99", HTTP_X_FORWARDED_FOR="203.0.113.7")
    response = direct.post(
        "/api/accounts/tokens", {"username": "bob", "password": "pw-bob"}, content_type="application/json"
    )
    assert response.status_code == 201


def test_the_admin_login_is_limited_by_the_same_rule(world):
    staff = world.users["staff"]
    client = Client()
    answers = []
    for i in range(LIMIT + 1):
        response = client.post(
            "/admin/login/",
            {"username": staff.username, "password": f"guess{i}"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        )
        answers.append(response.status_code)
    assert answers == [200] * (LIMIT - 1) + [429, 429]  # 200: the form again, with an error
    assert int(response["Retry-After"]) == 15 * 60
    assert "Sign-in paused" in response.content.decode()
    right = client.post("/admin/login/", {"username": staff.username, "password": "pw-staff"})
    assert right.status_code == 429


def test_failures_are_counted_where_every_worker_process_sees_them(world, settings):
    """Redis when REDIS_URL is set, the database otherwise: never one process's memory."""
    guess("alice")
    if settings.REDIS_URL:
        import redis

        assert list(redis.Redis.from_url(settings.REDIS_URL).scan_iter("*:axes-*"))
    else:
        from axes.models import AccessAttempt

        assert AccessAttempt.objects.filter(username="account:alice", failures_since_start=1).exists()
