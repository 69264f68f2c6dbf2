"""The gate's HTTP path: with Redis, an authenticated claim costs no database query at all."""

from __future__ import annotations

from django.conf import settings


def test_a_warm_buyer_claims_without_touching_the_database(world, make_campaign, django_assert_num_queries):
    campaign = make_campaign(3, limit=1)
    path = f"/flashsale/campaigns/{campaign.code}/claims"
    alice, bob = world.client("alice"), world.client("bob")
    assert alice.post(path).status_code == 201
    assert bob.get(path).status_code == 200  # bob was signed in before the sale
    if not settings.REDIS_URL:  # the database gate: the claim is a transaction, auth a query
        assert bob.post(path).status_code == 201
        assert alice.post(path).json()["error"] == "limit"
        return
    with django_assert_num_queries(0):  # token owner from the shared cache, the claim in Redis
        won = bob.post(path)
        refused = alice.post(path)
    assert won.status_code == 201 and won.json()["status"] == "queued"
    assert refused.status_code == 409 and refused.json()["error"] == "limit"


class RedisCalls:
    """Counts the commands every Redis client in this process sends (a pipeline counts as one)."""

    def __init__(self, monkeypatch) -> None:
        import redis

        self.commands: list[str] = []
        real = redis.Redis.execute_command

        def counted(client, *args, **options):
            self.commands.append(str(args[0]))
            return real(client, *args, **options)

        monkeypatch.setattr(redis.Redis, "execute_command", counted)


def test_a_warm_claim_is_one_redis_round_trip_and_answers_as_the_route_does(
    world, make_campaign, django_assert_num_queries, monkeypatch
):
    campaign = make_campaign(3, limit=1)
    path = f"/flashsale/campaigns/{campaign.code}/claims"
    alice, bob = world.client("alice"), world.client("bob")
    first = alice.post(path)  # the full path: the route authenticates and fills the token cache
    assert first.status_code == 201
    if not settings.REDIS_URL:
        return
    bob.get(path)  # bob's token owner cached
    calls = RedisCalls(monkeypatch)
    with django_assert_num_queries(0):
        won = bob.post(path)
        refused = alice.post(path)
    assert calls.commands == ["EVALSHA", "EVALSHA"]  # the token check inside the gate's script
    assert won.status_code == 201 and won.json().keys() == first.json().keys()
    assert won["Content-Type"] == first["Content-Type"]
    assert won.json()["status"] == "queued" and won.json()["campaign"] == campaign.code
    assert refused.status_code == 409
    assert refused.json() == {"error": "limit", "detail": "you have reached this sale's limit"}


def test_a_revoked_token_fails_on_the_next_claim_and_an_unknown_one_never_claims(world, make_campaign):
    from millet.accounts.models import ApiToken
    from millet.accounts.services import revoke_tokens

    campaign = make_campaign(5, limit=3)
    path = f"/flashsale/campaigns/{campaign.code}/claims"
    bob = world.client("bob")
    assert bob.post(path).status_code == 201
    assert bob.post(path).status_code == 201  # warm: answered before the route when Redis is on
    revoke_tokens(list(ApiToken.objects.filter(user__username="bob").values_list("pk", flat=True)))
    gone = bob.post(path)
    assert gone.status_code == 401 and gone.json()["error"] == "unauthorized"
    from tests.factories import ApiClient

    stranger = ApiClient("mlt_not-a-token").post(path)
    assert stranger.status_code == 401
