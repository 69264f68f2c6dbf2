"""``millet singles_day`` drives a live server: buyers claim through HTTP, winners pay, results add up."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from millet.accounts.actor import SYSTEM
from millet.flashsale import services
from millet.flashsale.models import Claim

pytestmark = pytest.mark.django_db(transaction=True)


def test_singles_day_sells_every_unit_once(world, live_server, gate_mode, capsys):
    call_command(
        "singles_day",
        url=live_server.url,
        campaign="sd-test",
        create=True,
        sku="CABLE-C",
        location="WH-CN-SH",
        units=5,
        buyers=12,
        attempts=2,
        threads=4,
        pay_ratio=1.0,
    )
    gate_mode.append("sd-test")
    redis = services.gate.redis_enabled()
    if redis:  # the orders are written behind the gate; no worker runs here, so nobody could pay yet
        while services.write_claims(block_ms=0, reclaim_idle_ms=60_000):
            pass
    out = capsys.readouterr().out
    assert "24 requests" in out
    results = services.campaign_results(SYSTEM, "sd-test")
    assert results.claims == 5 and results.available == 0
    assert results.paid == (0 if redis else 5)  # without Redis each claim's order exists at once
    assert Claim.objects.filter(campaign__code="sd-test").values("customer").distinct().count() == 5
