"""The gate's Redis down (a private redis-server, killed mid-sale): every way of claiming answers 503
with Retry-After and a translated sentence, and nothing moves: no claim, order or stock row, and the
restarted gate (its AOF) holds the units it held."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from millet.core.outage import RETRY_AFTER_SECONDS
from millet.flashsale.models import Claim, CustomerTally
from millet.flashsale.services import gate
from millet.inventory.models import Stock
from millet.sales.models import Order

GATE_DOWN = "the flash-sale gate is not answering; try again in a moment"


def recorded() -> tuple:
    """Everything a claim could write in the database."""
    return (
        list(Claim.objects.order_by("pk").values()),
        list(CustomerTally.objects.order_by("pk").values()),
        Order.objects.count(),
        list(Stock.objects.order_by("pk").values()),
    )


@pytest.mark.postgres
@pytest.mark.parametrize("gate_mode", ["redis"], indirect=True)
def test_claims_while_the_gate_is_down_answer_503_and_take_nothing(world, make_campaign, redis_outage):
    campaign = make_campaign(5, limit=2)
    path = f"/flashsale/campaigns/{campaign.code}/claims"
    alice, bob = world.client("alice"), world.client("bob")
    assert alice.post(path).status_code == 201  # alice's token owner is now in the token cache
    shopper = Client()
    shopper.cookies["django_language"] = "de"
    shopper.force_login(world.users["bob"])
    sale = f"/shop/cn/flash/{campaign.code}/"
    attempt = shopper.get(sale).context["form"]["attempt"].value()
    before = recorded()

    redis_outage.stop()
    answers = {
        "fast path": alice.post(path, HTTP_ACCEPT_LANGUAGE="de"),  # token and claim in one script
        "route": bob.post(path, HTTP_ACCEPT_LANGUAGE="de"),  # bob's token is not cached: the full chain
    }
    with translation.override("de"):
        detail = translation.gettext(GATE_DOWN)
    assert detail != GATE_DOWN
    for way, answer in answers.items():
        assert answer.status_code == 503, way
        assert answer["Retry-After"] == str(RETRY_AFTER_SECONDS), way
        assert answer.json() == {"error": "gate_unavailable", "detail": detail}, way
    button = shopper.post(sale + "claim", {"attempt": attempt})
    assert button.status_code == 503 and button["Retry-After"] == str(RETRY_AFTER_SECONDS)
    with translation.override("de"):
        assert translation.gettext("We are back in a moment") in button.content.decode()
    assert recorded() == before

    redis_outage.start()
    assert gate.pool(campaign.code) == 4  # alice's one unit, nothing more
    assert recorded() == before
