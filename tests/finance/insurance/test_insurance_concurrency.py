"""Handlers racing on one claim, and a holder filing the same claim from several devices at once:
the policy row lock makes exactly one of each win, and the ledger books the payout once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from millet.accounts.actor import actor_for_user
from millet.core.errors import Conflict
from millet.finance.services import balance, total_balance_check
from millet.insurance import services
from millet.insurance.models import Claim
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_racing_filings_and_decisions_each_happen_once(require_postgres, world, policy):
    alice = actor_for_user(world.users["alice"])
    staff = actor_for_user(world.users["staff"])

    filed = race(
        6,
        lambda i: services.submit_claim(
            alice, policy["number"], peril="liquid_damage", incident_at=timezone.now(), amount="300.00"
        ),
    )
    claims = [r for r in filed if isinstance(r, Claim)]
    assert len(claims) == 1
    assert [r.code for r in filed if isinstance(r, Conflict)] == ["claim_open"] * 5

    decided = race(6, lambda i: services.decide_claim(staff, claims[0].number, approve=True))
    assert len([r for r in decided if isinstance(r, Claim)]) == 1
    assert [r.code for r in decided if isinstance(r, Conflict)] == ["claim_already_decided"] * 5
    reserve = balance("insurance:claims-reserve:CN:CNY")
    assert reserve.credits_posted == 20100  # 300 less the 99 excess, booked once
    paid = race(4, lambda i: services.pay_claim(staff, claims[0].number))
    assert len([r for r in paid if isinstance(r, Claim)]) == 1
    assert balance("insurance:claims-reserve:CN:CNY").debits_posted == 20100
    assert total_balance_check() == 0
