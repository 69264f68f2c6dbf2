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
