"""The order writer sets a bad stream entry aside and goes on; it never retries it forever.

Redis gate (the stream only exists there), against PostgreSQL, with real commits (a customer that no
longer exists is refused by a deferred foreign key at COMMIT, as in production).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.flashsale import services
from millet.flashsale.models import Claim, StreamDeadLetter
from millet.flashsale.services import gate

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.mark.parametrize("gate_mode", ["redis"], indirect=True)
def test_malformed_and_unwritable_entries_are_set_aside_and_the_sale_goes_on(
    world, make_campaign, gate_mode, require_postgres, admin_client
):
    campaign = make_campaign(units=5, limit=1, customer_rate_per_second=0, ip_rate_per_second=0)
    code = campaign.code
    buyers = [get_user_model().objects.create_user(f"fs-poison-{i}") for i in range(2)]
    for buyer in buyers:
        services.claim_unit(actor_for_user(buyer), code)
    stream = gate.keys(code)["stream"]
    redis = gate.client()
    malformed = [
        redis.xadd(stream, {"x": "1"}),  # no fields the gate writes
        redis.xadd(stream, {"c": "abc", "t": "1"}),  # not numbers
        redis.xadd(stream, {"c": "7", "t": "9" * 30}),  # a time no calendar holds
        redis.xadd(stream, {"c": "-3", "t": "1700000000000"}),  # no such customer id
    ]
    # A claim the gate really accepted (it took a unit) for a customer who is gone by write time.
    gone = gate.claim(code, 2_000_000_000, "")
    assert gone.outcome == "ok"
    assert gate.pool(code) == 2

    assert services.write_claims(batch=50, block_ms=0, reclaim_idle_ms=60_000) == 2
    assert set(Claim.objects.filter(campaign=campaign).values_list("customer_id", "status")) == {
        (buyers[0].pk, "ordered"),
        (buyers[1].pk, "ordered"),
    }
    letters = dict(StreamDeadLetter.objects.filter(campaign=campaign).values_list("gate_id", "reason"))
    assert letters == {
        **{entry_id.decode(): "malformed_entry" for entry_id in malformed},
        gone.gate_id: "unwritable:IntegrityError",
    }
    assert gate.backlog(code) == 0  # everything acknowledged: nothing left to retry
    assert gate.pool(code) == 3  # the gone customer's unit is back in the sale

    # The next pass meets none of them again, and the sale goes on.
    assert services.write_claims(batch=50, block_ms=0, reclaim_idle_ms=0) == 0
    latecomer = get_user_model().objects.create_user("fs-poison-late")
    services.claim_unit(actor_for_user(latecomer), code)
    assert services.write_claims(batch=50, block_ms=0, reclaim_idle_ms=0) == 1
    assert StreamDeadLetter.objects.filter(campaign=campaign).count() == 5
    assert services.campaign_results(SYSTEM, code).ordered == 3
    page = admin_client.get(reverse("admin:flashsale_streamdeadletter_changelist"))
    assert page.status_code == 200 and "unwritable:IntegrityError" in page.content.decode()
